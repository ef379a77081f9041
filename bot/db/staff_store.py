"""Staff accounts as the consoles see them: lockout counters and login sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from bot.db import tables as t


@dataclass(frozen=True)
class StaffRow:
    id: int
    username: str
    display_name: str
    role: str
    store_id: int | None
    store_name: str | None
    password_hash: str
    active: bool
    failed_logins: int
    locked_until: dt.datetime | None


class StaffStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def stores(self, only: int | None = None) -> list[tuple[int, str]]:
        """(id, name) of every store by code, or of the one store `only`."""
        query = select(t.stores.c.id, t.stores.c.name).order_by(t.stores.c.code)
        if only is not None:
            query = query.where(t.stores.c.id == only)
        return [(int(i), name) for i, name in self._c.execute(query)]

    def by_username(self, username: str) -> StaffRow | None:
        return self._one(t.staff.c.username == username)

    def by_id(self, staff_id: int) -> StaffRow | None:
        return self._one(t.staff.c.id == staff_id)

    def _one(self, condition) -> StaffRow | None:
        people, stores = t.staff, t.stores
        row = self._c.execute(
            select(
                people.c.id,
                people.c.username,
                people.c.display_name,
                people.c.role,
                people.c.store_id,
                stores.c.name.label("store_name"),
                people.c.password_hash,
                people.c.active,
                people.c.failed_logins,
                people.c.locked_until,
            )
            .select_from(people.outerjoin(stores, people.c.store_id == stores.c.id))
            .where(condition)
        ).one_or_none()
        return StaffRow(**row._mapping) if row else None

    def set_failures(
        self, staff_id: int, failures: int, locked_until: dt.datetime | None
    ) -> None:
        self._c.execute(
            update(t.staff)
            .where(t.staff.c.id == staff_id)
            .values(failed_logins=failures, locked_until=locked_until)
        )

    def count_failure(self, staff_id: int) -> int:
        """One more failed login, counted in the database (two servers refusing
        her at once count two); her count now."""
        staff = t.staff
        self._c.execute(
            update(staff)
            .where(staff.c.id == staff_id)
            .values(failed_logins=staff.c.failed_logins + 1)
        )
        return self._c.execute(
            select(staff.c.failed_logins).where(staff.c.id == staff_id)
        ).scalar_one()

    def add_session(self, values: dict) -> None:
        self._c.execute(insert(t.staff_sessions).values(**values))

    def session(self, token_hash: str):
        return self._c.execute(
            select(t.staff_sessions).where(t.staff_sessions.c.token_hash == token_hash)
        ).one_or_none()

    def next_conversation(self, session_id: int) -> None:
        sessions = t.staff_sessions
        self._c.execute(
            update(sessions)
            .where(sessions.c.id == session_id)
            .values(conversation=sessions.c.conversation + 1)
        )

    def drop_session(self, token_hash: str) -> None:
        self._c.execute(
            delete(t.staff_sessions).where(t.staff_sessions.c.token_hash == token_hash)
        )

    def drop_expired(self, now: dt.datetime) -> None:
        self._c.execute(
            delete(t.staff_sessions).where(t.staff_sessions.c.expires_at < now)
        )
