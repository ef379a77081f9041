"""A clerk's worklist: today's follow-ups of her store as items she acts on, and
the store's lapsed customers to keep in touch with.

Marks are hers (table `worklist_marks`): an item she marked sent, called or done
leaves her list; one she snoozed comes back when the snooze ends. Marking a clerk's
task (a message WeChat gives no route for) as sent also settles it in the outbox, so
it counts in the care report. Every read and mark is audited.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.customers.masking import mask_name
from bot.db.care_store import TaskStore
from bot.db.uow import UnitOfWork
from bot.db.worklist_store import WorklistStore
from bot.services.care_desk import TRIGGER_LABELS
from bot.services.common import audit
from bot.services.customers import Actor
from bot.timeutil import local_date, local_to_utc, utcnow

ACTIONS = ("sent", "called", "done", "snoozed")
PAGE = 10
KEEP_IN_TOUCH = 10
# a lapsed customer she called or messaged is not suggested again this soon
CONTACT_REST_DAYS = 30


class WorklistError(ValueError):
    """No such item in her store, or an action that does not exist."""


@dataclass(frozen=True)
class WorkItem:
    id: int  # the care message
    customer_id: int
    customer: str  # masked
    member_no: str
    label: str
    due: dt.date
    body: str
    route: str | None  # "associate": she sends it herself (copy the text)
    status: str


@dataclass(frozen=True)
class Lapsed:
    customer_id: int
    customer: str
    member_no: str
    lifecycle: str
    days_since_purchase: int  # counted to `as_of`, as her card counts them
    as_of: dt.date
    last_contact: dt.date | None


@dataclass(frozen=True)
class Worklist:
    items: tuple[WorkItem, ...]
    page: int
    pages: int
    total: int
    keep_in_touch: tuple[Lapsed, ...]


class WorklistService:
    def __init__(
        self,
        engine: Engine,
        tz: ZoneInfo,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._tz = tz
        self._clock = clock

    def worklist(
        self, staff_id: int, store_id: int, actor: Actor, page: int = 1
    ) -> Worklist:
        """Her store's follow-ups due by the end of today that she has not dealt
        with, newest due first, PAGE at a time; and its lapsed customers."""
        now = self._clock()
        before = self._end_of_today(now)
        rested = now - dt.timedelta(days=CONTACT_REST_DAYS)
        with UnitOfWork(self._engine) as uow:
            store = WorklistStore(uow.connection)
            total = store.due_count(staff_id, store_id, before, now)
            pages = max(1, math.ceil(total / PAGE))
            page = min(max(page, 1), pages)
            rows = store.due_page(
                staff_id, store_id, before, now, (page - 1) * PAGE, PAGE
            )
            lapsed = store.lapsed(staff_id, store_id, now, rested, KEEP_IN_TOUCH)
            audit(uow, now, actor, "worklist", None, {"page": page, "n": len(rows)})
            uow.commit()
        items = tuple(
            WorkItem(
                r.id,
                r.customer_id,
                mask_name(r.name),
                r.member_no,
                TRIGGER_LABELS.get(r.trigger, r.trigger),
                local_date(r.scheduled_at, self._tz),
                r.body,
                r.route,
                r.status,
            )
            for r in rows
        )
        keep = tuple(
            Lapsed(
                r.id,
                mask_name(r.name),
                r.member_no,
                r.lifecycle,
                int(r.recency_days),
                r.as_of,
                local_date(r.contacted, self._tz) if r.contacted else None,
            )
            for r in lapsed
        )
        return Worklist(items, page, pages, total, keep)

    def mark(
        self,
        staff_id: int,
        store_id: int,
        actor: Actor,
        customer_id: int,
        action: str,
        outbox_id: int | None = None,
        snooze_hours: int = 24,
    ) -> None:
        """What she did about an item of her store (a follow-up, or with no
        `outbox_id` a lapsed customer she kept in touch with)."""
        if action not in ACTIONS:
            raise WorklistError(f"unknown action {action!r}")
        now = self._clock()
        with UnitOfWork(self._engine) as uow:
            store = WorklistStore(uow.connection)
            if store.home_store(customer_id) != store_id:
                raise WorklistError("not a customer of this store")
            if outbox_id is not None:
                status = store.outbox_status(outbox_id, customer_id)
                if status is None:
                    raise WorklistError("no such follow-up for her")
                if status == "task" and action == "sent":
                    TaskStore(uow.connection).finish(
                        outbox_id, staff_id, now, sent=True
                    )
            store.add_mark(
                {
                    "staff_id": staff_id,
                    "customer_id": customer_id,
                    "outbox_id": outbox_id,
                    "action": action,
                    "until": now + dt.timedelta(hours=snooze_hours)
                    if action == "snoozed"
                    else None,
                    "at": now,
                }
            )
            audit(uow, now, actor, f"worklist_{action}", customer_id, {"id": outbox_id})
            uow.commit()

    def _end_of_today(self, now: dt.datetime) -> dt.datetime:
        today = local_date(now, self._tz)
        tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
        return local_to_utc(tomorrow, self._tz)
