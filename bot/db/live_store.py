"""What changed for a store's tablets, cheaply: (how many, newest id) of its
waiting handoffs and of its due clerk tasks. Repositories never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from bot.db import tables as t
from bot.db.handoff_store import WAITING


class LiveStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def handoffs(self, store_id: int | None) -> tuple[int, int]:
        queue = t.handoffs
        query = select(
            func.count(queue.c.id), func.coalesce(func.max(queue.c.id), 0)
        ).where(queue.c.status == WAITING)
        if store_id is not None:
            query = query.where(queue.c.store_id == store_id)
        return tuple(int(v) for v in self._c.execute(query).one())

    def tasks(self, store_id: int | None, now: dt.datetime) -> tuple[int, int]:
        box, people = t.care_outbox, t.customers
        query = (
            select(func.count(box.c.id), func.coalesce(func.max(box.c.id), 0))
            .select_from(box.join(people, box.c.customer_id == people.c.id))
            .where(box.c.status == "task", box.c.scheduled_at <= now)
        )
        if store_id is not None:
            query = query.where(people.c.home_store_id == store_id)
        return tuple(int(v) for v in self._c.execute(query).one())
