"""Reads and writes of the recommender: catalogue, what a customer owns, the log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select, true, update
from sqlalchemy.engine import Connection

from bot.db import tables as t


@dataclass(frozen=True)
class OwnedRow:
    product_id: int
    last_bought_at: dt.datetime
    unit_price_fen: int
    first_bought_at: dt.datetime | None = None
    orders: int = 1


@dataclass(frozen=True)
class LoggedSuggestion:
    id: int
    batch: str
    product_id: int
    name: str
    sku: str
    kind: str
    reason: str
    shown_at: dt.datetime
    outcome: str | None


SHOWN_LIMIT = 60


@dataclass(frozen=True)
class ShownRow:
    id: int
    batch: str
    rank: int
    product_id: int
    name: str
    sku: str
    subcategory: str
    category: str
    brand: str
    color: str | None
    reason: str
    outcome: str | None


class RecommendationStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def products(self) -> list[dict[str, Any]]:
        rows = self._c.execute(select(t.products).order_by(t.products.c.id))
        return [dict(row._mapping) for row in rows]

    def in_stock(self, product_ids: list[int]) -> set[int]:
        """Which of these products are in stock now (primary-key lookups)."""
        rows = self._c.execute(
            select(t.products.c.id).where(
                t.products.c.id.in_(product_ids), t.products.c.stock > 0
            )
        )
        return set(rows.scalars())

    def owned(self, customer_id: int) -> list[OwnedRow]:
        """Each product she bought: when last and first, in how many orders, and
        the highest unit price paid."""
        lines, orders = t.order_lines, t.orders
        rows = self._c.execute(
            select(
                lines.c.product_id,
                func.max(orders.c.ordered_at),
                func.max(lines.c.unit_price_fen - lines.c.discount_fen),
                func.min(orders.c.ordered_at),
                func.count(func.distinct(orders.c.id)),
            )
            .join(orders, lines.c.order_id == orders.c.id)
            .where(orders.c.customer_id == customer_id)
            .group_by(lines.c.product_id)
        ).all()
        return [
            OwnedRow(int(p), last, int(price), first, int(n))
            for p, last, price, first, n in rows
        ]

    def dislikes(self, customer_id: int) -> list[str]:
        rows = self._c.execute(
            select(t.preferences.c.value).where(
                t.preferences.c.customer_id == customer_id,
                t.preferences.c.kind == "dislike",
            )
        )
        return [value for (value,) in rows]

    def log(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._c.execute(t.recommendation_log.insert(), rows)

    def last_batch(
        self, customer_id: int, since: dt.datetime
    ) -> list[LoggedSuggestion]:
        """The most recent answer shown for her since `since`, in its order."""
        log = t.recommendation_log
        batch = self._c.execute(
            select(log.c.batch)
            .where(log.c.customer_id == customer_id, log.c.shown_at >= since)
            .order_by(log.c.shown_at.desc(), log.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if batch is None:
            return []
        rows = self._c.execute(
            select(
                log.c.id,
                log.c.batch,
                log.c.product_id,
                t.products.c.name,
                t.products.c.sku,
                log.c.kind,
                log.c.reason,
                log.c.shown_at,
                log.c.outcome,
            )
            .join(t.products, log.c.product_id == t.products.c.id)
            .where(log.c.customer_id == customer_id, log.c.batch == batch)
            .order_by(log.c.rank)
        ).all()
        return [LoggedSuggestion(*row) for row in rows]

    def shown_since(
        self, customer_id: int, conversation_id: str, since: dt.datetime
    ) -> list[ShownRow]:
        """Every suggestion shown to her in this conversation since `since`, newest
        answer first (another clerk's suggestions to her are not this one's)."""
        log, p = t.recommendation_log, t.products
        rows = self._c.execute(
            select(
                log.c.id,
                log.c.batch,
                log.c.rank,
                log.c.product_id,
                p.c.name,
                p.c.sku,
                p.c.subcategory,
                p.c.category,
                p.c.brand,
                p.c.color,
                log.c.reason,
                log.c.outcome,
            )
            .join(p, log.c.product_id == p.c.id)
            .where(
                log.c.customer_id == customer_id,
                log.c.conversation_id == conversation_id,
                log.c.shown_at >= since,
            )
            .order_by(log.c.shown_at.desc(), log.c.id.desc())
            .limit(SHOWN_LIMIT)
        ).all()
        return [ShownRow(*row) for row in rows]

    def declined_since(self, customer_id: int, since: dt.datetime) -> set[int]:
        """Products she declined since `since`."""
        log = t.recommendation_log
        rows = self._c.execute(
            select(log.c.product_id).where(
                log.c.customer_id == customer_id,
                log.c.outcome == "declined",
                log.c.outcome_at >= since,
            )
        )
        return set(rows.scalars())

    def set_outcome(self, ids: list[int], outcome: str, at: dt.datetime) -> int:
        log = t.recommendation_log
        result = self._c.execute(
            update(log).where(log.c.id.in_(ids)).values(outcome=outcome, outcome_at=at)
        )
        return result.rowcount

    def acceptance(
        self,
        since: dt.datetime,
        by: str,
        until: dt.datetime | None = None,
        store_id: int | None = None,
    ) -> list[tuple[str, int, int, int]]:
        """(group, shown, bought, declined) from `since` to `until`, grouped by kind,
        segment or store; of one store's suggestions when `store_id` is given."""
        log = t.recommendation_log
        if by == "store":
            key = func.coalesce(t.stores.c.code, "-")
            source = log.outerjoin(t.stores, log.c.store_id == t.stores.c.id)
        else:
            key = func.coalesce(getattr(log.c, by), "-")
            source = log
        bought = func.sum(case((log.c.outcome == "bought", 1), else_=0))
        declined = func.sum(case((log.c.outcome == "declined", 1), else_=0))
        rows = self._c.execute(
            select(key, func.count(), bought, declined)
            .select_from(source)
            .where(
                and_(
                    log.c.shown_at >= since,
                    true() if until is None else log.c.shown_at < until,
                    true() if store_id is None else log.c.store_id == store_id,
                )
            )
            .group_by(key)
            .order_by(key)
        ).all()
        return [(str(g), int(n), int(b or 0), int(d or 0)) for g, n, b, d in rows]
