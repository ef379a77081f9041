"""Queries of a clerk's worklist: her store's due follow-ups she has not dealt with,
its lapsed customers, and her marks. Repositories never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, exists, func, insert, or_, select
from sqlalchemy.engine import Connection

from bot.db import tables as t

DUE_STATUSES = ("pending", "task")
LAPSED = ("at_risk", "churned")


class WorklistStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def due_count(self, staff_id: int, store_id: int, before, now) -> int:
        due = self._due(staff_id, store_id, before, now)
        return self._c.execute(
            select(func.count()).select_from(due.subquery())
        ).scalar_one()

    def due_page(
        self, staff_id: int, store_id: int, before, now, offset: int, limit: int
    ):
        """Newest due first."""
        box, people = t.care_outbox, t.customers
        return self._c.execute(
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
            .where(box.c.id.in_(self._due(staff_id, store_id, before, now)))
            .order_by(box.c.scheduled_at.desc(), box.c.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()

    def lapsed(
        self, staff_id: int, store_id: int, now, rested: dt.datetime, limit: int
    ):
        """The store's most valuable customers whose latest snapshot says at risk
        or churned, that she has not been in touch with since `rested` (nor snoozed
        past `now`), with the last care message sent to them."""
        snaps, people, marks, box = (
            t.segment_snapshots,
            t.customers,
            t.worklist_marks,
            t.care_outbox,
        )
        latest = select(func.max(snaps.c.as_of)).scalar_subquery()
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
        return self._c.execute(
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
            .limit(limit)
        ).all()

    def home_store(self, customer_id: int) -> int | None:
        return self._c.execute(
            select(t.customers.c.home_store_id).where(t.customers.c.id == customer_id)
        ).scalar_one_or_none()

    def outbox_status(self, outbox_id: int, customer_id: int) -> str | None:
        box = t.care_outbox
        return self._c.execute(
            select(box.c.status).where(
                box.c.id == outbox_id, box.c.customer_id == customer_id
            )
        ).scalar_one_or_none()

    def add_mark(self, values: dict) -> None:
        self._c.execute(insert(t.worklist_marks).values(**values))

    def _due(self, staff_id: int, store_id: int, before, now):
        box, people, marks = t.care_outbox, t.customers, t.worklist_marks
        dealt_with = exists().where(
            marks.c.staff_id == staff_id,
            marks.c.outbox_id == box.c.id,
            or_(marks.c.action != "snoozed", marks.c.until > now),
        )
        return (
            select(box.c.id)
            .select_from(box.join(people, box.c.customer_id == people.c.id))
            .where(
                people.c.home_store_id == store_id,
                box.c.status.in_(DUE_STATUSES),
                box.c.scheduled_at < before,
                ~dealt_with,
            )
        )
