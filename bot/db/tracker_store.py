"""Reading (and, for retention and erasure, deleting) Rasa's SQL tracker store.

The table is Rasa's own (`rasa.core.tracker_store.SQLTrackerStore`): one row per
event, `data` the event as JSON. It lives in its own database (SALESBOT_TRACKER_URL).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

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


class TrackerStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _rows(self, query) -> list[dict]:
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(query).all()
        except (OperationalError, ProgrammingError):
            return []  # the Rasa server has not created its table yet
        found = []
        for row in rows:
            try:
                data = json.loads(row.data or "{}")
            except ValueError:
                data = {}
            found.append({"id": row.id, "sender_id": row.sender_id, **data})
        return found

    def senders(self) -> list[str]:
        """Every conversation with a user message."""
        query = select(events.c.sender_id).where(events.c.type_name == "user")
        try:
            with self._engine.connect() as conn:
                return list(conn.execute(query.distinct()).scalars())
        except (OperationalError, ProgrammingError):
            return []

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
        try:
            with self._engine.begin() as conn:
                return conn.execute(
                    delete(events).where(events.c.timestamp < cutoff)
                ).rowcount
        except (OperationalError, ProgrammingError):
            return 0

    def delete_senders(self, senders: Iterable[str]) -> int:
        wanted = list(senders)
        if not wanted:
            return 0
        try:
            with self._engine.begin() as conn:
                return conn.execute(
                    delete(events).where(events.c.sender_id.in_(wanted))
                ).rowcount
        except (OperationalError, ProgrammingError):
            return 0

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
