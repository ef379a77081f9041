"""Which care messages are due for whom on a day: plain data in, planned messages out.

Every message has an idempotency key naming its trigger and what it is about (the
order, the order line, the purchase it replenishes, the birthday's year, the lapse,
the period), so planning the same day twice, or a day that overlaps the last one's
look-back, never plans a message twice. The rules (knowledge/care.yml):
- service messages (thank-you, care tips) need the customer not to have opted out
  of everything; marketing messages (replenishment, birthday, win-back, VIP perks,
  new arrivals) also need her marketing consent;
- at most `weekly_cap` marketing messages per customer in any 7 days, counting what
  is already in the outbox; when fewer fit than are due, `priority` decides;
- a deterministic share of customers per marketing campaign is a holdout group:
  planned (so uplift can be measured) but never sent;
- messages go out at `send_at` local time, never inside the quiet hours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.knowledge.schema import CareRules

SERVICE_TRIGGERS = ("thank_you", "care_tip")


@dataclass(frozen=True)
class Recipient:
    customer_id: int
    name: str
    gender: str
    marketing_consent: bool
    service_consent: bool
    store: str
    clerk: str
    birthday: dt.date | None = None
    lifecycle: str | None = None
    tier: str | None = None
    flags: frozenset[str] = frozenset()
    offer: str = ""
    categories: tuple[str, ...] = ()
    last_purchase: dt.date | None = None


@dataclass(frozen=True)
class Line:
    """One order line, with what a message about it needs."""

    order_id: int
    line_id: int
    customer_id: int
    day: dt.date
    product_id: int
    product: str
    subcategory: str
    store: str
    clerk: str
    consumable: bool = False
    cycle_days: int | None = None


@dataclass(frozen=True)
class Planned:
    key: str
    customer_id: int
    trigger: str
    is_marketing: bool
    holdout: bool
    body: str
    scheduled_at: dt.datetime  # local time
    fields: dict = field(default_factory=dict)  # placeholder values, for templates


@dataclass
class PlanReport:
    planned: Counter = field(default_factory=Counter)
    holdout: Counter = field(default_factory=Counter)
    no_consent: Counter = field(default_factory=Counter)
    capped: Counter = field(default_factory=Counter)
    already: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class PlanInput:
    as_of: dt.date
    recipients: Mapping[int, Recipient]
    lines: Sequence[Line]
    consumable_history: Sequence[Line]
    new_categories: Mapping[str, dt.date]
    existing_keys: frozenset[str]
    recent_marketing: Mapping[int, int]


def plan(data: PlanInput, rules: CareRules) -> tuple[list[Planned], PlanReport]:
    """Messages due on `data.as_of` (or missed within `lookback_days`)."""
    report = PlanReport()
    window = _Window(data.as_of, rules.lookback_days)
    send_at = send_time(data.as_of, rules)
    candidates = [
        *_thank_you(data, rules, window),
        *_care_tips(data, rules, window),
        *_replenish(data, rules, window),
        *_birthdays(data, rules, window),
        *_win_back(data, rules),
        *_vip_perks(data, rules),
        *_new_arrivals(data, rules),
    ]
    marketing = rules.marketing()
    rank = {trigger: n for n, trigger in enumerate(rules.priority)}
    candidates.sort(key=lambda c: (rank.get(c[0], -1), c[1]))
    used = Counter(data.recent_marketing)
    out: list[Planned] = []
    for trigger, key, recipient, values in candidates:
        is_marketing = trigger in marketing
        if key in data.existing_keys:
            report.already[trigger] += 1
            continue
        if not recipient.service_consent or (
            is_marketing and not recipient.marketing_consent
        ):
            report.no_consent[trigger] += 1
            continue
        if is_marketing:
            if used[recipient.customer_id] >= rules.weekly_cap:
                report.capped[trigger] += 1
                continue
            used[recipient.customer_id] += 1
        holdout = is_marketing and in_holdout(
            trigger, recipient.customer_id, rules.holdout_share
        )
        filled = _fill(recipient, values)
        body = values["text"].format(**filled)
        if "purchased_on" in values:
            filled["purchased_on"] = values["purchased_on"]
        out.append(
            Planned(
                key,
                recipient.customer_id,
                trigger,
                is_marketing,
                holdout,
                body,
                send_at,
                {k: v for k, v in filled.items() if v},
            )
        )
        report.planned[trigger] += 1
        if holdout:
            report.holdout[trigger] += 1
    return out, report


def send_time(day: dt.date, rules: CareRules) -> dt.datetime:
    """`send_at` on `day`, moved to the end of the quiet hours if inside them."""
    moment = dt.datetime.combine(day, rules.send_at)
    if rules.quiet_hours.contains(moment.time()):
        end = dt.datetime.combine(day, rules.quiet_hours.end)
        moment = end if end > moment else end + dt.timedelta(days=1)
    return moment


def in_holdout(campaign: str, customer_id: int, share: float) -> bool:
    """Stable per campaign and customer: the same customer stays in (or out of) a
    campaign's holdout on every run and machine."""
    digest = hashlib.sha256(f"{campaign}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def salutation(name: str, gender: str) -> str:
    """王晓梅, F -> 王女士; an unknown gender keeps the full name."""
    if gender == "F":
        return f"{name[:1]}女士"
    if gender == "M":
        return f"{name[:1]}先生"
    return name


class _Window:
    """Due days covered by this run: the day itself and the missed look-back days."""

    def __init__(self, as_of: dt.date, lookback_days: int) -> None:
        self.first = as_of - dt.timedelta(days=lookback_days)
        self.last = as_of

    def __contains__(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


def _fill(recipient: Recipient, values: dict) -> dict:
    return {
        "name": salutation(recipient.name, recipient.gender),
        "store": values.get("store") or recipient.store,
        "clerk": values.get("clerk") or recipient.clerk,
        "product": values.get("product", ""),
        "offer": recipient.offer,
        "category": values.get("category", ""),
    }


def _thank_you(data: PlanInput, rules: CareRules, window: _Window) -> Iterable:
    trigger = rules.triggers.thank_you
    after = dt.timedelta(days=trigger.after_days)
    orders: dict[int, list[Line]] = {}
    for line in data.lines:
        if line.day + after in window:
            orders.setdefault(line.order_id, []).append(line)
    for order_id, lines in orders.items():
        first = min(lines, key=lambda line: line.line_id)
        recipient = data.recipients.get(first.customer_id)
        if recipient is None:
            continue
        product = first.product + (f"等{len(lines)}件商品" if len(lines) > 1 else "")
        values = {
            "text": trigger.text,
            "product": product,
            "store": first.store,
            "clerk": first.clerk,
            "purchased_on": first.day.isoformat(),
        }
        yield "thank_you", f"thank_you:{order_id}", recipient, values


def _care_tips(data: PlanInput, rules: CareRules, window: _Window) -> Iterable:
    for n, tip in enumerate(rules.triggers.care_tip.tips):
        after = dt.timedelta(days=tip.after_days)
        seen: set[int] = set()
        for line in sorted(data.lines, key=lambda line: line.line_id):
            if line.subcategory not in tip.subcategories or line.order_id in seen:
                continue
            if line.day + after not in window:
                continue
            recipient = data.recipients.get(line.customer_id)
            if recipient is None:
                continue
            seen.add(line.order_id)
            values = {
                "text": tip.text,
                "product": line.product,
                "store": line.store,
                "clerk": line.clerk,
                "purchased_on": line.day.isoformat(),
            }
            yield "care_tip", f"care_tip:{line.order_id}:{n}", recipient, values


def _replenish(data: PlanInput, rules: CareRules, window: _Window) -> Iterable:
    """At her own repurchase cycle of the product when she has one (median gap
    between her purchases of it), else the product's nominal cycle, minus lead."""
    trigger = rules.triggers.replenish
    history: dict[tuple[int, int], list[Line]] = {}
    for line in data.consumable_history:
        history.setdefault((line.customer_id, line.product_id), []).append(line)
    for (customer_id, product_id), lines in sorted(history.items()):
        recipient = data.recipients.get(customer_id)
        days = sorted({line.day for line in lines})
        cycle = own_cycle(days) or lines[0].cycle_days
        if recipient is None or not cycle:
            continue
        last = days[-1]
        due = last + dt.timedelta(days=cycle - trigger.lead_days)
        if due not in window:
            continue
        values = {
            "text": trigger.text,
            "product": lines[-1].product,
            "purchased_on": last.isoformat(),
        }
        key = f"replenish:{customer_id}:{product_id}:{last.isoformat()}"
        yield "replenish", key, recipient, values


def own_cycle(days: Sequence[dt.date]) -> int | None:
    """Median days between purchases of one product, with at least two gaps."""
    pairs = zip(days, days[1:], strict=False)
    gaps = [(b - a).days for a, b in pairs if (b - a).days > 0]
    return int(statistics.median(gaps)) if len(gaps) >= 2 else None


def _birthdays(data: PlanInput, rules: CareRules, window: _Window) -> Iterable:
    trigger = rules.triggers.birthday
    before = dt.timedelta(days=trigger.before_days)
    for recipient in data.recipients.values():
        if recipient.birthday is None:
            continue
        for year in {window.first.year, (window.last + before).year}:
            birthday = _in_year(recipient.birthday, year)
            if birthday - before in window:
                key = f"birthday:{recipient.customer_id}:{year}"
                yield "birthday", key, recipient, {"text": trigger.text}


def _in_year(birthday: dt.date, year: int) -> dt.date:
    """29 February falls on 28 February in other years."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def _win_back(data: PlanInput, rules: CareRules) -> Iterable:
    """Once per lapse: a new one only after she buys again and lapses again."""
    trigger = rules.triggers.win_back
    for recipient in data.recipients.values():
        if recipient.lifecycle in trigger.lifecycles and recipient.last_purchase:
            key = f"win_back:{recipient.customer_id}:{recipient.last_purchase}"
            yield "win_back", key, recipient, {"text": trigger.text}


def _vip_perks(data: PlanInput, rules: CareRules) -> Iterable:
    trigger = rules.triggers.vip_perks
    period = data.as_of.toordinal() // trigger.every_days
    for recipient in data.recipients.values():
        if recipient.tier in trigger.tiers:
            key = f"vip_perks:{recipient.customer_id}:{period}"
            yield "vip_perks", key, recipient, {"text": trigger.text}


def _new_arrivals(data: PlanInput, rules: CareRules) -> Iterable:
    """For her favourite categories with an item launched within `within_days`."""
    trigger = rules.triggers.new_arrival
    period = data.as_of.toordinal() // trigger.every_days
    since = data.as_of - dt.timedelta(days=trigger.within_days)
    fresh = {c for c, launched in data.new_categories.items() if launched > since}
    for recipient in data.recipients.values():
        if trigger.flag not in recipient.flags:
            continue
        category = next((c for c in recipient.categories[:2] if c in fresh), None)
        if category:
            key = f"new_arrival:{recipient.customer_id}:{period}"
            values = {"text": trigger.text, "category": category}
            yield "new_arrival", key, recipient, values
