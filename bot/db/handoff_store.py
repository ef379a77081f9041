"""Rows of the human handoff queue and the messages exchanged while it is open."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from bot.db import tables as t

WAITING = "waiting"


class HandoffStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def expire(self, before: dt.datetime, now: dt.datetime) -> None:
        queue = t.handoffs
        self._c.execute(
            update(queue)
            .where(queue.c.status == WAITING, queue.c.created_at < before)
            .values(status="expired", closed_at=now)
        )

    def waiting_for(
        self, sender_id: str, since: dt.datetime | None = None
    ) -> int | None:
        """Her waiting handoff; with `since`, only one opened from then on."""
        queue = t.handoffs
        query = select(queue.c.id).where(
            queue.c.sender_id == sender_id, queue.c.status == WAITING
        )
        if since is not None:
            query = query.where(queue.c.created_at >= since)
        return self._c.execute(
            query.order_by(queue.c.id.desc()).limit(1)
        ).scalar_one_or_none()

    def home_store(self, customer_id: int | None) -> int | None:
        if customer_id is None:
            return None
        return self._c.execute(
            select(t.customers.c.home_store_id).where(t.customers.c.id == customer_id)
        ).scalar_one_or_none()

    def open(self, values: dict) -> int:
        return self._c.execute(
            insert(t.handoffs).values(status=WAITING, **values)
        ).inserted_primary_key[0]

    def add_message(
        self,
        handoff_id: int,
        author: str,
        body: str,
        at: dt.datetime,
        staff_id: int | None = None,
        delivery: str = "ok",
        error: str | None = None,
    ) -> None:
        self._c.execute(
            insert(t.handoff_messages).values(
                handoff_id=handoff_id,
                author=author,
                staff_id=staff_id,
                body=body,
                at=at,
                delivery=delivery,
                error=error,
            )
        )

    def get(self, handoff_id: int):
        return self._c.execute(
            select(t.handoffs).where(t.handoffs.c.id == handoff_id)
        ).first()

    def staff_id(self, username: str) -> int | None:
        return self._c.execute(
            select(t.staff.c.id).where(
                t.staff.c.username == username, t.staff.c.active.is_(True)
            )
        ).scalar_one_or_none()

    def waiting(self, store_id: int | None):
        queue, people = t.handoffs, t.customers
        query = (
            select(queue, people.c.name.label("customer_name"))
            .select_from(queue.outerjoin(people, queue.c.customer_id == people.c.id))
            .where(queue.c.status == WAITING)
            .order_by(queue.c.created_at)
        )
        if store_id is not None:
            query = query.where(queue.c.store_id == store_id)
        return self._c.execute(query).all()

    def customer_name(self, handoff_id: int) -> str | None:
        return self._c.execute(
            select(t.customers.c.name)
            .join(t.handoffs, t.handoffs.c.customer_id == t.customers.c.id)
            .where(t.handoffs.c.id == handoff_id)
        ).scalar_one_or_none()

    def said_while_waiting(self, sender_id: str):
        """Her messages and the clerks' replies in this conversation's handoffs,
        after each opened (what was copied in at opening left out), in order."""
        queue, said = t.handoffs, t.handoff_messages
        return self._c.execute(
            select(said.c.id, said.c.author, said.c.body, said.c.at)
            .join(queue, said.c.handoff_id == queue.c.id)
            .where(queue.c.sender_id == sender_id, said.c.at > queue.c.created_at)
            .order_by(said.c.at, said.c.id)
        ).all()

    def messages(self, handoff_id: int):
        rows = t.handoff_messages
        return self._c.execute(
            select(rows).where(rows.c.handoff_id == handoff_id).order_by(rows.c.id)
        ).all()

    def close(self, handoff_id: int, staff_id: int | None, now: dt.datetime) -> bool:
        queue = t.handoffs
        done = self._c.execute(
            update(queue)
            .where(queue.c.id == handoff_id, queue.c.status == WAITING)
            .values(status="closed", closed_at=now, staff_id=staff_id)
        )
        return done.rowcount == 1
