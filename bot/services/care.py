"""Care use cases: plan the day's messages into the outbox."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.care.planner import Line, PlanInput, PlanReport, Recipient, plan
from bot.db.care_store import CareStore
from bot.knowledge import Knowledge
from bot.timeutil import local_to_utc, utcnow

CONSUMABLE_HISTORY_DAYS = 400


@dataclass(frozen=True)
class PlanRun:
    as_of: dt.date
    report: PlanReport
    added: int
    seconds: float


def plan_care(
    engine: Engine,
    knowledge: Knowledge,
    tz: ZoneInfo,
    as_of: dt.date,
    clock: Callable[[], dt.datetime] = utcnow,
    progress: Callable[[int], None] = lambda n: None,
) -> PlanRun:
    """Plan every message due on `as_of` into the outbox, in one transaction;
    running it again for the same day adds nothing."""
    started = time.perf_counter()
    rules = knowledge.care
    with engine.begin() as connection:
        store = CareStore(connection, tz)
        data = _plan_input(store, knowledge, as_of, progress)
        messages, report = plan(data, rules)
        now = clock()
        rows = [
            {
                "idempotency_key": m.key,
                "customer_id": m.customer_id,
                "trigger": m.trigger,
                "is_marketing": m.is_marketing,
                "holdout": m.holdout,
                "body": m.body,
                "scheduled_at": local_to_utc(m.scheduled_at, tz),
                "status": "holdout" if m.holdout else "pending",
                "attempts": 0,
                "created_at": now,
            }
            for m in messages
        ]
        added = store.add_messages(rows)
    return PlanRun(as_of, report, added, time.perf_counter() - started)


def _plan_input(store: CareStore, knowledge: Knowledge, as_of, progress) -> PlanInput:
    rules = knowledge.care
    contacts = store.store_contacts()
    offers = {s.key: s.offer for s in knowledge.playbook.strategies}
    recipients = {}
    for row in store.customers(as_of):
        recipients[row["id"]] = _recipient(row, contacts, offers)
        if len(recipients) % 10_000 == 0:
            progress(10_000)
    longest = max(
        [rules.triggers.thank_you.after_days]
        + [tip.after_days for tip in rules.triggers.care_tip.tips]
    )
    first = as_of - dt.timedelta(days=longest + rules.lookback_days)
    lines = [_line(r) for r in store.lines_between(first, as_of)]
    history_from = as_of - dt.timedelta(days=CONSUMABLE_HISTORY_DAYS)
    history = [_line(r) for r in store.lines_between(history_from, as_of, True)]
    week = store.marketing_in_week(as_of)
    return PlanInput(
        as_of,
        recipients,
        lines,
        history,
        store.launches(as_of),
        store.existing_keys(),
        week,
    )


def _recipient(row: dict, contacts, offers) -> Recipient:
    store, manager = contacts.get(row["home_store_id"], ("门店", "店长"))
    details = row["details"] or {}
    prefs = details.get("prefs") or {}
    flags = frozenset(
        flag for flag in ("discount_seeker", "new_arrival_lover") if prefs.get(flag)
    )
    recency, seen = row["recency_days"], row["snapshot_as_of"]
    last = seen - dt.timedelta(days=int(recency)) if recency is not None else None
    offer = offers.get(row["strategy"] or "", "")
    category = next(iter(name for name, _ in prefs.get("categories", [])), "商品")
    brand = next(iter(name for name, _ in prefs.get("brands", [])), "品牌")
    return Recipient(
        customer_id=row["id"],
        name=row["name"],
        gender=row["gender"],
        marketing_consent=bool(row["marketing_consent"]),
        service_consent=bool(row["service_consent"]),
        store=store,
        clerk=manager,
        birthday=row["birthday"],
        lifecycle=row["lifecycle"],
        tier=row["value_tier"],
        flags=flags,
        offer=offer.format(category=category, brand=brand),
        categories=tuple(name for name, _ in prefs.get("categories", [])),
        last_purchase=last,
    )


def _line(row: dict) -> Line:
    return Line(
        order_id=row["order_id"],
        line_id=row["line_id"],
        customer_id=row["customer_id"],
        day=row["day"],
        product_id=row["product_id"],
        product=row["product"],
        subcategory=row["subcategory"],
        store=row["store"] or "门店",
        clerk=row["clerk"] or "店员",
        consumable=bool(row["consumable"]),
        cycle_days=row["cycle_days"],
    )
