"""Reading (and, for retention and erasure, deleting) Rasa's SQL tracker store.

The table is Rasa's own (`rasa.core.tracker_store.SQLTrackerStore`): one row per
event, `data` the event as JSON. It lives in its own database (SALESBOT_TRACKER_URL).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    inspect,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

T = TypeVar("T")

events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class TrackerUnavailable(RuntimeError):
    """The tracker database could not be read or changed (a wrong URL, a server
    down, a refused login)."""


class TrackerStore:
    """Reads and deletes answer nothing while the Rasa server has not created its
    table yet (a new deployment: `exists` tells); any other database error raises
    `TrackerUnavailable`, so that a database that cannot be reached is never
    mistaken for an empty history, and an erasure never reports 0 events deleted
    when it deleted nothing it should have."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _guarded(self, work: Callable[[], T], empty: T) -> T:
        try:
            return work()
        except (OperationalError, ProgrammingError) as error:
            if self._reachable_without_table():
                return empty
            raise self._unavailable(error) from error

    def _reachable_without_table(self) -> bool:
        try:
            return not self.exists()
        except TrackerUnavailable:
            return False

    def _unavailable(self, error: Exception) -> TrackerUnavailable:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return TrackerUnavailable(f"tracker database {self.where()}: {first}")

    def exists(self) -> bool:
        """Has the Rasa server created its table here? Raises when the database
        cannot be reached."""
        try:
            return inspect(self._engine).has_table(events.name)
        except (OperationalError, ProgrammingError) as error:
            raise self._unavailable(error) from error

    def where(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)

    def _rows(self, query) -> list[dict]:
        def read():
            with self._engine.connect() as conn:
                return conn.execute(query).all()

        found = []
        for row in self._guarded(read, []):
            try:
                data = json.loads(row.data or "{}")
            except ValueError:
                data = {}
            found.append({"id": row.id, "sender_id": row.sender_id, **data})
        return found

    def senders(self) -> list[str]:
        """Every conversation with a user message."""
        query = select(events.c.sender_id).where(events.c.type_name == "user")

        def read():
            with self._engine.connect() as conn:
                return list(conn.execute(query.distinct()).scalars())

        return self._guarded(read, [])

    def events_of(self, senders: Iterable[str]) -> dict[str, list[dict]]:
        wanted = list(senders)
        if not wanted:
            return {}
        found: dict[str, list[dict]] = {sender: [] for sender in wanted}
        for chunk in range(0, len(wanted), 500):
            query = (
                select(events)
                .where(events.c.sender_id.in_(wanted[chunk : chunk + 500]))
                .order_by(events.c.id)
            )
            for event in self._rows(query):
                found[event["sender_id"]].append(event)
        return found

    def customer_in_context(self, sender_id: str) -> int | None:
        query = (
            select(events)
            .where(events.c.sender_id == sender_id, events.c.type_name == "slot")
            .order_by(events.c.id.desc())
        )
        for event in self._rows(query):
            if event.get("name") == "customer_id":
                value = event.get("value")
                return int(value) if value not in (None, "") else None
        return None

    def delete_before(self, cutoff: float) -> int:
        """Delete events older than `cutoff` (epoch seconds); how many."""

        def work():
            with self._engine.begin() as conn:
                return conn.execute(
                    delete(events).where(events.c.timestamp < cutoff)
                ).rowcount

        return self._guarded(work, 0)

    def delete_senders(self, senders: Iterable[str]) -> int:
        wanted = list(senders)
        if not wanted:
            return 0

        def work():
            with self._engine.begin() as conn:
                return conn.execute(
                    delete(events).where(events.c.sender_id.in_(wanted))
                ).rowcount

        return self._guarded(work, 0)

    def senders_about(self, customer_id: int) -> list[str]:
        """Conversations in which this customer was in context (slot set to her)."""
        query = select(events).where(events.c.type_name == "slot")
        return sorted(
            {
                e["sender_id"]
                for e in self._rows(query)
                if e.get("name") == "customer_id"
                and str(e.get("value")) == str(customer_id)
            }
        )
