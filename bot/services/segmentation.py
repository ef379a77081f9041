"""Segmentation use cases: compute a dated snapshot of every customer, compare two."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from tqdm import tqdm

from bot.db.segment_store import SegmentStore
from bot.knowledge import Knowledge
from bot.segments.snapshot import compute
from bot.timeutil import local_date, local_to_utc, utcnow


@dataclass(frozen=True)
class RunReport:
    as_of: dt.date
    customers: int
    buyers: int
    seconds: float
    segments: dict[str, int]
    tiers: dict[str, int]
    lifecycle: dict[str, int]
    params: dict
    phases: dict[str, float]


def run_segmentation(
    engine: Engine,
    knowledge: Knowledge,
    as_of: dt.date,
    tz: ZoneInfo,
    progress: bool = False,
) -> RunReport:
    """Segment every customer as of the end of local day `as_of`.

    The snapshot is written in short transactions of `segment_store.WRITE` rows,
    not one: on SQLite one transaction held the database's write lock for the whole
    write, and every clerk's turn (its audit row) waited behind it. Each customer's
    row is whole when it is seen; the run is recorded last, so counts over the
    latest run (`distribution`) never see a half-written snapshot."""
    started = time.perf_counter()
    end_local = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    offset_days = tz.utcoffset(end_local).total_seconds() / 86400
    rules = knowledge.segments
    with engine.connect() as conn:
        store = SegmentStore(conn)
        clock = _Phases()
        ids = store.customer_ids()
        with _bar("order lines", progress) as bar:
            lines = store.purchase_lines(
                local_to_utc(end_local, tz), offset_days, bar.update
            )
        products = store.products()
        conn.commit()  # the reading ends: no snapshot held while computing
        clock.mark("read")
        snapshot = compute(
            ids, lines, products, as_of.toordinal(), rules, knowledge.playbook
        )
        del lines
        clock.mark("compute")
        with _bar("snapshot rows", progress, total=len(ids)) as bar:
            store.replace_snapshot(as_of, snapshot, bar.update, conn.commit)
        clock.mark("write")
        seconds = time.perf_counter() - started
        store.record_run(as_of, snapshot, seconds, utcnow())
        conn.commit()
    return RunReport(
        as_of=as_of,
        customers=len(ids),
        buyers=int((snapshot.frequency > 0).sum()),
        seconds=seconds,
        segments=dict(Counter(snapshot.segment.tolist())),
        tiers=dict(Counter(snapshot.value_tier.tolist())),
        lifecycle=dict(Counter(snapshot.lifecycle.tolist())),
        params=snapshot.params,
        phases=clock.phases,
    )


def migration(
    engine: Engine, before: dt.date, after: dt.date
) -> list[tuple[str, str, int]]:
    """How many customers moved from each segment to each other between snapshots."""
    with engine.connect() as conn:
        return SegmentStore(conn).segment_pairs(before, after)


class SnapshotDateError(ValueError):
    """A snapshot day that cannot be: after today, or before the first order."""


def check_as_of(engine: Engine, day: dt.date, today: dt.date, tz: ZoneInfo) -> None:
    """Refuse a reference day after today (the shops' today) or before the first
    order: such a snapshot would drive live answers with made-up ages."""
    if day > today:
        raise SnapshotDateError(f"{day} is after today ({today})")
    with engine.connect() as conn:
        first = SegmentStore(conn).first_order_at()
    if first is not None and day < local_date(first, tz):
        raise SnapshotDateError(
            f"{day} is before the first order ({local_date(first, tz)})"
        )


def drop_snapshot(engine: Engine, day: dt.date) -> int:
    """Remove the snapshot of `day`; how many rows went (0: there was none)."""
    with engine.begin() as conn:
        return SegmentStore(conn).drop(day)


def distribution(engine: Engine, today: dt.date) -> list[tuple[str, int]]:
    """Customers per segment in the latest snapshot not after `today`."""
    with engine.connect() as conn:
        return SegmentStore(conn).distribution(today)[1]


def snapshot_dates(engine: Engine) -> list[dt.date]:
    with engine.connect() as conn:
        return SegmentStore(conn).runs()


class _Phases:
    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = now - self._last
        self._last = now


def _bar(label: str, enabled: bool, total: int | None = None) -> tqdm:
    return tqdm(desc=label, total=total, unit="rows", disable=not enabled, leave=False)
