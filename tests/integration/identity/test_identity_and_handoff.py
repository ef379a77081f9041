"""Binding and the handoff queue against real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from bot.db import tables as t
from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.identity.codes import Check, SendRefusal
from bot.services.customers import Actor
from bot.services.handoff import HandoffError, HandoffService
from bot.services.identity import IdentityService
from tests.conftest import Clock

T0 = dt.datetime(2026, 11, 25, 4, 0)


def fill(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(t.stores).values(id=1, code="S01", name="静安店", city="上海")
        )
        conn.execute(
            insert(t.staff).values(
                id=1,
                username="s01c1",
                display_name="小李",
                role="clerk",
                store_id=1,
                password_hash="x",
                active=True,
                created_at=T0,
            )
        )
        conn.execute(
            insert(t.customers),
            [
                {
                    "id": n,
                    "member_no": f"M{n:08d}",
                    "name": name,
                    "phone": phone,
                    "gender": "F",
                    "wechat_openid": openid,
                    "home_store_id": 1,
                    "joined_on": dt.date(2025, 1, 1),
                    "marketing_consent": True,
                    "created_at": T0,
                }
                for n, name, phone, openid in [
                    (1, "王晓梅", "13800000001", "oOldPhone0001"),
                    (2, "李娜", "13800000002", None),
                ]
            ],
        )


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def engine(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'identity.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    upgrade(url)
    engine = make_engine(url)
    fill(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def clock():
    return Clock(T0)


@pytest.fixture()
def sent():
    return []


@pytest.fixture()
def identity(engine, knowledge, clock, sent):
    return IdentityService(
        engine, knowledge, lambda phone, code: sent.append((phone, code)), clock
    )


def actor(openid: str) -> Actor:
    return Actor(f"wx:{openid}", "wechat")


def test_a_verified_code_binds_and_replaces_the_old_account(identity, engine, sent):
    request = identity.request_code("oNewPhone0001", "138-0000-0001", actor("n"))
    assert (request.masked_phone, request.refused) == ("138****0001", None)
    ((phone, code),) = sent
    assert phone == "13800000001"
    assert identity.verify("oNewPhone0001", code, actor("n")).verdict is Check.OK
    assert identity.bound_customer("oNewPhone0001") == 1
    assert identity.bound_customer("oOldPhone0001") is None
    with engine.connect() as conn:
        actions = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.detail).order_by(
                t.audit_log.c.id
            )
        ).all()
        stored = conn.execute(select(t.verification_codes.c.code_hash)).scalar_one()
    assert [a for a, _ in actions] == ["request_code", "bind_wechat"]
    assert actions[1][1] == {"replaced_account": True, "moved_from": None}
    assert code not in stored


def test_a_used_code_cannot_be_used_again(identity, sent):
    identity.request_code("oNewPhone0001", "13800000002", actor("n"))
    code = sent[-1][1]
    assert identity.verify("oNewPhone0001", code, actor("n")).verdict is Check.OK
    assert identity.verify("oThief000001", code, actor("t")).verdict is Check.NO_CODE
    assert identity.verify("oNewPhone0001", code, actor("n")).verdict is Check.NO_CODE


def test_a_phone_of_no_member_gets_no_code_but_the_same_answer(identity, sent):
    member = identity.request_code("oProbe000001", "13800000002", actor("p"))
    nobody = identity.request_code("oProbe000002", "13900000009", actor("q"))
    assert (member.refused, nobody.refused) == (None, None)
    assert [phone for phone, _ in sent] == ["13800000002"]
    for guess in ("000000", "123456"):
        verdict = identity.verify("oProbe000002", guess, actor("q")).verdict
        assert verdict is Check.WRONG


def test_codes_are_rate_limited_per_user_and_per_phone(identity, clock, sent):
    assert (
        identity.request_code("oA0000000001", "13800000002", actor("a")).refused is None
    )
    again = identity.request_code("oA0000000001", "13800000002", actor("a"))
    assert again.refused is SendRefusal.TOO_SOON
    for n in range(2, 6):
        clock.advance(seconds=61)
        got = identity.request_code(f"oA000000000{n}", "13800000002", actor("x"))
        assert got.refused is None
    clock.advance(seconds=61)
    sixth = identity.request_code("oA0000000009", "13800000002", actor("y"))
    assert sixth.refused is SendRefusal.TOO_MANY
    assert len(sent) == 5
    clock.advance(hours=1)
    assert (
        identity.request_code("oA0000000009", "13800000002", actor("y")).refused is None
    )


def test_expired_codes_fail(identity, clock, sent):
    identity.request_code("oLate0000001", "13800000002", actor("l"))
    clock.advance(minutes=5)
    verdict = identity.verify("oLate0000001", sent[-1][1], actor("l")).verdict
    assert verdict is Check.EXPIRED


def test_inbound_messages_are_recorded_once(identity):
    assert identity.record_inbound("wechat", "m1", "oOldPhone0001", "text")
    assert not identity.record_inbound("wechat", "m1", "oOldPhone0001", "text")
    assert identity.record_inbound("wechat", "m2", "oOldPhone0001", "text")


def test_owns_only_her_own_numbers(identity):
    assert identity.owns(1, "phone", "138 0000 0001")
    assert identity.owns(1, "member_no", "m00000001")
    assert not identity.owns(1, "phone", "13800000002")
    assert not identity.owns(1, "phone", "12")


@pytest.fixture()
def handoff(engine, knowledge, clock):
    return HandoffService(engine, knowledge, clock)


@pytest.fixture()
def she_wrote(engine, clock):
    """She wrote on WeChat: her customer-service window opens (the channel does it)."""
    from bot.services.wechat_windows import WindowService

    windows = WindowService(engine, clock)
    return lambda kind="text": windows.interacted("oOldPhone0001", kind)


def test_handoff_queue_reply_and_close(handoff, engine, she_wrote):
    who = actor("oOldPhone0001")
    first, opened = handoff.open(who, "oOldPhone0001", 1, "退货怎么办")
    again, opened_again = handoff.open(who, "oOldPhone0001", 1, "在吗")
    assert (opened, opened_again, again) == (True, False, first)
    assert handoff.waiting(who.sender_id) == first
    (entry,) = handoff.queue(store_id=1)
    assert entry.customer == "王**"
    assert handoff.queue(store_id=2) == []
    handoff.customer_said(first, "在吗")
    she_wrote()
    assert entry.window is None  # read before she wrote
    assert handoff.queue(store_id=1)[0].window.quota == 5
    delivered = []
    handoff.reply(
        first, "s01c1", "您好，我是小李", lambda o, x: delivered.append((o, x))
    )
    assert delivered == [("oOldPhone0001", "您好，我是小李")]
    assert [m.author for m in handoff.thread(first)] == [
        "customer",
        "customer",
        "staff",
    ]
    handoff.close(first, "s01c1")
    assert handoff.waiting(who.sender_id) is None
    with pytest.raises(HandoffError):
        handoff.reply(first, "s01c1", "还在吗", lambda o, x: None)


def test_her_messages_stay_apart_and_phones_and_codes_are_masked_for_clerks(
    handoff, engine
):
    said = ["我的手机号是13800000001，收到的码是123456", "衣服破了", "转人工"]
    first, _ = handoff.open(actor("oOldPhone0001"), "oOldPhone0001", 1, said)
    (entry,) = handoff.queue(store_id=1)
    assert entry.reason == "转人工"  # her request, not three messages glued
    bodies = [m.body for m in handoff.thread(first)]
    assert bodies == ["我的手机号是138****0001，收到的码是******", "衣服破了", "转人工"]
    with engine.connect() as conn:  # kept as she wrote it, masked only when read
        stored = conn.execute(
            select(t.handoff_messages.c.body)
            .where(t.handoff_messages.c.handoff_id == first)
            .order_by(t.handoff_messages.c.id)
        ).scalars()
        assert list(stored) == said


def test_a_failed_reply_is_kept_and_reported(handoff, she_wrote):
    first, _ = handoff.open(actor("oOldPhone0001"), "oOldPhone0001", 1, "转人工")
    she_wrote()

    def broken(openid, text):
        raise OSError("WeChat unreachable")

    with pytest.raises(HandoffError, match="not delivered"):
        handoff.reply(first, "s01c1", "您好", broken)
    (reply,) = [m for m in handoff.thread(first) if m.author == "staff"]
    assert reply.delivery == "failed"


def test_replies_wechat_would_refuse_are_refused_before_sending(
    handoff, she_wrote, clock
):
    from bot.services.handoff import WindowClosed

    first, _ = handoff.open(actor("oOldPhone0001"), "oOldPhone0001", 1, "转人工")
    delivered = []

    def send(openid, text):
        delivered.append(text)

    with pytest.raises(WindowClosed) as never:
        handoff.reply(first, "s01c1", "您好", send)
    assert never.value.window is None and delivered == []
    she_wrote()
    for n in range(5):
        handoff.reply(first, "s01c1", f"第{n}条", send)
    with pytest.raises(WindowClosed) as used:
        handoff.reply(first, "s01c1", "第六条", send)
    assert used.value.window.used == 5 and len(delivered) == 5
    she_wrote("event:click")  # a menu click: 3 messages within 1 minute
    clock.advance(seconds=61)
    with pytest.raises(WindowClosed) as late:
        handoff.reply(first, "s01c1", "还在吗", send)
    assert late.value.window.kind == "event" and len(delivered) == 5
    assert [m.author for m in handoff.thread(first)].count("staff") == 5


def test_unknown_staff_cannot_reply(handoff):
    first, _ = handoff.open(actor("oOldPhone0001"), "oOldPhone0001", 1, "转人工")
    with pytest.raises(HandoffError, match="staff"):
        handoff.reply(first, "nobody", "hi", lambda o, x: None)


def test_a_forgotten_handoff_expires(handoff, clock):
    who = actor("oOldPhone0001")
    handoff.open(who, "oOldPhone0001", 1, "转人工")
    clock.advance(hours=23)
    assert handoff.waiting(who.sender_id) is not None
    clock.advance(hours=1, seconds=1)
    assert handoff.waiting(who.sender_id) is None
