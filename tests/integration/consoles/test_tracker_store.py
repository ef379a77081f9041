"""Reading Rasa's tracker table on SQLite and PostgreSQL, and the tracker-store
settings the servers are started with."""

from __future__ import annotations

import json

import pytest
import yaml
from sqlalchemy import insert

from bot.db.engine import make_engine
from bot.db.tracker_store import TrackerStore, events
from bot.runtime.servers import tracker_store_yaml


def test_tracker_store_settings_for_sqlite_and_postgresql(tmp_path):
    lite = yaml.safe_load(tracker_store_yaml(f"sqlite:///{tmp_path / 'x' / 't.db'}"))
    assert lite["tracker_store"] == {
        "type": "bot.runtime.tracker_store.SummarizingTrackerStore",
        "dialect": "sqlite",
        "db": str(tmp_path / "x" / "t.db"),
    }
    assert (tmp_path / "x").is_dir()
    pg = yaml.safe_load(tracker_store_yaml("postgresql://bot:pw@db.local:5433/tracker"))
    assert pg["tracker_store"] == {
        "type": "bot.runtime.tracker_store.SummarizingTrackerStore",
        "dialect": "postgresql",
        "url": "db.local",
        "port": 5433,
        "db": "tracker",
        "username": "bot",
        "password": "pw",
    }


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def tracker(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'tracker.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    engine = make_engine(url)
    events.metadata.create_all(engine)
    yield TrackerStore(engine)
    engine.dispose()


def test_reads_slots_senders_and_deletes(tracker):
    rows = [
        ("console:a:1:1", "user", 100.0, {"event": "user", "text": "查13800000000"}),
        (
            "console:a:1:1",
            "slot",
            101.0,
            {"event": "slot", "name": "customer_id", "value": "7"},
        ),
        (
            "console:a:1:1",
            "slot",
            102.0,
            {"event": "slot", "name": "customer_id", "value": "9"},
        ),
        ("wx:oB", "user", 500.0, {"event": "user", "text": "你好"}),
    ]
    with tracker._engine.begin() as conn:
        for sender, kind, at, data in rows:
            conn.execute(
                insert(events).values(
                    sender_id=sender,
                    type_name=kind,
                    timestamp=at,
                    data=json.dumps(data),
                )
            )
    assert tracker.customer_in_context("console:a:1:1") == 9
    assert tracker.customer_in_context("wx:oB") is None
    assert sorted(tracker.senders()) == ["console:a:1:1", "wx:oB"]
    assert tracker.senders_about(7) == ["console:a:1:1"]
    assert [e["text"] for e in tracker.events_of(["wx:oB"])["wx:oB"]] == ["你好"]
    assert tracker.delete_before(200) == 3
    assert tracker.delete_senders(["wx:oB"]) == 1


def test_a_tracker_without_its_table_reads_as_empty(tmp_path):
    store = TrackerStore(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    assert store.senders() == []
    assert store.customer_in_context("x") is None
    assert store.delete_before(1e12) == 0
