"""Queries over the schema, returning plain data. Repositories never commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import desc, func, insert, select, true
from sqlalchemy.engine import Connection

from bot.db.net import LINE_KEPT, LINE_NET, ORDER_KEPT, ORDER_NET
from bot.db.tables import (
    audit_log,
    customers,
    order_lines,
    orders,
    preferences,
    products,
    staff,
    stores,
)


@dataclass(frozen=True)
class CustomerRow:
    id: int
    member_no: str
    name: str
    phone: str | None
    home_store: str | None
    joined_on: dt.date
    marketing_consent: bool = False
    service_consent: bool = True
    birthday: dt.date | None = None
    gender: str = "U"
    home_store_id: int | None = None


@dataclass(frozen=True)
class PurchaseTotals:
    order_count: int
    spend_fen: int
    last_ordered_at: dt.datetime | None


@dataclass(frozen=True)
class Share:
    name: str
    amount_fen: int


@dataclass(frozen=True)
class OrderLineView:
    name: str
    quantity: int
    returned: int = 0


@dataclass(frozen=True)
class OrderView:
    order_no: str
    ordered_at: dt.datetime
    store: str | None
    total_fen: int
    lines: tuple[OrderLineView, ...]
    returned_fen: int = 0
    fully_returned: bool = False

    @property
    def net_fen(self) -> int:
        return self.total_fen - self.returned_fen


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    value: str
    note: str | None
    noted_by: str | None
    created_at: dt.datetime


class CustomerRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @property
    def connection(self) -> Connection:
        return self._c

    def find_id(self, kind: str, value: str) -> int | None:
        column = customers.c.phone if kind == "phone" else customers.c.member_no
        return self._c.execute(
            select(customers.c.id).where(column == value)
        ).scalar_one_or_none()

    def get(self, customer_id: int) -> CustomerRow | None:
        row = self._c.execute(
            select(
                customers.c.id,
                customers.c.member_no,
                customers.c.name,
                customers.c.phone,
                stores.c.name.label("home_store"),
                customers.c.joined_on,
                customers.c.marketing_consent,
                customers.c.service_consent,
                customers.c.birthday,
                customers.c.gender,
                customers.c.home_store_id,
            )
            .select_from(
                customers.outerjoin(stores, customers.c.home_store_id == stores.c.id)
            )
            .where(customers.c.id == customer_id)
        ).one_or_none()
        return CustomerRow(**row._mapping) if row else None

    def totals(
        self, customer_id: int, before: dt.datetime | None = None
    ) -> PurchaseTotals:
        """Her purchases net of returns (those before `before` only, for a look
        back in time); a fully returned order is not one."""
        query = select(
            func.count(orders.c.id),
            func.coalesce(func.sum(ORDER_NET), 0),
            func.max(orders.c.ordered_at),
        ).where(orders.c.customer_id == customer_id, ORDER_KEPT)
        if before is not None:
            query = query.where(orders.c.ordered_at < before)
        row = self._c.execute(query).one()
        return PurchaseTotals(int(row[0]), int(row[1]), row[2])

    def spend_by(
        self,
        customer_id: int,
        column_name: str,
        limit: int,
        before: dt.datetime | None = None,
    ) -> list[Share]:
        """Spend per product category or brand, largest first (ties by name)."""
        column = products.c[column_name]
        amount = func.sum(LINE_NET).label("amount")
        rows = self._c.execute(
            select(column, amount)
            .select_from(
                order_lines.join(orders, order_lines.c.order_id == orders.c.id).join(
                    products, order_lines.c.product_id == products.c.id
                )
            )
            .where(
                orders.c.customer_id == customer_id,
                LINE_KEPT,
                orders.c.ordered_at < before if before is not None else true(),
            )
            .group_by(column)
            .order_by(desc("amount"), column)
            .limit(limit)
        ).all()
        return [Share(name, int(total)) for name, total in rows]

    def unit_prices(self, customer_id: int) -> list[int]:
        return list(
            self._c.execute(
                select(order_lines.c.unit_price_fen)
                .join(orders, order_lines.c.order_id == orders.c.id)
                .where(orders.c.customer_id == customer_id, LINE_KEPT)
            ).scalars()
        )

    def recent_orders(self, customer_id: int, limit: int) -> list[OrderView]:
        heads = self._c.execute(
            select(
                orders.c.id,
                orders.c.order_no,
                orders.c.ordered_at,
                stores.c.name,
                orders.c.total_fen,
                orders.c.returned_fen,
                orders.c.fully_returned,
            )
            .select_from(orders.outerjoin(stores, orders.c.store_id == stores.c.id))
            .where(orders.c.customer_id == customer_id)
            .order_by(orders.c.ordered_at.desc(), orders.c.id.desc())
            .limit(limit)
        ).all()
        lines = self._lines_of([head.id for head in heads])
        return [
            OrderView(
                h.order_no,
                h.ordered_at,
                h.name,
                int(h.total_fen),
                lines.get(h.id, ()),
                int(h.returned_fen),
                bool(h.fully_returned),
            )
            for h in heads
        ]

    def _lines_of(self, order_ids: list[int]) -> dict[int, tuple[OrderLineView, ...]]:
        if not order_ids:
            return {}
        rows = self._c.execute(
            select(
                order_lines.c.order_id,
                products.c.name,
                order_lines.c.quantity,
                order_lines.c.returned_quantity,
            )
            .join(products, order_lines.c.product_id == products.c.id)
            .where(order_lines.c.order_id.in_(order_ids))
            .order_by(order_lines.c.order_id, order_lines.c.line_no)
        ).all()
        grouped: dict[int, list[OrderLineView]] = {}
        for order_id, name, quantity, returned in rows:
            grouped.setdefault(order_id, []).append(
                OrderLineView(name, quantity, returned)
            )
        return {key: tuple(value) for key, value in grouped.items()}

    def preferences(self, customer_id: int) -> list[PreferenceRow]:
        rows = self._c.execute(
            select(
                preferences.c.kind,
                preferences.c.value,
                preferences.c.note,
                staff.c.display_name,
                preferences.c.created_at,
            )
            .outerjoin(staff, preferences.c.staff_id == staff.c.id)
            .where(preferences.c.customer_id == customer_id)
            .order_by(preferences.c.created_at.desc())
        ).all()
        return [PreferenceRow(*row) for row in rows]

    def add_preference(
        self,
        customer_id: int,
        kind: str,
        value: str,
        at: dt.datetime,
        note: str | None = None,
        staff_id: int | None = None,
    ) -> bool:
        """Add a preference unless the same kind and value is already noted."""
        exists = self._c.execute(
            select(preferences.c.id).where(
                preferences.c.customer_id == customer_id,
                preferences.c.kind == kind,
                preferences.c.value == value,
            )
        ).first()
        if exists:
            return False
        self._c.execute(
            insert(preferences).values(
                customer_id=customer_id,
                kind=kind,
                value=value,
                note=note,
                staff_id=staff_id,
                created_at=at,
            )
        )
        return True

    def buyer_aggregates(self) -> list[tuple[dt.datetime, int, int]]:
        """(last order time, order count, spend) for every customer who bought."""
        rows = self._c.execute(
            select(
                func.max(orders.c.ordered_at),
                func.count(orders.c.id),
                func.sum(ORDER_NET),
            )
            .where(ORDER_KEPT)
            .group_by(orders.c.customer_id)
        )
        return [(row[0], int(row[1]), int(row[2])) for row in rows]


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def record(
        self,
        *,
        actor: str,
        action: str,
        channel: str,
        customer_id: int | None,
        detail: dict[str, Any] | None = None,
        at: dt.datetime,
    ) -> None:
        self._c.execute(
            insert(audit_log).values(
                at=at,
                actor=actor,
                action=action,
                customer_id=customer_id,
                channel=channel,
                detail=detail,
            )
        )


def home_customers(store_id: int):
    """The ids of the customers whose home store is `store_id` (a subquery)."""
    return select(customers.c.id).where(customers.c.home_store_id == store_id)
