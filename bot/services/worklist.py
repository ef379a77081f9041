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

from sqlalchemy import and_, exists, func, insert, or_, select
from sqlalchemy.engine import Engine

from bot.customers.masking import mask_name
from bot.db import tables as t
from bot.db.care_store import TaskStore
from bot.db.uow import UnitOfWork
from bot.services.care_desk import TRIGGER_LABELS
from bot.services.common import audit
from bot.services.customers import Actor
from bot.timeutil import local_date, local_to_utc, utcnow

ACTIONS = ("sent", "called", "done", "snoozed")
PAGE = 10
KEEP_IN_TOUCH = 10
LAPSED = ("at_risk", "churned")
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
        box, people = t.care_outbox, t.customers
        due = (
            select(box.c.id)
            .select_from(box.join(people, box.c.customer_id == people.c.id))
            .where(
                people.c.home_store_id == store_id,
                box.c.status.in_(("pending", "task")),
                box.c.scheduled_at < self._end_of_today(now),
                ~self._dealt_with(staff_id, box.c.id, now),
            )
        )
        with UnitOfWork(self._engine) as uow:
            conn = uow.connection
            total = conn.execute(
                select(func.count()).select_from(due.subquery())
            ).scalar_one()
            pages = max(1, math.ceil(total / PAGE))
            page = min(max(page, 1), pages)
            rows = conn.execute(
                select(
                    box.c.id,
                    box.c.customer_id,
                    people.c.name,
                    people.c.member_no,
                    box.c.trigger,
                    box.c.scheduled_at,
                    box.c.body,
                    box.c.route,
                    box.c.status,
                )
                .select_from(box.join(people, box.c.customer_id == people.c.id))
                .where(box.c.id.in_(due))
                .order_by(box.c.scheduled_at.desc(), box.c.id.desc())
                .offset((page - 1) * PAGE)
                .limit(PAGE)
            ).all()
            lapsed = self._lapsed(conn, staff_id, store_id, now)
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
        return Worklist(items, page, pages, total, lapsed)

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
            conn = uow.connection
            home = conn.execute(
                select(t.customers.c.home_store_id).where(
                    t.customers.c.id == customer_id
                )
            ).scalar_one_or_none()
            if home != store_id:
                raise WorklistError("not a customer of this store")
            if outbox_id is not None:
                status = conn.execute(
                    select(t.care_outbox.c.status).where(
                        t.care_outbox.c.id == outbox_id,
                        t.care_outbox.c.customer_id == customer_id,
                    )
                ).scalar_one_or_none()
                if status is None:
                    raise WorklistError("no such follow-up for her")
                if status == "task" and action == "sent":
                    TaskStore(conn).finish(outbox_id, staff_id, now, sent=True)
            conn.execute(
                insert(t.worklist_marks).values(
                    staff_id=staff_id,
                    customer_id=customer_id,
                    outbox_id=outbox_id,
                    action=action,
                    until=now + dt.timedelta(hours=snooze_hours)
                    if action == "snoozed"
                    else None,
                    at=now,
                )
            )
            audit(uow, now, actor, f"worklist_{action}", customer_id, {"id": outbox_id})
            uow.commit()

    def _end_of_today(self, now: dt.datetime) -> dt.datetime:
        today = local_date(now, self._tz)
        tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
        return local_to_utc(tomorrow, self._tz)

    @staticmethod
    def _dealt_with(staff_id: int, outbox_id, now: dt.datetime):
        marks = t.worklist_marks
        return exists().where(
            marks.c.staff_id == staff_id,
            marks.c.outbox_id == outbox_id,
            or_(marks.c.action != "snoozed", marks.c.until > now),
        )

    def _lapsed(
        self, conn, staff_id: int, store_id: int, now: dt.datetime
    ) -> tuple[Lapsed, ...]:
        """The store's most valuable customers whose latest snapshot says at risk
        or churned, that she has not been in touch with lately."""
        snaps, people, marks, box = (
            t.segment_snapshots,
            t.customers,
            t.worklist_marks,
            t.care_outbox,
        )
        latest = select(func.max(snaps.c.as_of)).scalar_subquery()
        rested = now - dt.timedelta(days=CONTACT_REST_DAYS)
        touched = exists().where(
            marks.c.staff_id == staff_id,
            marks.c.customer_id == people.c.id,
            marks.c.outbox_id.is_(None),
            or_(
                and_(marks.c.action != "snoozed", marks.c.at > rested),
                marks.c.until > now,
            ),
        )
        contacted = (
            select(func.max(box.c.sent_at))
            .where(box.c.customer_id == people.c.id, box.c.status == "sent")
            .scalar_subquery()
        )
        rows = conn.execute(
            select(
                people.c.id,
                people.c.name,
                people.c.member_no,
                snaps.c.lifecycle,
                snaps.c.recency_days,
                snaps.c.as_of,
                contacted.label("contacted"),
            )
            .join(snaps, snaps.c.customer_id == people.c.id)
            .where(
                people.c.home_store_id == store_id,
                snaps.c.as_of == latest,
                snaps.c.lifecycle.in_(LAPSED),
                ~touched,
            )
            .order_by(snaps.c.monetary_fen.desc(), people.c.id)
            .limit(KEEP_IN_TOUCH)
        ).all()
        return tuple(
            Lapsed(
                r.id,
                mask_name(r.name),
                r.member_no,
                r.lifecycle,
                int(r.recency_days),
                r.as_of,
                local_date(r.contacted, self._tz) if r.contacted else None,
            )
            for r in rows
        )
