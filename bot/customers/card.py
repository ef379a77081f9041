"""The customer card a clerk sees: plain facts in, plain card out."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace

from bot.customers.masking import mask_name, mask_phone
from bot.customers.value import RfmScale, RfmScore, score
from bot.knowledge.schema import Membership, Segments


@dataclass(frozen=True)
class CustomerFacts:
    """What the database knows about one customer, aggregated."""

    customer_id: int
    member_no: str
    name: str
    phone: str | None
    home_store: str | None
    joined_on: dt.date
    lifetime_spend_fen: int
    order_count: int
    last_purchase: dt.date | None
    top_categories: tuple[str, ...]
    consent: str = "all"
    gender: str = "U"
    birthday: dt.date | None = None


@dataclass(frozen=True)
class CustomerCard:
    customer_id: int
    member_no: str
    masked_name: str
    masked_phone: str
    level: str
    home_store: str
    lifetime_spend_fen: int
    order_count: int
    last_purchase: dt.date | None
    days_since_last_purchase: int | None
    top_categories: tuple[str, ...]
    value_label: str
    rfm: RfmScore | None
    consent: str = "all"
    counted_to: dt.date | None = None  # days are counted to this day (not today)
    salutation: str = ""  # how a clerk addresses her: 王女士
    birthday: dt.date | None = None  # only when it is soon
    days_to_birthday: int | None = None


def consent_state(marketing: bool, service: bool) -> str:
    """ "all" (marketing and service), "service_only" (opted out of marketing) or
    "none" (opted out of everything): what may be sent to her."""
    if not service:
        return "none"
    return "all" if marketing else "service_only"


def next_level(
    lifetime_spend_fen: int, membership: Membership
) -> tuple[str, int] | None:
    """(the next level up, fen still to spend), or None at the top level."""
    for level in membership.levels:
        if lifetime_spend_fen < level.min_spend * 100:
            return level.name, level.min_spend * 100 - lifetime_spend_fen
    return None


def member_level(lifetime_spend_fen: int, membership: Membership) -> str:
    """The highest level whose min_spend (yuan) the lifetime spend reaches."""
    reached = [
        level.name
        for level in membership.levels
        if lifetime_spend_fen >= level.min_spend * 100
    ]
    return reached[-1]


def value_label(rfm: RfmScore | None, segments: Segments) -> str:
    if rfm is None:
        return segments.no_purchase_label
    for label in segments.value_labels:
        if rfm.total >= label.min_total:
            return label.name
    return segments.value_labels[-1].name


# Two-character family names common enough to matter on a shop floor.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯 轩辕 "
    "端木 独孤 南宫 西门 百里 呼延 澹台 公冶 太史 申屠 万俟 闻人 钟离".split()
)
TITLES = {"F": "女士", "M": "先生"}


def salutation(name: str, gender: str) -> str:
    """How a clerk addresses her: family name and title (王女士, 欧阳先生, Ms
    Clarke for a Latin name); the masked name when her gender is not known."""
    name = name.strip()
    if not name or gender not in TITLES:
        return mask_name(name)
    if " " in name:
        return f"{'Ms' if gender == 'F' else 'Mr'} {name.split()[-1]}"
    family = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[0]
    return family + TITLES[gender]


def days_to_birthday(birthday: dt.date, today: dt.date) -> int:
    """Days until her next birthday (29 February counts as 28 February)."""
    for year in (today.year, today.year + 1):
        day = min(birthday.day, calendar.monthrange(year, birthday.month)[1])
        upcoming = dt.date(year, birthday.month, day)
        if upcoming >= today:
            return (upcoming - today).days
    raise AssertionError("unreachable")


def build_card(
    facts: CustomerFacts,
    scale: RfmScale,
    membership: Membership,
    segments: Segments,
    today: dt.date,
    birthday_soon_days: int = 30,
    calendar_day: dt.date | None = None,
) -> CustomerCard:
    """`today`: the day recency counts to (a historical snapshot's as-of date);
    `calendar_day`: the real today, for her birthday (default `today`)."""
    days = (today - facts.last_purchase).days if facts.last_purchase else None
    birthday_from = calendar_day or today
    until = days_to_birthday(facts.birthday, birthday_from) if facts.birthday else None
    soon = until is not None and until <= birthday_soon_days
    rfm = (
        score(max(days, 0), facts.order_count, facts.lifetime_spend_fen, scale)
        if days is not None and facts.order_count
        else None
    )
    return CustomerCard(
        customer_id=facts.customer_id,
        member_no=facts.member_no,
        masked_name=mask_name(facts.name),
        masked_phone=mask_phone(facts.phone) if facts.phone else "",
        level=member_level(facts.lifetime_spend_fen, membership),
        home_store=facts.home_store or "",
        lifetime_spend_fen=facts.lifetime_spend_fen,
        order_count=facts.order_count,
        last_purchase=facts.last_purchase,
        days_since_last_purchase=days,
        top_categories=facts.top_categories,
        value_label=value_label(rfm, segments),
        rfm=rfm,
        consent=facts.consent,
        salutation=salutation(facts.name, facts.gender),
        birthday=facts.birthday if soon else None,
        days_to_birthday=until if soon else None,
    )


def reference_day(
    today: dt.date, snapshot_as_of: dt.date | None, last_purchase: dt.date | None
) -> dt.date:
    """The day "days since" counts to: the snapshot's as-of date when the data is
    historical (a log that ends a year ago is not a year of silence), unless she
    bought after it (then the data is live and today is right)."""
    if snapshot_as_of is None or (last_purchase and last_purchase > snapshot_as_of):
        return today
    return snapshot_as_of


def with_snapshot(
    card: CustomerCard, snapshot: dict | None, segments: Segments
) -> CustomerCard:
    """The card labelled with the latest segmentation snapshot, when there is one."""
    if not snapshot:
        return card
    names = segments.display_names()
    label = "·".join(
        names[kind].get(snapshot[column], snapshot[column])
        for kind, column in (
            ("tier", "value_tier"),
            ("segment", "segment"),
            ("lifecycle", "lifecycle"),
        )
    )
    scores = (snapshot["r_score"], snapshot["f_score"], snapshot["m_score"])
    rfm = RfmScore(*scores) if all(scores) else None
    return replace(card, value_label=label, rfm=rfm)
