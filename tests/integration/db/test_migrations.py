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
