"""The tracker store the Rasa server runs with, loaded as Rasa loads it from the
endpoints salesbot writes: it stores Rasa's events and keeps each conversation's
summary current as turns are saved, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

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
