"""What changed for a store's tablets: a cheap signature of its handoff queue and
its clerks' task list, read from the database so every console server (on any
machine) sees the same, whichever process wrote the change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.db.live_store import LiveStore
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
        with self._engine.connect() as conn:
            store = LiveStore(conn)
            return Signature(
                store.handoffs(store_id), store.tasks(store_id, self._clock())
            )
