"""The demo retailer: deterministic, guaranteed customers, personas visible in the data."""

import datetime as dt
import hashlib

import pytest
from sqlalchemy import case, func, insert, select

from bot.db import tables as t
from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.demo.generator import DatabaseNotEmpty, generate
from bot.demo.personas import PERSONAS, assign_personas
from tests.conftest import (
    DEMO_AS_OF,
    DEMO_CUSTOMERS,
    DEMO_SEED,
    demo_config,
    migrated_sqlite,
)


def fingerprint(engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in (t.customers, t.orders, t.order_lines):
            for row in conn.execute(select(table).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_the_same_seed_and_date_give_the_same_database(tmp_path, knowledge, demo_db):
    _, engine = migrated_sqlite(tmp_path / "again.db")
    generate(engine, knowledge, demo_config(), progress=False)
    assert fingerprint(engine) == fingerprint(demo_db[1])


def test_another_seed_gives_other_data(tmp_path, knowledge, demo_db):
    _, engine = migrated_sqlite(tmp_path / "other.db")
    generate(engine, knowledge, demo_config(seed=DEMO_SEED + 1), progress=False)
    assert fingerprint(engine) != fingerprint(demo_db[1])


def test_the_documented_demo_customers_exist(demo_db):
    with demo_db[1].connect() as conn:
        rows = conn.execute(
            select(t.customers.c.phone, t.customers.c.member_no)
            .where(t.customers.c.id <= 2)
            .order_by(t.customers.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("13800000000", "M00000001"),
        ("13800000001", "M00000002"),
    ]


def test_order_totals_equal_the_sum_of_their_lines(demo_db):
    line_sum = func.sum(
        t.order_lines.c.quantity * t.order_lines.c.unit_price_fen
        - t.order_lines.c.discount_fen
    )
    with demo_db[1].connect() as conn:
        mismatched = conn.execute(
            select(func.count()).select_from(
                select(t.orders.c.id)
                .join(t.order_lines, t.order_lines.c.order_id == t.orders.c.id)
                .group_by(t.orders.c.id, t.orders.c.total_fen)
                .having(line_sum != t.orders.c.total_fen)
                .subquery()
            )
        ).scalar_one()
    assert mismatched == 0


def per_customer(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                t.orders.c.customer_id,
                func.count(),
                func.max(t.orders.c.ordered_at),
                func.sum(t.orders.c.total_fen),
            ).group_by(t.orders.c.customer_id)
        ).all()
    return {row[0]: row[1:] for row in rows}


def test_personas_show_in_the_orders(demo_db):
    stats = per_customer(demo_db[1])
    personas = assign_personas(DEMO_CUSTOMERS, DEMO_SEED)
    cutoff = dt.datetime.combine(DEMO_AS_OF, dt.time())
    by_key = {}
    for index, persona_index in enumerate(personas):
        by_key.setdefault(PERSONAS[persona_index].key, []).append(stats[index + 1])
    assert all(count == 1 for count, _, _ in by_key["one_off"])
    assert all((cutoff - last).days >= 230 for _, last, _ in by_key["lapsed"])
    assert all((cutoff - last).days <= 31 for _, last, _ in by_key["loyal_high"])
    mean_spend = {
        key: sum(s for _, _, s in rows) / len(rows) for key, rows in by_key.items()
    }
    assert mean_spend["loyal_high"] > 3 * mean_spend["regular"]


def test_discount_seekers_buy_mostly_promotions(demo_db):
    personas = assign_personas(DEMO_CUSTOMERS, DEMO_SEED)
    seekers = [i + 1 for i, p in enumerate(personas) if PERSONAS[p].key == "discount"]
    others = [i + 1 for i, p in enumerate(personas) if PERSONAS[p].key == "regular"]

    def promo_share(ids):
        query = (
            select(func.avg(case((t.products.c.tags.like("%promo%"), 1.0), else_=0.0)))
            .select_from(t.order_lines.join(t.orders).join(t.products))
            .where(t.orders.c.customer_id.in_(ids))
        )
        with demo_db[1].connect() as conn:
            return conn.execute(query).scalar_one()

    assert promo_share(seekers) > 0.5 > promo_share(others)


def test_a_database_with_customers_is_not_overwritten(demo_db, knowledge):
    with pytest.raises(DatabaseNotEmpty):
        generate(demo_db[1], knowledge, demo_config(), progress=False)


@pytest.mark.postgres
def test_demo_data_on_postgresql_leaves_sequences_ready_for_new_rows(pg_url, knowledge):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        summary = generate(engine, knowledge, demo_config(customers=50), progress=False)
        with engine.begin() as conn:
            new_id = conn.execute(
                insert(t.customers)
                .values(
                    member_no="M90000001",
                    name="新客",
                    joined_on=DEMO_AS_OF,
                    created_at=dt.datetime(2026, 1, 1),
                )
                .returning(t.customers.c.id)
            ).scalar_one()
        assert new_id == summary.customers + 1
    finally:
        engine.dispose()
