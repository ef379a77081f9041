"""The managers' dashboard: the figures behind each chart, scoped to the viewer's
store (head office: the store picked, or all). Every figure is an aggregate query;
nothing here draws, so the web server only sends numbers and the browser draws.

A manager sees her own store; the store is the conversation's store for the
conversation charts, the suggestion's store for suggestions, and the customer's
home store for care, segments and migration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.db.care_store import count_planned
from bot.db.segment_store import SegmentStore
from bot.db.summary_store import SummaryStore
from bot.services.care_report import CareOutcomes, care_outcomes
from bot.services.conversations import ConversationLog, Filters, Viewer
from bot.services.recommendation_report import AcceptanceReport, acceptance
from bot.timeutil import local_to_utc, utcnow

TOP_INTENTS = 10
CARE_DAYS = 90


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    channel: str
    conversations: int
    fallback: int
    handoff: int


@dataclass(frozen=True)
class ConversationFigures:
    start: dt.date
    end: dt.date
    days: tuple[DayCount, ...]
    intents: tuple[tuple[str, int], ...]  # most frequent first

    @property
    def total(self) -> int:
        return sum(d.conversations for d in self.days)


@dataclass(frozen=True)
class CareFigures:
    outcomes: CareOutcomes
    pending: int  # planned, not yet due or sent

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.outcomes.by.get("trigger", ()))


@dataclass(frozen=True)
class SegmentFigures:
    as_of: dt.date | None
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class MigrationFigures:
    snapshots: tuple[dt.date, ...]
    pairs: tuple[tuple[str, str, int], ...]  # of the last two snapshots

    @property
    def before(self) -> dt.date | None:
        return self.snapshots[-2] if len(self.snapshots) > 1 else None

    @property
    def after(self) -> dt.date | None:
        return self.snapshots[-1] if self.snapshots else None


class Dashboard:
    def __init__(
        self,
        engine: Engine,
        log: ConversationLog,
        tz: ZoneInfo,
        conversion_days: int,
        reply_hours: int,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._log = log
        self._tz = tz
        self._conversion_days = conversion_days
        self._reply_hours = reply_hours
        self._clock = clock

    @staticmethod
    def store_of(viewer: Viewer, filters: Filters) -> int | None:
        """The store the figures are for: hers, or for head office the one picked."""
        return filters.store_id if viewer.head_office else viewer.store_id

    def conversations(self, viewer: Viewer, filters: Filters) -> ConversationFigures:
        where = self._log.where(viewer, filters)
        if where is None:
            return ConversationFigures(filters.start, filters.end, (), ())
        offset = dt.datetime.combine(filters.start, dt.time(), self._tz).utcoffset()
        hours = offset.total_seconds() / 3600 if offset else 0.0
        with self._engine.connect() as conn:
            store = SummaryStore(conn)
            days = tuple(
                DayCount(dt.date.fromisoformat(day), channel, n, int(f), int(h))
                for day, channel, n, f, h in store.per_day(where, hours)
            )
            ranked = store.top_intents(where, TOP_INTENTS)
        return ConversationFigures(filters.start, filters.end, days, tuple(ranked))

    def recommendations(self, viewer: Viewer, filters: Filters) -> AcceptanceReport:
        end = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time())
        until = local_to_utc(end, self._tz)
        days = (filters.end - filters.start).days + 1
        return acceptance(
            self._engine, days, until, self.store_of(viewer, filters), until
        )

    def care(self, viewer: Viewer, filters: Filters) -> CareFigures:
        store_id = self.store_of(viewer, filters)
        outcomes = care_outcomes(
            self._engine,
            self._conversion_days,
            CARE_DAYS,
            self._clock(),
            reply_hours=self._reply_hours,
            store_id=store_id,
        )
        with self._engine.connect() as conn:
            pending = count_planned(conn, store_id)
        return CareFigures(outcomes, pending)

    def segments(self, viewer: Viewer, filters: Filters) -> SegmentFigures:
        with self._engine.connect() as conn:
            as_of, counts = SegmentStore(conn).distribution(
                filters.end, self.store_of(viewer, filters)
            )
        return SegmentFigures(as_of, tuple(counts))

    def migration(self, viewer: Viewer, filters: Filters) -> MigrationFigures:
        """From the snapshot before the latest to the latest (not after the
        filter's end day): never a snapshot against itself."""
        with self._engine.connect() as conn:
            store = SegmentStore(conn)
            runs = tuple(d for d in store.runs() if d <= filters.end)
            if len(runs) < 2:
                return MigrationFigures(runs, ())
            pairs = store.segment_pairs(
                runs[-2], runs[-1], self.store_of(viewer, filters)
            )
        return MigrationFigures(runs, tuple(pairs))
