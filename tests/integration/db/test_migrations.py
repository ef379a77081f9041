"""The Alembic migration builds exactly the schema the code uses, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.db.engine import make_engine
from bot.db.migrate import current_head, upgrade
from bot.db.tables import metadata


def schema_differences(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_the_migration_builds_the_declared_schema_on_sqlite(db):
    _, engine = db
    assert schema_differences(engine) == []
    with engine.connect() as conn:
        assert (
            conn.execute(text("select version_num from alembic_version")).scalar_one()
            == current_head()
        )


def test_running_the_migration_twice_changes_nothing(db):
    url, engine = db
    upgrade(url)
    assert schema_differences(engine) == []


@pytest.mark.postgres
def test_the_same_migration_runs_on_postgresql(pg_url):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        assert schema_differences(engine) == []
        assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    finally:
        engine.dispose()


def upgrade_a_full_database_from_0003(url):
    """A database at 0003 holding a customer who has an order, then upgraded."""
    upgrade(url, "0003")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (id, member_no, name, gender, joined_on,"
                " marketing_consent, created_at) VALUES"
                " (1, 'M00000001', '王晓梅', 'F', '2025-01-01', true,"
                " '2025-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO orders (id, order_no, customer_id, ordered_at, total_fen,"
                " channel) VALUES (1, 'O1', 1, '2025-01-02 00:00:00', 100, 'store')"
            )
        )
    upgrade(url)
    with engine.connect() as conn:
        consent = conn.execute(
            text("SELECT service_consent FROM customers WHERE id = 1")
        ).scalar_one()
    assert schema_differences(engine) == []
    engine.dispose()
    return consent


def test_upgrading_a_database_with_customers_and_orders_keeps_them(tmp_path):
    assert upgrade_a_full_database_from_0003(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
def test_upgrading_a_full_postgresql_database(pg_url):
    assert upgrade_a_full_database_from_0003(pg_url)
