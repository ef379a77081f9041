"""Messages a clerk's tablet resends: a message is passed to the assistant once.

The tablet gives every message its own id and keeps it queued until it has an
answer, so a message typed during a network outage, or one whose answer was lost
on the way back, arrives again. The first arrival claims the id (in the database,
so any console server may receive the repeat); a repeat gets the stored answer,
or is told the first is still being answered.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from bot.db.console_store import ConsoleMessageStore
from bot.db.uow import UnitOfWork
from bot.timeutil import utcnow

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True)
class Arrival:
    first: bool
    answer: Any | None = None  # a repeat's stored answer; None while pending


class ResendGuard:
    def __init__(
        self, engine: Engine, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self._engine = engine
        self._clock = clock

    @staticmethod
    def valid(client_id: object) -> bool:
        return isinstance(client_id, str) and bool(CLIENT_ID.match(client_id))

    def arrive(self, staff_id: int, client_id: str) -> Arrival:
        with UnitOfWork(self._engine) as uow:
            store = ConsoleMessageStore(uow.connection)
            first = store.claim(staff_id, client_id, self._clock())
            answer = None if first else store.answer(staff_id, client_id)
            uow.commit()
        return Arrival(first, answer)

    def answered(self, staff_id: int, client_id: str, answer: Any) -> None:
        with UnitOfWork(self._engine) as uow:
            ConsoleMessageStore(uow.connection).keep(staff_id, client_id, answer)
            uow.commit()

    def failed(self, staff_id: int, client_id: str) -> None:
        """The assistant did not answer: the next arrival is a first one again."""
        with UnitOfWork(self._engine) as uow:
            ConsoleMessageStore(uow.connection).release(staff_id, client_id)
            uow.commit()
