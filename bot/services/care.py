"""Care use cases: plan the day's messages into the outbox, dispatch them."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.care.planner import Line, PlanInput, PlanReport, Recipient, plan
from bot.care.routes import (
    ASSOCIATE,
    CUSTOMER_SERVICE,
    NONE,
    ROUTES,
    SUBSCRIBE,
    TEMPLATE,
    Facts,
    Route,
    choose,
    to_associate,
)
from bot.care.template_fields import FieldError, fill
from bot.db.care_store import CareStore, Outbox
from bot.knowledge import Knowledge
from bot.knowledge.schema import CareRules, WeChatDelivery
from bot.locale.zh.dates import long_date
from bot.outbound.outlets import Outgoing
from bot.outbound.wechat import Refused
from bot.timeutil import local_time, local_to_utc, utcnow

CONSUMABLE_HISTORY_DAYS = 400
CUSTOMER_BATCH = 50_000


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
    batch_size: int = CUSTOMER_BATCH,
) -> PlanRun:
    """Plan every message due on `as_of` into the outbox, in one transaction;
    running it again for the same day adds nothing. Customers are planned in
    batches of ids, each with only its own purchases and outbox rows in memory."""
    started = time.perf_counter()
    rules = knowledge.care
    report, added = PlanReport(), 0
    with engine.begin() as connection:
        store = CareStore(connection, tz)
        inputs = _Inputs(store, knowledge, as_of)
        ids = store.customer_ids()
        for start in range(0, len(ids), batch_size):
            chunk = (ids[start], ids[min(start + batch_size, len(ids)) - 1])
            messages, part = plan(inputs.for_customers(chunk), rules)
            for name in ("planned", "holdout", "no_consent", "capped", "already"):
                getattr(report, name).update(getattr(part, name))
            added += store.add_messages(_rows(messages, tz, clock()))
            progress(min(batch_size, len(ids) - start))
    return PlanRun(as_of, report, added, time.perf_counter() - started)


def _rows(messages, tz: ZoneInfo, now: dt.datetime) -> list[dict]:
    return [
        {
            "idempotency_key": m.key,
            "customer_id": m.customer_id,
            "trigger": m.trigger,
            "is_marketing": m.is_marketing,
            "holdout": m.holdout,
            "body": m.body,
            "fields": m.fields,
            "scheduled_at": local_to_utc(m.scheduled_at, tz),
            "status": "holdout" if m.holdout else "pending",
            "attempts": 0,
            "created_at": now,
        }
        for m in messages
    ]


class _Inputs:
    """What the planner needs, read per batch of customers."""

    def __init__(self, store: CareStore, knowledge: Knowledge, as_of: dt.date) -> None:
        rules = knowledge.care
        self._store = store
        self._as_of = as_of
        self._contacts = store.store_contacts()
        self._offers = {s.key: s.offer for s in knowledge.playbook.strategies}
        self._launches = store.launches(as_of)
        longest = max(
            [rules.triggers.thank_you.after_days]
            + [tip.after_days for tip in rules.triggers.care_tip.tips]
        )
        self._lines_from = as_of - dt.timedelta(days=longest + rules.lookback_days)
        self._history_from = as_of - dt.timedelta(days=CONSUMABLE_HISTORY_DAYS)

    def for_customers(self, ids: tuple[int, int]) -> PlanInput:
        store, as_of = self._store, self._as_of
        recipients = {
            row["id"]: _recipient(row, self._contacts, self._offers)
            for row in store.customers(as_of, *ids)
        }
        lines = store.lines_between(self._lines_from, as_of, ids)
        history = store.lines_between(self._history_from, as_of, ids, True)
        return PlanInput(
            as_of,
            recipients,
            [_line(r) for r in lines],
            [_line(r) for r in history],
            self._launches,
            store.existing_keys(ids),
            store.marketing_in_week(as_of, ids),
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


@dataclass
class DispatchRun:
    sent: int = 0
    already_delivered: int = 0
    retrying: int = 0
    failed: int = 0
    quiet_hours: bool = False
    routes: Counter = field(default_factory=Counter)  # sent or settled, by route
    reasons: Counter = field(default_factory=Counter)  # (route, reason)

    @property
    def tasks(self) -> int:
        return self.routes[ASSOCIATE]

    @property
    def not_sent(self) -> int:
        return self.routes[NONE]


@dataclass(frozen=True)
class RoutePlan:
    """Where a due message would go now (the dry run)."""

    key: str
    customer_id: int
    trigger: str
    route: str
    reason: str
    window_open: bool


def dispatch_care(
    engine: Engine,
    rules: CareRules,
    wechat: WeChatDelivery,
    outlet,
    tz: ZoneInfo,
    clock: Callable[[], dt.datetime] = utcnow,
    batch: int = 100,
    pace_seconds: float = 0.0,
) -> DispatchRun:
    """Send every due message by the route WeChat allows for it now.

    Each message gets its route when it is sent (customer service while her window
    is open, her one-off subscription, a template for service notices, else a task
    for her clerk, or nothing, with the reason), kept on the row. A route WeChat
    refuses falls to the next one. At least once, never twice: a message is
    claimed, delivered with its idempotency key, then marked; a claim never marked
    (a crash) is taken again after `claim_timeout_seconds`. A failure goes back to
    pending after an exponential backoff, and is marked failed with its reason
    after `max_attempts`. Nothing is sent inside the quiet hours.
    """
    settings = rules.dispatch
    if rules.quiet_hours.contains(local_time(clock(), tz)):
        return DispatchRun(quiet_hours=True)
    token = uuid.uuid4().hex
    outbox = Outbox(engine)
    router = _Router(outbox, wechat)
    timeout = dt.timedelta(seconds=settings.claim_timeout_seconds)
    run = DispatchRun()
    while rows := outbox.claim(token, clock(), timeout, batch):
        for row in rows:
            try:
                route, written = router.send(row, outlet, token, clock())
            except Exception as error:  # noqa: BLE001 (any channel failure is retried)
                permanent = getattr(error, "permanent", False)
                retry_at = (
                    None if permanent else _retry_at(row["attempts"], settings, clock())
                )
                outbox.mark_failed(
                    row["id"], token, f"{type(error).__name__}: {error}", retry_at
                )
                if retry_at is None:
                    run.failed += 1
                else:
                    run.retrying += 1
                continue
            run.routes[route.kind] += 1
            run.reasons[(route.kind, route.reason)] += 1
            if route.kind not in (ASSOCIATE, NONE):
                if written:
                    run.sent += 1
                else:
                    run.already_delivered += 1
            if pace_seconds:
                time.sleep(pace_seconds)
    return run


def plan_routes(
    engine: Engine, wechat: WeChatDelivery, at: dt.datetime
) -> list[RoutePlan]:
    """The route each message due at `at` would take; sends and changes nothing."""
    outbox = Outbox(engine)
    router = _Router(outbox, wechat)
    plans = []
    for row in outbox.due(at):
        facts = outbox.facts(row["customer_id"])
        route = router.choose(row, facts, at)
        window = facts.window
        plans.append(
            RoutePlan(
                row["idempotency_key"],
                row["customer_id"],
                row["trigger"],
                route.kind,
                route.reason,
                bool(window and window.is_open(at)),
            )
        )
    return plans


class _Router:
    """Chooses a message's route and carries it out, falling to the next route
    when WeChat (or the shared window) says no."""

    def __init__(self, outbox: Outbox, wechat: WeChatDelivery) -> None:
        self._outbox = outbox
        self._wechat = wechat
        self._templates = wechat.template_ids()
        self._subscriptions = wechat.subscription_ids()

    def choose(self, row: dict, facts: Facts, now: dt.datetime) -> Route:
        return self._pick(row, facts, now)[0]

    def _pick(
        self, row: dict, facts: Facts, now: dt.datetime
    ) -> tuple[Route, dict | None]:
        """The route, and for a template or subscribe notice its filled keywords
        (a message whose values do not fit goes to the clerk)."""
        route = choose(
            row["trigger"],
            row["is_marketing"],
            facts,
            now,
            self._templates,
            self._subscriptions,
            self._wechat.keep_for_replies,
        )
        if route.kind not in (TEMPLATE, SUBSCRIBE):
            return route, None
        data = self._data(row, route)
        if data is None:
            return to_associate(facts, "template_field"), None
        return route, data

    def send(self, row: dict, outlet, token: str, now: dt.datetime):
        outbox = self._outbox
        facts = outbox.facts(row["customer_id"])
        route, data = self._pick(row, facts, now)
        for _ in range(len(ROUTES)):
            if route.kind in (ASSOCIATE, NONE):
                outbox.settle(row["id"], token, route)
                return route, False
            if route.kind == CUSTOMER_SERVICE and not outbox.reserve_window(
                facts.openid, now, self._wechat.keep_for_replies
            ):
                facts = replace(facts, window=None)
                route, data = self._pick(row, facts, now)
                continue
            if route.kind == SUBSCRIBE and not outbox.consume_subscription(
                facts.openid, route.template_id, now
            ):
                facts = replace(facts, subscribed=frozenset())
                route, data = self._pick(row, facts, now)
                continue
            try:
                written = outlet.deliver(self._outgoing(row, facts, route, data))
            except Refused as refusal:
                if refusal.reason in ("window_closed", "window_used"):
                    outbox.window_exhausted(facts.openid)
                    facts = replace(facts, window=None)
                    route, data = self._pick(row, facts, now)
                elif refusal.reason in (
                    "not_following",
                    "template_refused",
                    "not_subscribed",
                ):
                    route, data = to_associate(facts, refusal.reason), None
                else:
                    raise
                continue
            outbox.mark_sent(row["id"], token, now, route)
            return route, written
        raise RuntimeError(f"no route settled for {row['idempotency_key']}")

    def _outgoing(
        self, row: dict, facts: Facts, route: Route, data: dict | None
    ) -> Outgoing:
        return Outgoing(
            row["idempotency_key"],
            row["customer_id"],
            facts.openid,
            route.kind,
            row["body"],
            route.template_id,
            data,
        )

    def _data(self, row: dict, route: Route) -> dict | None:
        section = (
            self._wechat.templates
            if route.kind == TEMPLATE
            else self._wechat.subscriptions
        )
        template = section[row["trigger"]]
        values = dict(row["fields"] or {})
        if "purchased_on" in values:
            values["purchased_on"] = long_date(
                dt.date.fromisoformat(values["purchased_on"])
            )
        try:
            return fill(template.keywords(), values)
        except FieldError:
            return None


def _retry_at(attempts: int, settings, now: dt.datetime) -> dt.datetime | None:
    if attempts >= settings.max_attempts:
        return None
    return now + dt.timedelta(seconds=settings.backoff_seconds * 2 ** (attempts - 1))
