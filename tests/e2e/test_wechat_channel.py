"""The WeChat channel against the running Rasa and action servers: wechatpy builds,
signs and (in safe mode) encrypts every message as WeChat's servers would."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, func, select

from bot.db import tables as t
from tests.e2e.conftest import WECHAT_AES_KEY

MEMBER_PHONE = "13800000001"  # demo guarantee: member M00000002


def engine_of(bot):
    return create_engine(bot.database_url, future=True)


def phone_of(bot, customer_id: int) -> str:
    with engine_of(bot).connect() as conn:
        return conn.execute(
            select(t.customers.c.phone).where(t.customers.c.id == customer_id)
        ).scalar_one()


def verify(bot, chat, openid: str, customer_id: int) -> None:
    """Bind `openid` to the member `customer_id` the way a customer would (each
    test its own member: codes per phone are rate-limited)."""
    phone = phone_of(bot, customer_id)
    asked = chat.text(openid, f"我的手机号是{phone}")
    assert "验证码" in asked.reply, asked
    code = bot.last_code(phone)
    assert code is not None
    done = chat.text(openid, code)
    assert "验证成功" in done.reply, done


@pytest.fixture(params=["plain", "aes"])
def chat(bot, request):
    return bot.wechat(encrypted=request.param == "aes")


def test_handshake_echoes_only_a_correctly_signed_request(bot):
    chat = bot.wechat()
    assert chat.handshake("abc123").text == "abc123"
    forged = chat.signed()
    forged["signature"] = "0" * 40
    answer = chat.session.get(chat.url, params={**forged, "echostr": "x"})
    assert answer.status_code == 403
    assert chat.session.get(chat.url, params={"echostr": "x"}).status_code == 403
    stale = chat.signed(timestamp=int(time.time()) - 3600)
    assert (
        chat.session.get(chat.url, params={**stale, "echostr": "x"}).status_code == 403
    )


def test_messages_with_a_bad_or_stale_signature_are_refused(bot):
    chat = bot.wechat()
    xml = chat.xml("oAttacker0001", "text", {"Content": "你好", "MsgId": "1"})
    forged = {**chat.signed(), "signature": "f" * 40}
    assert chat.post(xml, params=forged).status == 403
    assert chat.post(xml, params={}).status == 403
    stale = chat.signed(timestamp=int(time.time()) - 301)
    assert chat.post(xml, params=stale).status == 403
    other_token = bot.wechat()
    other_token.token = "not-the-token"
    assert other_token.text("oAttacker0001", "你好").status == 403


def test_encrypted_messages_need_a_matching_msg_signature(bot):
    chat = bot.wechat(encrypted=True)
    query = chat.signed()
    envelope = chat.crypto.encrypt_message(
        chat.xml("oAttacker0002", "text", {"Content": "你好", "MsgId": "2"}),
        query["nonce"],
        query["timestamp"],
    )
    params = {**query, "encrypt_type": "aes", "msg_signature": "0" * 40}
    assert chat.post(envelope, params=params).status == 403
    wrong_key = bot.wechat(encrypted=True)
    from wechatpy.crypto import WeChatCrypto

    wrong_key.crypto = WeChatCrypto(wrong_key.token, WECHAT_AES_KEY[::-1], "wx-app")
    answer = wrong_key.text("oAttacker0002", "你好")
    assert answer.status in (400, 403)


def test_subscribing_gets_a_welcome_in_both_modes(chat):
    answer = chat.event(f"oNewFan{int(time.time() * 1000)}", "subscribe")
    assert answer.status == 200
    assert "欢迎" in answer.reply
    assert "手机号" in answer.reply


@pytest.mark.parametrize("kind", ["image", "voice"])
def test_pictures_and_voice_get_a_polite_text_only_answer(chat, kind):
    answer = chat.media(f"oMedia{kind}{int(time.time() * 1000)}", kind)
    assert answer.reply == "目前只能看懂文字，请用文字告诉我您想了解什么。"


def test_binding_asks_for_the_phone_then_the_code(bot, chat):
    encrypted = chat.crypto is not None
    openid = f"oBind{encrypted:d}{int(time.time() * 1000)}"
    phone = MEMBER_PHONE if encrypted else phone_of(bot, 3)
    before = chat.text(openid, "我的会员等级")
    assert "请先验证身份" in before.reply
    asked = chat.text(openid, f"我的手机号是{phone}")
    assert f"{phone[:3]}****{phone[-4:]}" in asked.reply and "验证码" in asked.reply
    code = bot.last_code(phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert "验证码不对" in chat.text(openid, wrong).reply
    assert "验证成功" in chat.text(openid, code).reply
    with engine_of(bot).connect() as conn:
        bound = conn.execute(
            select(t.customers.c.member_no).where(t.customers.c.wechat_openid == openid)
        ).scalar_one()
    expected = "M00000002" if encrypted else "M00000003"
    assert bound == expected
    membership = chat.text(openid, "我的会员等级")
    assert "您是" in membership.reply and expected in membership.reply


def test_a_phone_that_is_no_member_gets_the_same_answer_and_no_code(bot):
    chat = bot.wechat()
    stranger = "13912398765"
    phone = phone_of(bot, 4)
    member = chat.text(f"oProbeA{int(time.time() * 1000)}", f"我的手机号是{phone}")
    other = chat.text(f"oProbeB{int(time.time() * 1000)}", f"我的手机号是{stranger}")
    masked = f"{phone[:3]}****{phone[-4:]}"
    assert other.reply == member.reply.replace(masked, "139****8765")
    assert bot.last_code(stranger) is None


def test_codes_are_refused_after_too_many_wrong_guesses(bot):
    chat = bot.wechat()
    openid = f"oGuess{int(time.time() * 1000)}"
    phone = phone_of(bot, 5)
    chat.text(openid, f"我的手机号是{phone}")
    code = bot.last_code(phone)
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    for _ in range(5):
        chat.text(openid, wrong)
    assert "错误次数太多" in chat.text(openid, code).reply
    with engine_of(bot).connect() as conn:
        bound = conn.execute(
            select(func.count()).where(t.customers.c.wechat_openid == openid)
        ).scalar_one()
    assert bound == 0


def test_a_retried_message_is_processed_once(bot):
    chat = bot.wechat()
    openid = f"oRetry{int(time.time() * 1000)}"
    verify(bot, chat, openid, 6)
    with engine_of(bot).connect() as conn:
        customer_id = conn.execute(
            select(t.customers.c.id).where(t.customers.c.wechat_openid == openid)
        ).scalar_one()

    def shown() -> int:
        with engine_of(bot).connect() as conn:
            return conn.execute(
                select(func.count()).where(
                    t.recommendation_log.c.customer_id == customer_id
                )
            ).scalar_one()

    before = shown()
    msg_id = int(time.time() * 1000)
    first = chat.text(openid, "给我推荐点东西", msg_id=msg_id)
    after_first = shown()
    again = chat.text(openid, "给我推荐点东西", msg_id=msg_id)
    assert after_first > before
    assert shown() == after_first
    assert again.reply == first.reply


def test_unsubscribe_event_stops_marketing_silently(bot):
    chat = bot.wechat()
    openid = f"oLeave{int(time.time() * 1000)}"
    verify(bot, chat, openid, 7)
    engine = engine_of(bot)
    with engine.begin() as conn:
        conn.execute(
            t.customers.update()
            .where(t.customers.c.wechat_openid == openid)
            .values(marketing_consent=True)
        )
    answer = chat.event(openid, "unsubscribe")
    assert answer.status == 200 and answer.body == "success"
    with engine.connect() as conn:
        consent = conn.execute(
            select(t.customers.c.marketing_consent).where(
                t.customers.c.wechat_openid == openid
            )
        ).scalar_one()
    assert consent is False
