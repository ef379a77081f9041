"""Conversation summaries written turn by turn, rebuilt from the tracker, and the
managers' list read from them with its filters and pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import insert, text

from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.db.tracker_store import TrackerStore, events
from bot.demo.generator import generate
from bot.services.conversation_index import ConversationIndex
from bot.services.conversations import ConversationLog, Filters, Viewer
from tests.conftest import SHANGHAI, demo_config

DAY = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc).timestamp()
HQ = Viewer(99, "hq", "head_office", None)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(request, tmp_path, knowledge):
    url = (
        f"sqlite:///{tmp_path / 'app.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    upgrade(url)
    engine = make_engine(url)
    generate(engine, knowledge, demo_config(customers=40), progress=False)
    tracker_engine = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    events.metadata.create_all(tracker_engine)
    yield engine, TrackerStore(tracker_engine)
    engine.dispose()
    tracker_engine.dispose()


def turn(text_: str, intent: str, confidence: float, store: int) -> list[dict]:
    staff = {"staff": {"username": f"s{store:02d}c1", "id": store, "store_id": store}}
    return [
        {
            "event": "user",
            "text": text_,
            "input_channel": "console",
            "parse_data": {"intent": {"name": intent, "confidence": confidence}},
            "metadata": staff,
        },
        {"event": "bot", "text": "好的"},
    ]


def say(world, sender: str, rows: list[dict], at: float) -> None:
    """Stored in the tracker and folded into the summary, as the tracker store does."""
    engine, tracker = world
    stored = [{**row, "timestamp": at + n} for n, row in enumerate(rows)]
    with tracker._engine.begin() as conn:
        for row in stored:
            conn.execute(
                insert(events).values(
                    sender_id=sender,
                    type_name=row["event"],
                    timestamp=row["timestamp"],
                    data=json.dumps(row),
                )
            )
    ConversationIndex(engine).record(sender, stored)


def _log(engine, tracker):
    return ConversationLog(engine, tracker, SHANGHAI, ["greet"], segment_names={})


def _filters(**kw) -> Filters:
    return Filters(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20), **kw)


def test_filters_pages_and_store_scoping_read_the_summaries(world):
    engine, tracker = world
    for n in range(7):
        store = 1 if n < 5 else 2
        say(world, f"console:c:{n}:1", turn("你好", "greet", 0.9, store), DAY + n * 60)
    say(world, "console:c:0:1", turn("嗯", "lookup", 0.3, 1), DAY + 3600)
    say(world, "console:c:1:1", turn("转人工", "lookup_customer", 0.8, 1), DAY + 10)
    say(world, "console:old:1", turn("你好", "greet", 0.9, 1), DAY - 30 * 86400)
    log = _log(engine, tracker)
    page = log.page(HQ, _filters(), 0, 3)
    assert page.total == 7 and [r.sender_id for r in page.rows] == [
        "console:c:6:1",
        "console:c:5:1",
        "console:c:4:1",
    ]
    assert len(log.page(HQ, _filters(), 6, 3).rows) == 1
    # an intent matches whole, `_` is not a wildcard
    found = log.rows(HQ, _filters(intent="lookup"))
    assert [r.sender_id for r in found] == ["console:c:0:1"]
    assert [r.sender_id for r in log.rows(HQ, _filters(intent="lookup_custome"))] == []
    low = log.rows(HQ, _filters(low_confidence=True))
    assert [(r.sender_id, r.turns) for r in low] == [("console:c:0:1", 2)]
    manager = Viewer(20, "s02m", "manager", 2)
    assert {r.sender_id for r in log.rows(manager, _filters())} == {
        "console:c:5:1",
        "console:c:6:1",
    }
    clerk = Viewer(1, "s01c1", "clerk", 1)
    assert log.page(clerk, _filters()).total == 0
    assert log.rows(HQ, _filters(store_id=2, channel="wechat")) == []


def test_rebuilding_from_the_tracker_gives_the_rows_written_turn_by_turn(world):
    engine, tracker = world
    say(world, "console:a:1:1", turn("查13800000000", "lookup_customer", 0.9, 1), DAY)
    say(world, "console:a:1:1", turn("没听懂", "nlu_fallback", 0.2, 1), DAY + 50)
    say(world, "console:a:2:1", turn("你好", "greet", 0.9, 2), DAY + 100)
    before = _rows(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM conversation_summaries"))
    assert ConversationIndex(engine).reindex(tracker) == 2
    assert _rows(engine) == before and len(before) == 2


def _rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text("SELECT * FROM conversation_summaries ORDER BY sender_id")
            )
        ]


def test_the_dashboard_counts_per_local_day_and_channel(world):
    from bot.services.dashboard import Dashboard

    engine, tracker = world
    # 23:30 and 00:30 in Shanghai: two local days, one UTC day
    late = dt.datetime(2026, 11, 18, 15, 30, tzinfo=dt.timezone.utc).timestamp()
    say(world, "console:d:1:1", turn("你好", "greet", 0.9, 1), late)
    say(world, "console:d:2:1", turn("你好", "greet", 0.9, 1), late + 3600)
    say(world, "console:d:3:1", turn("没听懂", "nlu_fallback", 0.2, 2), late + 3700)
    figures = Dashboard(engine, _log(engine, tracker), SHANGHAI, 7, 48).conversations(
        HQ, _filters()
    )
    days = {(d.day.isoformat(), d.conversations, d.fallback) for d in figures.days}
    assert days == {("2026-11-18", 1, 0), ("2026-11-19", 2, 1)}
    assert figures.intents == (("greet", 2), ("nlu_fallback", 1))
