"""Care in conversation: what is due, scheduling a reminder, care tips, opting out.

Each call is about the customer in context and is audited like a profile read; a
consent change also cancels her pending messages that it no longer allows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from bot.care.planner import salutation, send_time
from bot.care.tips import kind_of, named_in, tips_for
from bot.customers.masking import mask_name
from bot.db import tables as t
from bot.db.care_store import TaskStore
from bot.db.net import LINE_KEPT
from bot.db.uow import UnitOfWork
from bot.knowledge import Knowledge
from bot.services.common import audit, require_customer
from bot.services.customers import Actor
from bot.timeutil import local_date, local_to_utc, utcnow

UPCOMING_DAYS = 7
TRIGGER_LABELS = {
    "thank_you": "感谢",
    "care_tip": "保养提示",
    "replenish": "补货提醒",
    "birthday": "生日祝福",
    "win_back": "回店邀请",
    "vip_perks": "会员礼遇",
    "new_arrival": "新品通知",
    "manual": "店员提醒",
}


@dataclass(frozen=True)
class Followup:
    day: dt.date
    trigger: str
    status: str
    body: str

    def label(self) -> str:
        return TRIGGER_LABELS.get(self.trigger, self.trigger)


@dataclass(frozen=True)
class FollowupView:
    masked_name: str
    items: tuple[Followup, ...]


@dataclass(frozen=True)
class StoreFollowup:
    customer: str
    label: str
    status: str
    body: str


@dataclass(frozen=True)
class StoreFollowups:
    store: str
    day: dt.date
    items: tuple[StoreFollowup, ...]
    total: int


@dataclass(frozen=True)
class ClerkTask:
    """A message for the clerk to send herself (WeChat allows no route for it)."""

    id: int
    customer: str  # masked
    member_no: str
    label: str
    body: str
    route: str | None
    reason: str | None


class TaskError(LookupError):
    """No such task waiting in this store."""


@dataclass(frozen=True)
class Scheduled:
    """A reminder planned (or `refused`: "no_consent" when she opted out of all)."""

    masked_name: str
    when: dt.datetime
    for_clerk: bool
    refused: str | None = None


@dataclass(frozen=True)
class TipView:
    """`bought`: the tips are for items she bought (else for the kind named)."""

    masked_name: str
    tips: tuple[tuple[str, str], ...]  # (product, tip text)
    bought: bool = True
    about: str | None = None


class CareDesk:
    def __init__(
        self,
        engine: Engine,
        knowledge: Knowledge,
        tz: ZoneInfo,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._knowledge = knowledge
        self._tz = tz
        self._clock = clock

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def now(self) -> dt.datetime:
        return self._clock()

    def followups(self, customer_id: int, actor: Actor) -> FollowupView:
        """Her messages due or planned in the next week (holdouts are not shown:
        the clerk would follow them up by hand and spoil the comparison)."""
        box = t.care_outbox
        until = self._clock() + dt.timedelta(days=UPCOMING_DAYS)
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            rows = uow.connection.execute(
                select(box.c.scheduled_at, box.c.trigger, box.c.status, box.c.body)
                .where(
                    box.c.customer_id == customer_id,
                    box.c.status.in_(("pending", "sending", "task")),
                    box.c.scheduled_at <= until,
                )
                .order_by(box.c.scheduled_at)
            ).all()
            audit(uow, self._clock(), actor, "care_followups", customer_id)
            uow.commit()
        items = tuple(
            Followup(local_date(at, self._tz), trigger, status, body)
            for at, trigger, status, body in rows
        )
        return FollowupView(mask_name(row.name), items)

    def store_followups(
        self, store_id: int, staff_id: int | None, actor: Actor, limit: int = 10
    ) -> StoreFollowups:
        """What the store has to follow up today: care messages going out today to
        its customers and the clerks' tasks due by today (this clerk's first)."""
        box, people = t.care_outbox, t.customers
        today = local_date(self._clock(), self._tz)
        end = local_to_utc(
            dt.datetime.combine(today + dt.timedelta(days=1), dt.time()), self._tz
        )
        with UnitOfWork(self._engine) as uow:
            rows = uow.connection.execute(
                select(
                    box.c.customer_id,
                    people.c.name,
                    box.c.trigger,
                    box.c.status,
                    box.c.body,
                    box.c.staff_id,
                )
                .select_from(box.join(people, box.c.customer_id == people.c.id))
                .where(
                    people.c.home_store_id == store_id,
                    box.c.status.in_(("pending", "task")),
                    box.c.scheduled_at < end,
                )
                .order_by(
                    (box.c.staff_id == staff_id).desc(),
                    box.c.status.desc(),
                    box.c.scheduled_at,
                )
                .limit(200)
            ).all()
            store = uow.connection.execute(
                select(t.stores.c.name).where(t.stores.c.id == store_id)
            ).scalar_one_or_none()
            audit(
                uow,
                self._clock(),
                actor,
                "care_store_followups",
                None,
                {"n": len(rows)},
            )
            uow.commit()
        items = tuple(
            StoreFollowup(
                mask_name(r.name),
                TRIGGER_LABELS.get(r.trigger, r.trigger),
                r.status,
                r.body,
            )
            for r in rows
        )
        return StoreFollowups(store or "", today, items[:limit], len(items))

    def store_tasks(self, store_id: int | None, actor: Actor) -> list[ClerkTask]:
        """Messages waiting for a clerk of the store (all stores for head office),
        oldest first: the dispatcher's `associate` route and clerks' own tasks."""
        with UnitOfWork(self._engine) as uow:
            rows = TaskStore(uow.connection).waiting(store_id, self._clock())
            audit(uow, self._clock(), actor, "care_tasks", None, {"n": len(rows)})
            uow.commit()
        return [
            ClerkTask(
                r.id,
                mask_name(r.name),
                r.member_no,
                TRIGGER_LABELS.get(r.trigger, r.trigger),
                r.body,
                r.route,
                r.route_reason,
            )
            for r in rows
        ]

    def finish_task(
        self, task_id: int, store_id: int | None, actor: Actor, sent: bool
    ) -> None:
        """The clerk sent it herself (`sent`), or decided not to; either way it
        leaves the list, and a sent one counts in the care report."""
        now = self._clock()
        with UnitOfWork(self._engine) as uow:
            tasks = TaskStore(uow.connection)
            customer_id = tasks.customer_of(task_id, store_id)
            if customer_id is None:
                raise TaskError(f"no task {task_id} waiting in this store")
            tasks.finish(task_id, actor.staff_id, now, sent)
            action = "care_task_sent" if sent else "care_task_skipped"
            audit(uow, now, actor, action, customer_id, {"id": task_id})
            uow.commit()

    def schedule(
        self, customer_id: int, actor: Actor, day: dt.date, request: str
    ) -> Scheduled:
        """A reminder to her on `day` at the usual send time, in the clerk's words;
        "提醒我…" is a task for the clerk instead, listed with her follow-ups and never
        sent. A reminder to a customer who opted out of all messages is refused
        (nothing is queued); a task for the clerk herself still works."""
        for_clerk = "提醒我" in request
        rules = self._knowledge.care
        when = send_time(day, rules)
        digest = hashlib.sha256(request.encode()).hexdigest()[:12]
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            if not for_clerk and not row.service_consent:
                audit(
                    uow,
                    self._clock(),
                    actor,
                    "care_schedule_refused",
                    customer_id,
                    {"day": str(day), "reason": "no_consent"},
                )
                uow.commit()
                return Scheduled(mask_name(row.name), when, for_clerk, "no_consent")
            gender = uow.connection.execute(
                select(t.customers.c.gender).where(t.customers.c.id == customer_id)
            ).scalar_one()
            greeting = f"{salutation(row.name, gender)}您好，门店提醒您："
            body = (
                f"店员跟进：{_topic(request)}"
                if for_clerk
                else greeting + _topic(request) + _signature(uow, actor.staff_id)
            )
            key = f"manual:{customer_id}:{day}:{digest}"
            exists = uow.connection.execute(
                select(t.care_outbox.c.id).where(t.care_outbox.c.idempotency_key == key)
            ).first()
            if exists:
                return Scheduled(mask_name(row.name), when, for_clerk)
            uow.connection.execute(
                t.care_outbox.insert().values(
                    idempotency_key=key,
                    customer_id=customer_id,
                    trigger="manual",
                    is_marketing=False,
                    holdout=False,
                    body=body,
                    scheduled_at=local_to_utc(when, self._tz),
                    status="task" if for_clerk else "pending",
                    attempts=0,
                    staff_id=actor.staff_id,
                    created_at=self._clock(),
                )
            )
            audit(
                uow,
                self._clock(),
                actor,
                "care_schedule",
                customer_id,
                {"day": str(day)},
            )
            uow.commit()
        return Scheduled(mask_name(row.name), when, for_clerk)

    def tips(self, customer_id: int, actor: Actor, about: str | None) -> TipView:
        """Care tips for what she bought, newest first; for an item named, the tip of
        its kind (the nearest in the catalogue), said as hers only if she bought it."""
        tips = self._knowledge.care.triggers.care_tip.tips
        lines, p = t.order_lines, t.products
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            bought = uow.connection.execute(
                select(p.c.name, p.c.subcategory)
                .select_from(lines.join(t.orders).join(p))
                .where(t.orders.c.customer_id == customer_id, LINE_KEPT)
                .order_by(t.orders.c.ordered_at.desc())
            ).all()
            audit(uow, self._clock(), actor, "care_tips", customer_id)
            uow.commit()
        masked = mask_name(row.name)
        if not about:
            return TipView(masked, tips_for(bought, tips), True)
        kind = kind_of(about, self._knowledge.catalog)
        if kind is None:
            return TipView(masked, (), False, about)
        hers = [
            (n, sub) for n, sub in bought if sub == kind and named_in(about, n, sub)
        ]
        if hers:
            return TipView(masked, tips_for(hers, tips), True, about)
        general = tips_for([(about, kind)], tips)
        return TipView(masked, general, False, about)

    def resubscribe(self, customer_id: int, actor: Actor, marketing: bool) -> str:
        """She told the clerk she wants messages again: service messages, and
        marketing too when `marketing`; audited with the scope."""
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            values = {"service_consent": True, "consent_updated_at": self._clock()}
            if marketing:
                values["marketing_consent"] = True
            uow.connection.execute(
                update(t.customers)
                .where(t.customers.c.id == customer_id)
                .values(**values)
            )
            detail = {"scope": "all" if marketing else "service"}
            audit(uow, self._clock(), actor, "resubscribe", customer_id, detail)
            uow.commit()
        return mask_name(row.name)

    def unsubscribe(self, customer_id: int, actor: Actor, everything: bool) -> str:
        """Marketing off at once (service messages too when `everything`); her
        pending messages that are no longer allowed are cancelled."""
        now = self._clock()
        values = {"marketing_consent": False, "consent_updated_at": now}
        if everything:
            values["service_consent"] = False
        box = t.care_outbox
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            uow.connection.execute(
                update(t.customers)
                .where(t.customers.c.id == customer_id)
                .values(**values)
            )
            cancel = update(box).where(
                box.c.customer_id == customer_id, box.c.status == "pending"
            )
            if not everything:
                cancel = cancel.where(box.c.is_marketing.is_(True))
            cancelled = uow.connection.execute(
                cancel.values(status="cancelled")
            ).rowcount
            detail = {
                "scope": "all" if everything else "marketing",
                "cancelled": cancelled,
            }
            audit(uow, self._clock(), actor, "unsubscribe", customer_id, detail)
            uow.commit()
        return mask_name(row.name)


def _signature(uow: UnitOfWork, staff_id: int | None) -> str:
    """'——上海静安店 小李' for a reminder a clerk scheduled on the console."""
    if staff_id is None:
        return ""
    row = uow.connection.execute(
        select(t.staff.c.display_name, t.stores.c.name)
        .select_from(t.staff.outerjoin(t.stores, t.staff.c.store_id == t.stores.c.id))
        .where(t.staff.c.id == staff_id)
    ).first()
    if row is None:
        return ""
    if row.name and row.name not in row.display_name:
        return f"（{row.name} {row.display_name}）"
    return f"（{row.display_name}）"


def _topic(request: str) -> str:
    """'三天后提醒她保养大衣' -> '保养大衣'; the whole request if no verb is found."""
    for verb in ("提醒她", "提醒我", "提醒", "问问她", "给她发个", "给她发"):
        if verb in request:
            topic = request.split(verb, 1)[1].strip("，。, ")
            if topic:
                return topic
    return request
