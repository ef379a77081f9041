"""Reading purchase data as arrays and storing segmentation snapshots.

Aggregation that pays in SQL happens there (order lines are grouped per customer,
category and brand in one pass); the result comes back as numpy arrays in chunks.
Day numbers are local calendar days as `date.toordinal()`, with the time of day as
the fraction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import ujson
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection

from bot.db import tables as t
from bot.db.repositories import home_customers
from bot.segments.lines import ProductTable, PurchaseLines, product_table
from bot.segments.snapshot import Snapshot

FETCH = 200_000
# order_id, customer_id, day, product_id, gross, discount, quantity (fen and counts)
LINE_TYPES = (np.int64, np.int32, np.int32, np.int32, np.int64, np.int64, np.int32)
WRITE = 5_000
# julianday() reads dates and timestamps alike
_SQLITE_ORDINAL = "(julianday({col}) - 1721424.5)"
_PG_ORDINAL = "(EXTRACT(EPOCH FROM {col}) / 86400.0 + 719163)"
_SQLITE_FLOOR = "CAST({expr} AS INTEGER)"
_PG_FLOOR = "CAST(FLOOR({expr}) AS INTEGER)"
_PG_DATE_ORDINAL = "(({col} - DATE '0001-01-01') + 1)"


class SegmentStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self._pg = connection.dialect.name == "postgresql"

    def _day(self, column: str, offset_days: float) -> str:
        pattern = _PG_ORDINAL if self._pg else _SQLITE_ORDINAL
        return f"({pattern.format(col=column)} + {offset_days!r})"

    def _calendar_day(self, column: str, offset_days: float) -> str:
        """The local calendar day as an integer (days are positive: CAST floors)."""
        pattern = _PG_FLOOR if self._pg else _SQLITE_FLOOR
        return pattern.format(expr=self._day(column, offset_days))

    def _date_day(self, column: str) -> str:
        return (_PG_DATE_ORDINAL if self._pg else _SQLITE_ORDINAL).format(col=column)

    def customer_ids(self) -> np.ndarray:
        ids = self._c.execute(select(t.customers.c.id).order_by(t.customers.c.id))
        return np.fromiter(ids.scalars(), dtype=np.int64)

    def products(self) -> ProductTable:
        launch = self._date_day("launch_date")
        rows = self._c.execute(
            text(f"SELECT id, category, brand, tags, {launch} FROM products")
        ).all()
        return product_table(
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
            ["promo" in (r[3] or "").split("|") for r in rows],
            [np.nan if r[4] is None else float(r[4]) for r in rows],
        )

    def purchase_lines(
        self, end_utc: dt.datetime, offset_days: float, progress: Callable[[int], None]
    ) -> PurchaseLines:
        """Every order line before `end_utc` with its order's customer and local day,
        net of returns (a line returned in full is left out, so is an order).

        Read through the driver's own cursor (a server-side one on PostgreSQL):
        building SQLAlchemy rows for 20 million lines costs more than the query.
        Measured: two SQLite readers in threads were slower than one (the GIL-bound
        row building dominates), and every column costs ~10%, so amount and the
        discount flag are derived here from gross and discount.
        """
        cutoff = end_utc.strftime("%Y-%m-%d %H:%M:%S")
        sql = (
            "SELECT l.order_id, o.customer_id,"
            f" {self._calendar_day('o.ordered_at', offset_days)},"
            " l.product_id, l.quantity * l.unit_price_fen - l.returned_fen,"
            " l.discount_fen, l.quantity - l.returned_quantity"
            " FROM order_lines l JOIN orders o ON l.order_id = o.id"
            f" WHERE o.ordered_at < '{cutoff}'"
            " AND l.returned_quantity < l.quantity"
        )
        dbapi = self._c.connection.dbapi_connection
        if self._pg:
            cursor = dbapi.cursor(name="salesbot_segment_lines")
            cursor.itersize = FETCH
        else:
            cursor = dbapi.cursor()
        order_ids, customers, days, products, gross, discount, quantity = _read_columns(
            cursor, sql, progress
        )
        return PurchaseLines(
            order_ids=order_ids,
            customers=customers,
            days=days,
            product_ids=products,
            amount=(gross - discount).astype(np.float64),
            gross=gross.astype(np.float64),
            quantity=quantity.astype(np.float32),
            discounted=discount > 0,
        )

    def replace_snapshot(
        self,
        as_of: dt.date,
        snapshot: Snapshot,
        progress: Callable[[int], None],
        commit: Callable[[], None] = lambda: None,
    ) -> None:
        """The rows of `as_of` replaced; `commit` is called after the old rows are
        gone and after each batch of WRITE rows (short transactions, see
        services.segmentation)."""
        self._c.execute(
            delete(t.segment_snapshots).where(t.segment_snapshots.c.as_of == as_of)
        )
        commit()
        rows = _snapshot_rows(as_of, snapshot)
        total = len(snapshot.customers)
        # sqlite3 releases the GIL while SQLite runs, so the next batch is built
        # while the previous one is inserted (one batch in flight, order kept).
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending = None
            for start in range(0, total, WRITE):
                batch = rows(start, min(start + WRITE, total))
                if pending is not None:
                    pending.result()
                    commit()
                pending = writer.submit(self._write, batch)
                progress(len(batch))
            if pending is not None:
                pending.result()
                commit()

    def _write(self, batch: list[tuple]) -> None:
        """SQLite: the driver's executemany on tuples with the JSON already encoded
        (SQLAlchemy's per-row processing costs more than the insert); PostgreSQL:
        SQLAlchemy's multi-row VALUES."""
        if self._pg:
            rows = [dict(zip(SNAPSHOT_COLUMNS, r, strict=True)) for r in batch]
            self._c.execute(insert(t.segment_snapshots), rows)
            return
        marks = ", ".join("?" for _ in SNAPSHOT_COLUMNS)
        sql = (
            f"INSERT INTO segment_snapshots ({', '.join(SNAPSHOT_COLUMNS)}) "
            f"VALUES ({marks})"
        )
        encoded = [
            (r[0], r[1].isoformat(), *r[2:-1], ujson.dumps(r[-1], ensure_ascii=False))
            for r in batch
        ]
        self._c.exec_driver_sql(sql, encoded)

    def record_run(
        self,
        as_of: dt.date,
        snapshot: Snapshot,
        seconds: float,
        created_at: dt.datetime,
    ) -> None:
        self._c.execute(delete(t.segment_runs).where(t.segment_runs.c.as_of == as_of))
        self._c.execute(
            insert(t.segment_runs).values(
                as_of=as_of,
                created_at=created_at,
                customers=len(snapshot.customers),
                buyers=int(np.count_nonzero(snapshot.frequency)),
                seconds=seconds,
                params=snapshot.params,
            )
        )

    def distribution(
        self, today: dt.date, store_id: int | None = None
    ) -> tuple[dt.date | None, list[tuple[str, int]]]:
        """(as of, customers per segment) of the latest snapshot not after `today`
        (of the latest recorded run, when there is one); of the customers of one
        home store when `store_id` is given."""
        snaps, runs = t.segment_snapshots, t.segment_runs
        # the latest finished run: a snapshot being written has no run yet
        as_of = (
            self._c.execute(
                select(func.max(runs.c.as_of)).where(runs.c.as_of <= today)
            ).scalar()
            or self._c.execute(
                select(func.max(snaps.c.as_of)).where(snaps.c.as_of <= today)
            ).scalar()
        )
        if as_of is None:
            return None, []
        query = (
            select(snaps.c.segment, func.count())
            .where(snaps.c.as_of == as_of)
            .group_by(snaps.c.segment)
            .order_by(func.count().desc(), snaps.c.segment)
        )
        if store_id is not None:
            query = query.where(snaps.c.customer_id.in_(home_customers(store_id)))
        return as_of, [(segment, int(n)) for segment, n in self._c.execute(query)]

    def runs(self) -> list[dt.date]:
        return list(
            self._c.execute(
                select(t.segment_runs.c.as_of).order_by(t.segment_runs.c.as_of)
            ).scalars()
        )

    def latest_for(self, customer_id: int, today: dt.date) -> dict[str, Any] | None:
        """Her latest snapshot not after `today` (a snapshot "as of" a later day
        describes a future that has not happened)."""
        snaps = t.segment_snapshots
        row = self._c.execute(
            select(snaps)
            .where(snaps.c.customer_id == customer_id, snaps.c.as_of <= today)
            .order_by(snaps.c.as_of.desc())
            .limit(1)
        ).one_or_none()
        return dict(row._mapping) if row else None

    def drop(self, as_of: dt.date) -> int:
        """Remove the snapshot of `as_of` (its rows and its run); rows removed."""
        removed = self._c.execute(
            delete(t.segment_snapshots).where(t.segment_snapshots.c.as_of == as_of)
        ).rowcount
        runs = self._c.execute(
            delete(t.segment_runs).where(t.segment_runs.c.as_of == as_of)
        ).rowcount
        return removed + runs

    def first_order_at(self) -> dt.datetime | None:
        return self._c.execute(select(func.min(t.orders.c.ordered_at))).scalar()

    def segment_pairs(
        self, before: dt.date, after: dt.date, store_id: int | None = None
    ) -> list[tuple[str, str, int]]:
        """(segment before, segment after, customers) for those in both snapshots;
        of the customers of one home store when `store_id` is given."""
        old, new = t.segment_snapshots.alias("old"), t.segment_snapshots.alias("new")
        query = (
            select(old.c.segment, new.c.segment, func.count())
            .select_from(old.join(new, old.c.customer_id == new.c.customer_id))
            .where(old.c.as_of == before, new.c.as_of == after)
            .group_by(old.c.segment, new.c.segment)
        )
        if store_id is not None:
            query = query.where(old.c.customer_id.in_(home_customers(store_id)))
        rows = self._c.execute(query)
        return [(a, b, int(n)) for a, b, n in rows]


SNAPSHOT_COLUMNS = (
    "customer_id",
    "as_of",
    "recency_days",
    "frequency",
    "monetary_fen",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "value_tier",
    "lifecycle",
    "strategy",
    "expected_purchases",
    "p_alive",
    "clv_fen",
    "details",
)


def _snapshot_rows(as_of: dt.date, s: Snapshot) -> Callable[[int, int], list[tuple]]:
    """Rows start..stop as tuples in SNAPSHOT_COLUMNS order, a batch at a time."""
    columns = (
        s.customers.astype(np.int64),
        s.recency_days,
        s.frequency.astype(np.int64),
        s.monetary_fen.astype(np.int64),
        s.r.astype(np.int64),
        s.f.astype(np.int64),
        s.m.astype(np.int64),
        s.segment,
        s.value_tier,
        s.lifecycle,
        s.strategy,
        s.expected_purchases.astype(float),
        s.p_alive,
        s.clv_fen.astype(np.int64),
    )

    def rows(start: int, stop: int) -> list[tuple]:
        values = [column[start:stop].tolist() for column in columns]
        values[1] = [None if v != v else int(v) for v in values[1]]
        values[12] = [None if v != v else v for v in values[12]]
        for score in (4, 5, 6):
            values[score] = [v or None for v in values[score]]
        details = s.details(start, stop)
        return [
            (row[0], as_of, *row[1:], detail)
            for row, detail in zip(zip(*values, strict=True), details, strict=True)
        ]

    return rows


def _read_columns(cursor, sql: str, progress) -> list[np.ndarray]:
    """All rows of `sql` as columns of LINE_TYPES, converted a chunk at a time and
    concatenated column by column, so the rows are never held twice."""
    columns: list[list[np.ndarray]] = [[] for _ in LINE_TYPES]
    try:
        cursor.execute(sql)
        while chunk := cursor.fetchmany(FETCH):
            block = np.array(chunk, dtype=np.int64)
            for index, dtype in enumerate(LINE_TYPES):
                columns[index].append(block[:, index].astype(dtype))
            progress(len(chunk))
    finally:
        cursor.close()
    merged = []
    for index, parts in enumerate(columns):
        merged.append(
            np.concatenate(parts) if parts else np.zeros(0, LINE_TYPES[index])
        )
        parts.clear()
    return merged
