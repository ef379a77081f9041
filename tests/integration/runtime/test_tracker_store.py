"""The tracker store the Rasa server runs with, loaded as Rasa loads it from the
endpoints salesbot writes: it stores Rasa's events and keeps each conversation's
summary current as turns are saved, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

import pytest
import yaml
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import text

from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.demo.generator import generate
from bot.runtime.servers import tracker_store_yaml
from bot.runtime.tracker_store import SummarizingTrackerStore
from tests.conftest import demo_config

# Rasa warns about slot auto-fill for any domain with slots, asked or not
pytestmark = pytest.mark.filterwarnings("ignore:Slot auto-fill:UserWarning")
STAFF = {"staff": {"username": "s01c1", "id": 1, "store_id": 1}}


def said(text_: str, intent: str, confidence: float) -> UserUttered:
    return UserUttered(
        text_,
        intent={"name": intent, "confidence": confidence},
        parse_data={
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            "text": text_,
        },
        input_channel="console",
        metadata=STAFF,
    )


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def urls(request, tmp_path, monkeypatch, knowledge):
    """(application database, tracker database), the application one migrated."""
    if request.param == "sqlite":
        app, tracker = (
            f"sqlite:///{tmp_path / 'app.db'}",
            f"sqlite:///{tmp_path / 'tracker.db'}",
        )
    else:
        app = tracker = request.getfixturevalue("pg_url")
    upgrade(app)
    generate(make_engine(app), knowledge, demo_config(customers=40), progress=False)
    monkeypatch.setenv("DATABASE_URL", app)
    return app, tracker


def _store(tracker_url: str):
    settings = yaml.safe_load(tracker_store_yaml(tracker_url))["tracker_store"]
    return create_tracker_store(EndpointConfig.from_dict(settings), _domain())


def test_saving_turns_keeps_the_conversation_summary_current(urls):
    app, tracker_url = urls
    store = _store(tracker_url)
    assert isinstance(getattr(store, "_tracker_store", store), SummarizingTrackerStore)
    sender = "console:s01c1:1:1"

    async def talk():
        tracker = await store.get_or_create_tracker(sender)
        for event in (
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            said("帮我查一下13800000000", "lookup_customer", 0.97),
            ActionExecuted("action_lookup_customer"),
            SlotSet("customer_id", "1"),
            BotUttered("【顾客卡片】"),
            ActionExecuted("action_listen"),
        ):
            tracker.update(event)
        await store.save(tracker)
        first = _summary(app, sender)
        tracker = await store.retrieve(sender)
        for event in (
            said("今天下雨吗", "nlu_fallback", 0.31),
            ActionExecuted("utter_default"),
            BotUttered("抱歉，我没太明白。"),
            ActionExecuted("action_listen"),
        ):
            tracker.update(event)
        await store.save(tracker)
        return first, _summary(app, sender)

    first, second = asyncio.run(talk())
    assert first == ("console", 1, " lookup_customer ", 0.97, False, "s01c1", 1, "1", 1)
    assert second == (
        "console",
        2,
        " lookup_customer nlu_fallback ",
        0.31,
        True,
        "s01c1",
        1,
        "1",
        1,
    )
    with make_engine(tracker_url).connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalar_one()
    assert stored == 13  # with the action_listen a new tracker starts with


def _domain() -> Domain:
    slot = {"type": "text", "influence_conversation": False}
    slot["mappings"] = [{"type": "custom"}]
    return Domain.from_dict({"slots": {"customer_id": slot}})


def _summary(app: str, sender: str):
    with make_engine(app).connect() as conn:
        row = conn.execute(
            text(
                "SELECT channel, user_turns, intents, lowest_confidence, fallback, "
                "staff, store_id, customer_ids, customer_id "
                "FROM conversation_summaries WHERE sender_id = :s"
            ),
            {"s": sender},
        ).one()
    return (*row[:4], bool(row[4]), *row[5:])


def _turn(tracker, text_: str) -> None:
    for event in (
        said(text_, "greet", 0.9),
        ActionExecuted("utter_greet"),
        BotUttered("您好"),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)


async def _first_turn(store, sender: str, text_: str):
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)
    _turn(tracker, text_)
    await store.save(tracker)
    return tracker


def _stored_texts(tracker_url: str, sender: str) -> list[str]:
    """The user messages of the conversation as stored, in order (SQL of its own)."""
    with make_engine(tracker_url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' "
                "ORDER BY id"
            ),
            {"s": sender},
        ).scalars()
        return [json.loads(data)["text"] for data in rows]


def _texts(tracker) -> list[str]:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


def test_the_next_turn_gets_the_tracker_the_last_one_saved(urls, monkeypatch):
    _, tracker_url = urls
    store = _store(tracker_url)
    monkeypatch.setenv("SALESBOT_TRACKER_CACHE", "0")
    reader = _store(tracker_url)  # reads every turn, as Rasa does
    sender = "cache-hit"

    async def talk():
        first = await _first_turn(store, sender, "一")
        second = await store.retrieve(sender)
        assert second is first
        _turn(second, "二")
        await store.save(second)
        third = await store.retrieve(sender)
        assert third is first
        return third, await reader.retrieve(sender), await reader.retrieve(sender)

    kept, read, read_again = asyncio.run(talk())
    assert read is not read_again  # without the cache every turn reads
    assert _stored_texts(tracker_url, sender) == ["一", "二"]  # none twice
    _turn(read_again, "三")
    asyncio.run(reader.save(read_again))  # saved as Rasa saves, by count
    assert _stored_texts(tracker_url, sender) == ["一", "二", "三"]
    assert len(reader.cache) == 0
    # what was kept is what reading gives, but the first turn's action_session_start
    assert [e.as_dict() for e in list(kept.events)[1:]] == [
        e.as_dict() for e in read.events
    ]


def test_a_turn_another_server_took_is_read_from_the_database(urls):
    _, tracker_url = urls
    one, other = _store(tracker_url), _store(tracker_url)
    sender = "cache-two-servers"

    async def talk():
        await _first_turn(one, sender, "一")
        elsewhere = await other.retrieve(sender)
        _turn(elsewhere, "二")
        await other.save(elsewhere)
        back = await one.retrieve(sender)
        assert _texts(back) == ["一", "二"]
        _turn(back, "三")
        await one.save(back)
        assert _texts(await other.retrieve(sender)) == ["一", "二", "三"]

    asyncio.run(talk())
    assert _stored_texts(tracker_url, sender) == ["一", "二", "三"]


def test_a_turn_that_was_not_saved_leaves_nothing_behind(urls):
    _, tracker_url = urls
    store = _store(tracker_url)
    sender = "cache-failed-turn"

    async def talk():
        await _first_turn(store, sender, "一")
        failed = await store.retrieve(sender)
        _turn(failed, "丢了")  # the turn fails before its save
        again = await store.retrieve(sender)
        assert again is not failed and _texts(again) == ["一"]
        _turn(again, "二")
        await store.save(again)

    asyncio.run(talk())
    assert _stored_texts(tracker_url, sender) == ["一", "二"]


def test_an_erased_conversation_is_not_handed_back(urls):
    _, tracker_url = urls
    store = _store(tracker_url)
    sender = "cache-erased"

    asyncio.run(_first_turn(store, sender, "一"))
    with make_engine(tracker_url).begin() as conn:  # as `salesbot forget` does
        conn.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
    assert asyncio.run(store.retrieve(sender)) is None


def test_a_new_session_is_read_afresh_as_rasa_reads_it(urls):
    _, tracker_url = urls
    store = _store(tracker_url)
    sender = "cache-new-session"

    async def talk():
        old = await _first_turn(store, sender, "一")
        same = await store.retrieve(sender)
        for event in (
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
        ):
            same.update(event)
        _turn(same, "二")
        await store.save(same)
        return old, await store.retrieve(sender)

    old, new = asyncio.run(talk())
    assert new is not old
    assert isinstance(new.events[0], SessionStarted) and _texts(new) == ["二"]
    assert _stored_texts(tracker_url, sender) == ["一", "二"]


def test_a_sqlite_tracker_store_writes_ahead(tmp_path, monkeypatch, knowledge):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    upgrade(f"sqlite:///{tmp_path / 'app.db'}")
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = _store(tracker_url)
    asyncio.run(_first_turn(store, "wal", "一"))
    with make_engine(tracker_url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
