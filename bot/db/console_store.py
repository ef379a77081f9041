"""Client message ids of the clerks' tablets. Repositories never commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.db import tables as t


class ConsoleMessageStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def claim(self, staff_id: int, client_id: str, now: dt.datetime) -> bool:
        """True when this is the first arrival of the message (in a savepoint, so
        a repeat leaves the transaction usable)."""
        try:
            with self._c.begin_nested():
                self._c.execute(
                    insert(t.console_messages).values(
                        staff_id=staff_id, client_id=client_id, received_at=now
                    )
                )
        except IntegrityError:
            return False
        return True

    def answer(self, staff_id: int, client_id: str) -> Any | None:
        m = t.console_messages
        return self._c.execute(
            select(m.c.answer).where(
                m.c.staff_id == staff_id, m.c.client_id == client_id
            )
        ).scalar()

    def keep(self, staff_id: int, client_id: str, answer: Any) -> None:
        m = t.console_messages
        self._c.execute(
            update(m)
            .where(m.c.staff_id == staff_id, m.c.client_id == client_id)
            .values(answer=answer)
        )

    def release(self, staff_id: int, client_id: str) -> None:
        m = t.console_messages
        self._c.execute(
            delete(m).where(m.c.staff_id == staff_id, m.c.client_id == client_id)
        )

    def older_than(self, cutoff: dt.datetime) -> int:
        m = t.console_messages
        return self._c.execute(delete(m).where(m.c.received_at < cutoff)).rowcount
