"""A tablet's message that names a customer after a quiet spell, or at the end of a
long conversation, goes to a new bot conversation; the staff session's counter is
moved in the database (checked with SQL of its own), and other messages stay."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.conversations.summary import Summary
from bot.conversations.tablet import TabletBound
from bot.db import tables as t
from bot.db.summary_store import SummaryStore
from bot.demo.generator import generate
from bot.services.staff_auth import AuthRules, StaffAuth
from bot.services.tablet_conversations import TabletConversations
from tests.conftest import Clock, demo_config, migrated_sqlite

NOW = dt.datetime(2026, 11, 25, 4, 0)
EPOCH = NOW.replace(tzinfo=dt.timezone.utc).timestamp()


@pytest.fixture()
def tablet(tmp_path, knowledge):
    _, engine = migrated_sqlite(tmp_path / "tablet.db")
    generate(engine, knowledge, demo_config(customers=5), progress=False)
    auth = StaffAuth(engine, AuthRules(), Clock(NOW))
    token = auth.login("s01c1", "demo1234", "10.0.0.1")
    yield engine, auth, token
    engine.dispose()


def talked(engine, sender: str, turns: int, minutes_ago: float) -> None:
    last = EPOCH - minutes_ago * 60
    summary = Summary(
        sender, "console", last - 60, last, turns, ("lookup_customer",), 0.9,
        False, False, "s01c1", 1, None, (), None,
    )  # fmt: skip
    with engine.begin() as conn:
        SummaryStore(conn).put(summary, 1, None, None)


def counter(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(t.staff_sessions.c.conversation)).scalar_one()


def service(engine) -> TabletConversations:
    return TabletConversations(engine, TabletBound(10, 40), clock=lambda: EPOCH)


def test_the_next_customer_after_a_quiet_spell_gets_a_new_conversation(tablet):
    engine, auth, token = tablet
    session = auth.session(token)
    talked(engine, session.sender_id, 6, minutes_ago=12)
    moved = service(engine).for_message(session, "查13800000001")
    assert moved.conversation == session.conversation + 1 == counter(engine)
    assert auth.session(token).sender_id == moved.sender_id != session.sender_id


def test_a_busy_tablet_moves_on_once_the_conversation_is_long(tablet):
    engine, auth, token = tablet
    session = auth.session(token)
    talked(engine, session.sender_id, 39, minutes_ago=1)
    assert service(engine).for_message(session, "查13800000001") is session
    talked(engine, session.sender_id, 40, minutes_ago=1)
    assert service(engine).for_message(session, "查13800000001") is not session
    assert counter(engine) == session.conversation + 1


def test_questions_and_new_conversations_stay_where_they_are(tablet):
    engine, auth, token = tablet
    session = auth.session(token)
    tablets = service(engine)
    assert tablets.for_message(session, "查13800000001") is session  # nothing yet
    talked(engine, session.sender_id, 50, minutes_ago=30)
    assert tablets.for_message(session, "她最近买了啥") is session
    assert counter(engine) == session.conversation
