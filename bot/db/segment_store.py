"""Reading purchase data as arrays and storing segmentation snapshots.

Aggregation that pays in SQL happens there (order lines are grouped per customer,
category and brand in one pass); the result comes back as numpy arrays in chunks.
Day numbers are local calendar days as `date.toordinal()`, with the time of day as
the fraction.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection

from bot.db import tables as t
from bot.segments.preferences import LineAggregates
from bot.segments.snapshot import OrderRows, Snapshot

FETCH = 200_000
WRITE = 5_000
_SQLITE_ORDINAL = "(julianday({col}) - 1721424.5)"
_PG_ORDINAL = "(EXTRACT(EPOCH FROM {col}) / 86400.0 + 719163)"
_SQLITE_DATE_ORDINAL = "(julianday({col}) - 1721424.5)"
_PG_DATE_ORDINAL = "(({col} - DATE '0001-01-01') + 1)"


class SegmentStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self._pg = connection.dialect.name == "postgresql"

    def _day(self, column: str, offset_days: float) -> str:
        pattern = _PG_ORDINAL if self._pg else _SQLITE_ORDINAL
        return f"({pattern.format(col=column)} + {offset_days!r})"

    def _date_day(self, column: str) -> str:
        return (_PG_DATE_ORDINAL if self._pg else _SQLITE_DATE_ORDINAL).format(
            col=column
        )

    def customer_ids(self) -> np.ndarray:
        ids = self._c.execute(
            select(t.customers.c.id).order_by(t.customers.c.id)
        ).scalars()
        return np.fromiter(ids, dtype=np.int64)

    def order_rows(
        self, end_utc: dt.datetime, offset_days: float, progress: Callable[[int], None]
    ) -> OrderRows:
        sql = text(
            f"SELECT customer_id, {self._day('ordered_at', offset_days)}, total_fen "
            "FROM orders WHERE ordered_at < :end"
        )
        columns = self._fetch_columns(sql, {"end": end_utc}, 3, progress)
        return OrderRows(columns[0].astype(np.int64), columns[1], columns[2])

    def line_aggregates(
        self,
        end_utc: dt.datetime,
        as_of_day: int,
        offset_days: float,
        half_life_days: float,
        new_arrival_days: int,
        progress: Callable[[int], None],
    ) -> LineAggregates:
        day = self._day("o.ordered_at", offset_days)
        launch = self._date_day("p.launch_date")
        amount = "(l.quantity * l.unit_price_fen - l.discount_fen)"
        decay = math.log(2) / half_life_days
        sql = text(
            f"""
            SELECT o.customer_id, p.category, p.brand,
                   SUM({amount}),
                   SUM({amount} * exp(-({as_of_day} + 1 - {day}) * {decay!r})),
                   SUM(CASE WHEN l.discount_fen > 0 OR p.tags LIKE '%promo%'
                            THEN {amount} ELSE 0 END),
                   SUM(CASE WHEN p.launch_date IS NOT NULL
                             AND {day} - {launch} BETWEEN 0 AND {new_arrival_days + 1}
                            THEN {amount} ELSE 0 END),
                   SUM(l.quantity),
                   SUM(l.quantity * l.unit_price_fen)
            FROM order_lines l
            JOIN orders o ON l.order_id = o.id
            JOIN products p ON l.product_id = p.id
            WHERE o.ordered_at < :end
            GROUP BY o.customer_id, p.category, p.brand
            """
        )
        rows = self._c.execute(sql, {"end": end_utc})
        customers, categories, brands, numbers = [], [], [], []
        while chunk := rows.fetchmany(FETCH):
            customers.append(
                np.fromiter((r[0] for r in chunk), dtype=np.int64, count=len(chunk))
            )
            categories.append(np.array([r[1] for r in chunk], dtype=object))
            brands.append(np.array([r[2] for r in chunk], dtype=object))
            numbers.append(np.array([r[3:] for r in chunk], dtype=float))
            progress(len(chunk))
        values = np.concatenate(numbers) if numbers else np.zeros((0, 6))
        return LineAggregates(
            customers=np.concatenate(customers) if customers else np.zeros(0, np.int64),
            categories=np.concatenate(categories)
            if categories
            else np.zeros(0, object),
            brands=np.concatenate(brands) if brands else np.zeros(0, object),
            spend=values[:, 0],
            weighted=values[:, 1],
            promo=values[:, 2],
            fresh=values[:, 3],
            quantity=values[:, 4],
            gross=values[:, 5],
        )

    def _fetch_columns(self, sql, params, width: int, progress) -> list[np.ndarray]:
        result = self._c.execute(sql, params)
        parts = []
        while chunk := result.fetchmany(FETCH):
            parts.append(np.array(chunk, dtype=float).reshape(len(chunk), width))
            progress(len(chunk))
        block = np.concatenate(parts) if parts else np.zeros((0, width))
        return [block[:, i] for i in range(width)]

    def replace_snapshot(
        self, as_of: dt.date, snapshot: Snapshot, progress: Callable[[int], None]
    ) -> None:
        self._c.execute(
            delete(t.segment_snapshots).where(t.segment_snapshots.c.as_of == as_of)
        )
        row = _snapshot_rows(as_of, snapshot)
        total = len(snapshot.customers)
        for start in range(0, total, WRITE):
            batch = [row(i) for i in range(start, min(start + WRITE, total))]
            self._c.execute(insert(t.segment_snapshots), batch)
            progress(len(batch))

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

    def latest_as_of(self) -> dt.date | None:
        return self._c.execute(select(func.max(t.segment_runs.c.as_of))).scalar_one()

    def runs(self) -> list[dt.date]:
        return list(
            self._c.execute(
                select(t.segment_runs.c.as_of).order_by(t.segment_runs.c.as_of)
            ).scalars()
        )

    def latest_for(self, customer_id: int) -> dict[str, Any] | None:
        row = self._c.execute(
            select(t.segment_snapshots)
            .where(t.segment_snapshots.c.customer_id == customer_id)
            .order_by(t.segment_snapshots.c.as_of.desc())
            .limit(1)
        ).one_or_none()
        return dict(row._mapping) if row else None

    def segment_pairs(
        self, before: dt.date, after: dt.date
    ) -> list[tuple[str, str, int]]:
        """(segment before, segment after, customers) for those in both snapshots."""
        old, new = t.segment_snapshots.alias("old"), t.segment_snapshots.alias("new")
        rows = self._c.execute(
            select(old.c.segment, new.c.segment, func.count())
            .select_from(old.join(new, old.c.customer_id == new.c.customer_id))
            .where(old.c.as_of == before, new.c.as_of == after)
            .group_by(old.c.segment, new.c.segment)
        )
        return [(a, b, int(n)) for a, b, n in rows]


def _snapshot_rows(as_of: dt.date, s: Snapshot) -> Callable[[int], dict[str, Any]]:
    def row(i: int) -> dict[str, Any]:
        recency = s.recency_days[i]
        alive = s.p_alive[i]
        return {
            "customer_id": int(s.customers[i]),
            "as_of": as_of,
            "recency_days": None if np.isnan(recency) else int(recency),
            "frequency": int(s.frequency[i]),
            "monetary_fen": int(s.monetary_fen[i]),
            "r_score": int(s.r[i]) or None,
            "f_score": int(s.f[i]) or None,
            "m_score": int(s.m[i]) or None,
            "segment": s.segment[i],
            "value_tier": s.value_tier[i],
            "lifecycle": s.lifecycle[i],
            "strategy": s.strategy[i],
            "expected_purchases": float(s.expected_purchases[i]),
            "p_alive": None if np.isnan(alive) else float(alive),
            "clv_fen": int(s.clv_fen[i]),
            "details": s.details[i],
        }

    return row
