"""Staff login, retention and erasure against real databases (the tracker store is a
real SQLite file with Rasa's own table)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from sqlalchemy import func, insert, select, text

from bot.db import tables as t
from bot.db.tracker_store import TrackerStore, events
from bot.demo.generator import generate
from bot.services.conversation_index import ConversationIndex
from bot.services.conversations import ConversationLog, Viewer, export_corrections
from bot.services.customers import Actor
from bot.services.handoff import HandoffService
from bot.services.privacy import ERASED_NAME, forget, purge
from bot.services.staff_auth import AuthRules, LoginRefused, StaffAuth
from bot.services.wechat_windows import WindowService
from tests.conftest import SHANGHAI, Clock, demo_config, migrated_sqlite

NOW = dt.datetime(2026, 11, 25, 4, 0)


@pytest.fixture()
def world(tmp_path, knowledge):
    url, engine = migrated_sqlite(tmp_path / "app.db")
    generate(engine, knowledge, demo_config(customers=40), progress=False)
    tracker_engine = migrated_tracker(tmp_path / "tracker.db")
    yield engine, TrackerStore(tracker_engine)
    engine.dispose()
    tracker_engine.dispose()


def migrated_tracker(path):
    from bot.db.engine import make_engine

    engine = make_engine(f"sqlite:///{path}")
    events.metadata.create_all(engine)
    return engine


def add_events(world, sender: str, rows: list[dict], at: float):
    """Events as Rasa stores them, and folded into the summaries as the tracker
    store does."""
    engine, tracker = world
    stored = [{**row, "timestamp": at + n} for n, row in enumerate(rows)]
    ConversationIndex(engine).record(sender, stored)
    with tracker._engine.begin() as conn:
        for n, row in enumerate(rows):
            conn.execute(
                insert(events).values(
                    sender_id=sender,
                    type_name=row["event"],
                    timestamp=at + n,
                    intent_name=None,
                    action_name=row.get("name"),
                    data=json.dumps({**row, "timestamp": at + n}),
                )
            )


def conversation_about(customer_id: int, text: str) -> list[dict]:
    staff = {"staff": {"username": "s01c1", "id": 1, "store_id": 1}}
    return [
        {
            "event": "user",
            "text": text,
            "input_channel": "console",
            "parse_data": {"intent": {"name": "lookup_customer", "confidence": 0.4}},
            "metadata": staff,
        },
        {"event": "slot", "name": "customer_id", "value": str(customer_id)},
        {"event": "bot", "text": "【顾客卡片】"},
    ]


def test_login_lockout_and_sessions(world):
    engine, _ = world
    clock = Clock(NOW)
    auth = StaffAuth(engine, AuthRules(max_failures=3, lockout_minutes=15), clock)
    with pytest.raises(LoginRefused):
        auth.login("nobody", "x", "10.0.0.1")
    for _ in range(2):
        with pytest.raises(LoginRefused, match="wrong"):
            auth.login("s01c1", "bad", "10.0.0.1")
    with pytest.raises(LoginRefused, match="locked"):
        auth.login("s01c1", "bad", "10.0.0.1")
    with pytest.raises(LoginRefused, match="locked"):
        auth.login("s01c1", "demo1234", "10.0.0.1")
    clock.now += dt.timedelta(minutes=15, seconds=1)
    token = auth.login("s01c1", "demo1234", "10.0.0.1")
    session = auth.session(token)
    assert (session.username, session.role, session.store_id) == ("s01c1", "clerk", 1)
    with engine.connect() as conn:
        stored = conn.execute(select(t.staff_sessions.c.token_hash)).scalar_one()
    assert token not in stored and auth.session(stored) is None
    auth.new_conversation(session)
    assert auth.session(token).sender_id.endswith(":2")
    clock.now += dt.timedelta(hours=12)
    assert auth.session(token) is None
    auth.logout(token)


@pytest.mark.postgres
def test_failures_on_two_servers_at_once_all_count(pg_url, knowledge):
    """Guesses sent to several console servers at the same moment: each counts,
    so the account locks after `max_failures` whatever the concurrency."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade

    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        generate(engine, knowledge, demo_config(customers=10), progress=False)
        rules = AuthRules(max_failures=8, lockout_minutes=15)
        servers = [StaffAuth(engine, rules, Clock(NOW)) for _ in range(8)]
        start = Barrier(8)

        def guess(auth):
            start.wait()
            with pytest.raises(LoginRefused):
                auth.login("s01c1", "guess", "203.0.113.7")

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(guess, servers))
        with engine.connect() as conn:
            locked = conn.execute(
                select(t.staff.c.locked_until).where(t.staff.c.username == "s01c1")
            ).scalar_one()
        assert locked is not None
        with pytest.raises(LoginRefused, match="locked"):
            servers[0].login("s01c1", "demo1234", "203.0.113.8")
    finally:
        engine.dispose()


def test_forget_erases_her_and_her_conversations_only(world):
    engine, tracker = world
    add_events(world, "console:s01c1:1:1", conversation_about(1, "查13800000000"), 1e9)
    add_events(world, "console:s01c1:1:2", conversation_about(2, "查13800000001"), 1e9)
    with engine.begin() as conn:
        conn.execute(
            t.customers.update()
            .where(t.customers.c.id == 1)
            .values(wechat_openid="oW1")
        )
    add_events(world, "wx:oW1", conversation_about(1, "我的会员等级"), 1e9)
    HandoffService(engine, _knowledge()).open(
        Actor("wx:oW1", "wechat"), "oW1", 1, "转人工"
    )
    done = forget(engine, tracker, 1, Actor("cli", "cli"))
    assert done["conversation events"] == 6 and done["handoffs"] == 1
    assert done["conversation summaries"] == 2
    assert _summarised(engine) == {"console:s01c1:1:2": 1}
    assert tracker.senders_about(1) == [] and tracker.senders_about(2) == [
        "console:s01c1:1:2"
    ]
    with engine.connect() as conn:
        row = conn.execute(select(t.customers).where(t.customers.c.id == 1)).one()
        orders = conn.execute(
            select(func.count()).where(t.orders.c.customer_id == 1)
        ).scalar_one()
        audited = (
            conn.execute(
                select(t.audit_log.c.action).where(t.audit_log.c.customer_id == 1)
            )
            .scalars()
            .all()
        )
    assert (row.name, row.phone, row.wechat_openid) == (ERASED_NAME, None, None)
    assert row.member_no.startswith("DEL") and not row.marketing_consent
    assert orders > 0  # kept for the books, pointing to the anonymised row
    assert "forget_customer" in audited


def test_purge_deletes_only_what_is_older_than_the_retention(world):
    engine, tracker = world
    old = (NOW - dt.timedelta(days=200)).replace(tzinfo=dt.timezone.utc).timestamp()
    new = (NOW - dt.timedelta(days=10)).replace(tzinfo=dt.timezone.utc).timestamp()
    add_events(world, "console:a:1:1", conversation_about(1, "old"), old)
    add_events(world, "console:a:1:2", conversation_about(2, "new"), new)
    add_events(world, "console:a:1:3", conversation_about(1, "old"), old)
    add_events(world, "console:a:1:3", conversation_about(1, "again"), new)
    assert _summarised(engine)["console:a:1:3"] == 2
    counts = purge(engine, tracker, 180, clock=Clock(NOW))
    assert counts["conversation events"] == 6
    assert counts["conversation summaries"] == 1
    assert tracker.events_of(["console:a:1:2"])["console:a:1:2"]
    # what is left of the conversation that spanned the cutoff is its recent turn
    assert _summarised(engine) == {"console:a:1:2": 1, "console:a:1:3": 1}


def _summarised(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text("SELECT sender_id, user_turns FROM conversation_summaries")
            ).all()
        )


def test_flags_become_nlu_training_data(world):
    engine, tracker = world
    at = NOW.replace(tzinfo=dt.timezone.utc).timestamp()
    add_events(world, "console:s01c1:1:1", conversation_about(1, "查13800000000"), at)
    log = ConversationLog(engine, tracker, SHANGHAI, ["lookup_customer", "ask_history"])
    manager = Viewer(13, "s01m", "manager", 1)
    (row,) = log.rows(manager, _filters())
    assert row.customer.endswith("*") and row.lowest_confidence == 0.4
    view = log.transcript(manager, "console:s01c1:1:1")
    assert view.turns[0].text == "查138****0000"
    turn = view.turns[0]
    with pytest.raises(ValueError, match="没有这个意图"):
        log.flag(manager, "console:s01c1:1:1", turn.event_id, "no_such")
    with pytest.raises(ValueError, match="请先选择"):
        log.flag(manager, "console:s01c1:1:1", turn.event_id, "")
    with pytest.raises(ValueError, match="和机器人的判断相同"):
        log.flag(manager, "console:s01c1:1:1", turn.event_id, turn.intent)
    log.flag(manager, "console:s01c1:1:1", turn.event_id, "ask_history")
    text, count = export_corrections(engine)
    data = yaml.safe_load(text)
    assert count == 1
    assert data["nlu"] == [{"intent": "ask_history", "examples": "- 查138****0000\n"}]
    other_store = Viewer(14, "s02m", "manager", 2)
    assert log.rows(other_store, _filters()) == []
    assert [i for i, _ in log.stores(other_store)] == [2]
    head_office = Viewer(99, "hq", "head_office", None)
    assert len(log.stores(head_office)) > 1


def _filters():
    from bot.services.conversations import Filters

    return Filters(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))


def _knowledge():
    from bot.config import knowledge_dir
    from bot.knowledge import load_knowledge

    return load_knowledge(knowledge_dir())


def test_a_transcript_lists_only_its_own_clerks_suggestions(world):
    engine, tracker = world
    at = NOW.replace(tzinfo=dt.timezone.utc).timestamp()
    add_events(world, "console:s01c1:1:1", conversation_about(1, "查"), at)
    with engine.begin() as conn:
        conn.execute(
            insert(t.recommendation_log),
            [
                {
                    "customer_id": 1,
                    "product_id": product,
                    "kind": "personal",
                    "reason": "x",
                    "channel": "console",
                    "staff_id": staff,
                    "shown_at": NOW,
                    "outcome": outcome,
                }
                for product, staff, outcome in [(1, 1, "bought"), (2, 6, None)]
            ],
        )
    log = ConversationLog(engine, tracker, SHANGHAI, ["lookup_customer"])
    view = log.transcript(Viewer(0, "hq", "head_office", None), "console:s01c1:1:1")
    with engine.connect() as conn:
        first = conn.execute(select(t.products.c.name).where(t.products.c.id == 1))
        name = first.scalar_one()
    assert view.suggestions == ((name, "personal", "bought"),)


def test_a_transcript_holds_the_handoff_part_in_order_and_masked(world):
    engine, tracker = world
    with engine.begin() as conn:
        conn.execute(
            t.customers.update()
            .where(t.customers.c.id == 1)
            .values(wechat_openid="oW1")
        )
    opened = NOW - dt.timedelta(minutes=30)
    she_asked = [
        {
            "event": "user",
            "text": "转人工",
            "input_channel": "wechat",
            "parse_data": {"intent": {"name": "human_handoff", "confidence": 0.9}},
        },
        {"event": "bot", "text": "好的，正在为您转接"},
    ]
    at = opened.replace(tzinfo=dt.timezone.utc).timestamp() - 10
    add_events(world, "wx:oW1", she_asked, at)
    clock = Clock(NOW)
    clock.now = opened
    handoff = HandoffService(engine, _knowledge(), clock=clock)
    handoff_id, _ = handoff.open(Actor("wx:oW1", "wechat"), "oW1", 1, "转人工")
    clock.now = opened + dt.timedelta(minutes=1)
    handoff.customer_said(handoff_id, "我电话13800000001，衣服破了")
    WindowService(engine, clock).interacted("oW1", "text")  # she wrote: WeChat opens
    clock.now = opened + dt.timedelta(minutes=2)
    handoff.reply(handoff_id, "s01c1", "您好，我马上帮您看", lambda o, x: None)
    log = ConversationLog(engine, tracker, SHANGHAI, ["lookup_customer"])
    head_office = Viewer(99, "hq", "head_office", None)
    view = log.transcript(head_office, "wx:oW1")
    said = [(turn.author, turn.text, turn.handoff) for turn in view.turns]
    assert said == [
        ("customer", "转人工", False),
        ("bot", "好的，正在为您转接", False),
        ("customer", "我电话138****0001，衣服破了", True),
        ("clerk", "您好，我马上帮您看", True),
    ]


def test_a_tracker_not_created_yet_reads_empty_and_says_so(tmp_path):
    from bot.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    tracker = TrackerStore(engine)
    assert not tracker.exists()
    assert tracker.senders() == []
    assert tracker.events_of(["x"]) == {"x": []}
    assert tracker.delete_before(1e12) == 0
    assert tracker.senders_about(1) == []
    assert tracker.delete_senders(["x"]) == 0
    events.metadata.create_all(engine)
    assert tracker.exists()
    engine.dispose()


def test_an_unreachable_tracker_raises_instead_of_reading_empty():
    from bot.db.engine import make_engine
    from bot.db.tracker_store import TrackerUnavailable

    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")  # nothing listens
    tracker = TrackerStore(engine)
    for call in (
        tracker.senders,
        lambda: tracker.events_of(["x"]),
        lambda: tracker.delete_before(1e12),
        lambda: tracker.senders_about(1),
        lambda: tracker.delete_senders(["x"]),
        tracker.exists,
    ):
        with pytest.raises(TrackerUnavailable, match="127.0.0.1:1"):
            call()
    engine.dispose()


def test_erasure_with_an_unreachable_tracker_erases_nothing(world):
    from bot.db.engine import make_engine
    from bot.db.tracker_store import TrackerUnavailable

    engine, _ = world
    broken = TrackerStore(make_engine("postgresql://nobody@127.0.0.1:1/none"))
    with pytest.raises(TrackerUnavailable):
        forget(engine, broken, 1, Actor("cli", "cli"))
    broken._engine.dispose()
    with engine.connect() as conn:
        name = conn.execute(text("SELECT name FROM customers WHERE id = 1")).scalar()
        audits = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'forget_customer'")
        ).scalar()
    assert name != ERASED_NAME
    assert audits == 0
