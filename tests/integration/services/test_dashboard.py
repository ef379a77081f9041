"""The dashboard's figures are scoped to the manager's store (head office: all, or
the store picked), checked against separate SQL on the segmented demo database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from bot.db.tracker_store import TrackerStore
from bot.presenters.dashboard import migration_chart
from bot.services.conversations import ConversationLog, Filters, Viewer
from bot.services.dashboard import Dashboard
from tests.conftest import DEMO_AS_OF, SHANGHAI

HQ = Viewer(99, "hq", "head_office", None)
MANAGER = Viewer(20, "s02m", "manager", 2)


def board(engine, tmp_path) -> Dashboard:
    from bot.db.engine import make_engine

    tracker = TrackerStore(make_engine(f"sqlite:///{tmp_path / 'tracker.db'}"))
    log = ConversationLog(engine, tracker, SHANGHAI, [])
    return Dashboard(engine, log, SHANGHAI, 7, 48)


def _filters(store_id=None) -> Filters:
    return Filters(DEMO_AS_OF - dt.timedelta(days=6), DEMO_AS_OF, store_id=store_id)


def test_segments_and_planned_care_count_only_her_stores_customers(demo_db, tmp_path):
    _, engine = demo_db
    dashboard = board(engine, tmp_path)
    with engine.connect() as conn:
        expected = dict(
            conn.execute(
                text(
                    "SELECT s.segment, count(*) FROM segment_snapshots s "
                    "JOIN customers c ON c.id = s.customer_id "
                    "WHERE c.home_store_id = 2 AND s.as_of = "
                    "(SELECT max(as_of) FROM segment_snapshots WHERE as_of <= :d) "
                    "GROUP BY s.segment"
                ),
                {"d": DEMO_AS_OF},
            ).all()
        )
        everyone = conn.execute(
            text(
                "SELECT count(*) FROM segment_snapshots WHERE as_of = "
                "(SELECT max(as_of) FROM segment_snapshots WHERE as_of <= :d)"
            ),
            {"d": DEMO_AS_OF},
        ).scalar_one()
    hers = dashboard.segments(MANAGER, _filters(store_id=5))  # her store, not 5
    assert dict(hers.counts) == expected and sum(expected.values()) < everyone
    assert sum(n for _, n in dashboard.segments(HQ, _filters()).counts) == everyone
    picked = dashboard.segments(HQ, _filters(store_id=2))
    assert dict(picked.counts) == expected


def test_migration_never_compares_a_snapshot_with_itself(demo_db, tmp_path):
    _, engine = demo_db
    figures = board(engine, tmp_path).migration(HQ, _filters())
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT count(*) FROM segment_runs")).scalar_one()
    if runs < 2:
        assert figures.pairs == () and figures.before is None
        chart = migration_chart(figures, [], {})
        assert "只有一次分群快照" in chart["empty"]
    else:
        assert figures.before < figures.after


def test_top_intents_follow_the_intent_filter(tmp_path, knowledge):
    from bot.demo.generator import generate
    from bot.services.conversation_index import ConversationIndex
    from tests.conftest import demo_config, migrated_sqlite

    _, engine = migrated_sqlite(tmp_path / "app.db")
    generate(engine, knowledge, demo_config(customers=20), progress=False)
    at = dt.datetime(2026, 11, 19, 3, tzinfo=dt.timezone.utc).timestamp()
    index = ConversationIndex(engine)
    for n, intents in enumerate([("greet", "affirm"), ("greet",), ("deny",)]):
        index.record(
            f"console:s01c1:{n}:1",
            [
                {
                    "event": "user",
                    "timestamp": at + n,
                    "input_channel": "console",
                    "parse_data": {"intent": {"name": i, "confidence": 0.9}},
                }
                for i in intents
            ],
        )
    dashboard = board(engine, tmp_path)
    week = _filters()
    assert dashboard.conversations(HQ, week).intents == (
        ("greet", 2),
        ("affirm", 1),
        ("deny", 1),
    )
    only = Filters(week.start, week.end, intent="affirm")
    assert dashboard.conversations(HQ, only).intents == (("affirm", 1), ("greet", 1))
