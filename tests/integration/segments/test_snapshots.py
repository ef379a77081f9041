"""Segmentation snapshots over the demo database: personas land where they belong."""

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from bot.db import tables as t
from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.demo.generator import generate
from bot.demo.personas import PERSONAS, assign_personas
from bot.services.segmentation import migration, run_segmentation, snapshot_dates
from tests.conftest import (
    DEMO_AS_OF,
    DEMO_CUSTOMERS,
    DEMO_SEED,
    SHANGHAI,
    demo_config,
    migrated_sqlite,
)

# What each persona was generated to be, as a test on its snapshot row.
EXPECTED = {
    "loyal_high": lambda s: s.value_tier == "high",
    "regular": lambda s: s.lifecycle in ("active", "reactivated"),
    "new": lambda s: s.lifecycle == "new",
    "lapsed": lambda s: s.lifecycle in ("at_risk", "churned"),
    "discount": lambda s: s.details["prefs"]["discount_seeker"],
    "new_arrival": lambda s: s.details["prefs"]["new_arrival_lover"],
    "one_off": lambda s: s.segment in ("hibernating", "lost", "about_to_sleep"),
}


def snapshots(engine, as_of=DEMO_AS_OF):
    with engine.connect() as conn:
        return conn.execute(
            select(t.segment_snapshots)
            .where(t.segment_snapshots.c.as_of == as_of)
            .order_by(t.segment_snapshots.c.customer_id)
        ).all()


def test_every_persona_lands_in_its_segment_at_least_85_percent_of_the_time(demo_db):
    rows = snapshots(demo_db[1])
    personas = assign_personas(DEMO_CUSTOMERS, DEMO_SEED)
    hits = defaultdict(list)
    for row, persona in zip(rows, personas, strict=True):
        key = PERSONAS[persona].key
        hits[key].append(EXPECTED[key](row))
    agreement = {key: sum(found) / len(found) for key, found in hits.items()}
    assert set(agreement) == set(EXPECTED)
    assert min(agreement.values()) >= 0.85, agreement


def test_every_customer_has_one_snapshot_row_and_the_run_is_recorded(demo_db):
    with demo_db[1].connect() as conn:
        customers = conn.execute(
            select(func.count()).select_from(t.customers)
        ).scalar_one()
        run = conn.execute(select(t.segment_runs)).one()
    assert len(snapshots(demo_db[1])) == customers
    assert run.as_of == DEMO_AS_OF and run.customers == customers
    assert set(run.params) == {"bgnbd", "gamma_gamma", "clv_model", "clv_problems"}
    problems = run.params["clv_problems"]
    assert run.params["clv_model"] == ("rhythm" if problems else "bgnbd")
    row = snapshots(demo_db[1])[0]
    assert (row.details["clv"]["model"], row.details["clv"]["problems"]) == (
        run.params["clv_model"],
        problems,
    )


def test_the_evidence_agrees_with_the_orders(demo_db):
    row = snapshots(demo_db[1])[0]
    with demo_db[1].connect() as conn:
        count, spend = conn.execute(
            select(func.count(), func.sum(t.orders.c.total_fen)).where(
                t.orders.c.customer_id == row.customer_id
            )
        ).one()
    assert (row.frequency, row.monetary_fen) == (count, spend)
    assert row.details["days_since_last"] == row.recency_days
    assert 0 <= row.p_alive <= 1 and row.clv_fen >= 0
    assert row.strategy


def test_running_the_same_day_again_replaces_the_snapshot(tmp_path, knowledge):
    _, engine = migrated_sqlite(tmp_path / "again.db")
    generate(engine, knowledge, demo_config(customers=60), progress=False)
    run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
    run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
    assert len(snapshots(engine)) == 60


def test_the_snapshot_is_written_in_short_transactions(
    tmp_path, knowledge, monkeypatch
):
    """A nightly run never holds the write lock for the whole write (on SQLite,
    every clerk's turn would wait behind it): a commit per batch of rows."""
    from sqlalchemy import event

    from bot.db import segment_store

    _, engine = migrated_sqlite(tmp_path / "short.db")
    generate(engine, knowledge, demo_config(customers=60), progress=False)
    monkeypatch.setattr(segment_store, "WRITE", 10)
    commits = []
    event.listen(engine, "commit", lambda conn: commits.append(1))
    run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
    assert len(commits) >= 60 // 10
    assert len(snapshots(engine)) == 60
    assert snapshot_dates(engine) == [DEMO_AS_OF]


def test_counts_come_from_the_latest_finished_run(tmp_path, knowledge):
    """Rows of a run still being written (no run recorded yet) are not counted."""
    from sqlalchemy import delete

    from bot.services.segmentation import distribution

    _, engine = migrated_sqlite(tmp_path / "runs.db")
    generate(engine, knowledge, demo_config(customers=40), progress=False)
    earlier = DEMO_AS_OF - dt.timedelta(days=30)
    run_segmentation(engine, knowledge, earlier, SHANGHAI)
    run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
    with engine.begin() as conn:
        conn.execute(delete(t.segment_runs).where(t.segment_runs.c.as_of == DEMO_AS_OF))
        half = conn.execute(
            select(t.segment_snapshots.c.customer_id)
            .where(t.segment_snapshots.c.as_of == DEMO_AS_OF)
            .limit(20)
        ).scalars()
        conn.execute(
            delete(t.segment_snapshots).where(
                t.segment_snapshots.c.as_of == DEMO_AS_OF,
                t.segment_snapshots.c.customer_id.in_(list(half)),
            )
        )
    counts = distribution(engine, DEMO_AS_OF)
    assert sum(n for _, n in counts) == 40  # the earlier, whole run


def test_migration_counts_every_customer_in_both_snapshots(tmp_path, knowledge):
    _, engine = migrated_sqlite(tmp_path / "two.db")
    generate(engine, knowledge, demo_config(customers=80), progress=False)
    earlier = DEMO_AS_OF - dt.timedelta(days=90)
    run_segmentation(engine, knowledge, earlier, SHANGHAI)
    run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
    pairs = migration(engine, earlier, DEMO_AS_OF)
    assert snapshot_dates(engine) == [earlier, DEMO_AS_OF]
    assert sum(n for _, _, n in pairs) == 80
    assert any(
        before == "prospect" and after != "prospect" for before, after, _ in pairs
    )


def fields(row) -> tuple:
    return (
        row.customer_id,
        row.segment,
        row.value_tier,
        row.lifecycle,
        row.recency_days,
        row.strategy,
    )


@pytest.mark.postgres
def test_postgresql_gives_the_same_snapshot_as_sqlite(pg_url, tmp_path, knowledge):
    upgrade(pg_url)
    pg = make_engine(pg_url)
    _, lite = migrated_sqlite(tmp_path / "same.db")
    try:
        for engine in (pg, lite):
            generate(engine, knowledge, demo_config(customers=120), progress=False)
            run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
        assert [fields(r) for r in snapshots(pg)] == [
            fields(r) for r in snapshots(lite)
        ]
    finally:
        pg.dispose()
