"""What changed for a store's tablets: a cheap signature of its handoff queue and
its clerks' task list, read from the database so every console server (on any
machine) sees the same, whichever process wrote the change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.db import tables as t
from bot.db.handoff_store import WAITING
from bot.timeutil import utcnow


@dataclass(frozen=True)
class Signature:
    """(how many, newest id) of waiting handoffs and of due clerk tasks."""

    handoffs: tuple[int, int]
    tasks: tuple[int, int]


class LiveState:
    def __init__(
        self, engine: Engine, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self._engine = engine
        self._clock = clock

    def signature(self, store_id: int | None) -> Signature:
        """For one store (all stores for head office: `None`). Two aggregate
        queries on indexed columns; no personal data, so nothing to audit."""
        queue, box, people = t.handoffs, t.care_outbox, t.customers
        handoffs = select(
            func.count(queue.c.id), func.coalesce(func.max(queue.c.id), 0)
        ).where(queue.c.status == WAITING)
        tasks = (
            select(func.count(box.c.id), func.coalesce(func.max(box.c.id), 0))
            .select_from(box.join(people, box.c.customer_id == people.c.id))
            .where(box.c.status == "task", box.c.scheduled_at <= self._clock())
        )
        if store_id is not None:
            handoffs = handoffs.where(queue.c.store_id == store_id)
            tasks = tasks.where(people.c.home_store_id == store_id)
        with self._engine.connect() as conn:
            waiting = tuple(int(v) for v in conn.execute(handoffs).one())
            due = tuple(int(v) for v in conn.execute(tasks).one())
        return Signature(waiting, due)
