"""Acceptance of suggestions: shown, bought and declined by kind, segment and store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.db.recommendation_store import RecommendationStore
from bot.timeutil import utcnow

GROUPINGS = ("kind", "segment", "store")


@dataclass(frozen=True)
class AcceptanceRow:
    group: str
    shown: int
    bought: int
    declined: int

    @property
    def rate(self) -> float:
        return self.bought / self.shown if self.shown else 0.0


@dataclass(frozen=True)
class AcceptanceReport:
    days: int
    by: dict[str, tuple[AcceptanceRow, ...]]


def acceptance(
    engine: Engine,
    days: int,
    now: dt.datetime | None = None,
    store_id: int | None = None,
    until: dt.datetime | None = None,
) -> AcceptanceReport:
    """The last `days` days before `now` (and before `until` when given); one
    store's when `store_id` is given."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    with engine.connect() as connection:
        store = RecommendationStore(connection)
        by = {
            grouping: tuple(
                AcceptanceRow(*row)
                for row in store.acceptance(since, grouping, until, store_id)
            )
            for grouping in GROUPINGS
        }
    return AcceptanceReport(days, by)
