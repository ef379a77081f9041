"""Bulk writes shared by the demo generator and the importer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection

BATCH = 5000


def insert_rows(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """executemany in batches (psycopg2 gets multi-row VALUES from SQLAlchemy)."""
    for start in range(0, len(rows), BATCH):
        connection.execute(table.insert(), rows[start : start + BATCH])


def product_row(product_id: int, product: Any) -> dict[str, Any]:
    """A `products` row from a catalog product (bot.knowledge.schema.Product)."""
    return {
        "id": product_id,
        "sku": product.sku,
        "name": product.name,
        "category": product.category,
        "subcategory": product.subcategory,
        "brand": product.brand,
        "color": product.color,
        "price_fen": product.price_fen,
        "price_tier": product.price_tier,
        "launch_date": product.launch_date,
        "tags": "|".join(product.tags),
        "stock": product.stock,
        "consumable": product.consumable,
        "cycle_days": product.cycle_days,
    }


def next_id(connection: Connection, table: Table) -> int:
    return (
        int(
            connection.execute(
                select(func.coalesce(func.max(table.c.id), 0))
            ).scalar_one()
        )
        + 1
    )


def reset_sequences(connection: Connection, tables: Iterable[Table]) -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )
