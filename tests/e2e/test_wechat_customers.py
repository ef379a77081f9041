"""Customers talking to the shop on WeChat, end to end through the channel: what
they ask for themselves, opting out, and asking for a person."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, select

from bot.config import knowledge_dir
from bot.db import tables as t
from bot.knowledge import load_knowledge
from bot.services.handoff import HandoffService
from tests.e2e.test_wechat_channel import verify

CUSTOMER_ID = 2  # demo guarantee: M00000002, 13800000001
CLERK = "s01c1"  # demo clerk of store S01


@pytest.fixture(scope="module")
def her(bot):
    """A verified customer's WeChat conversation (encrypted, as most accounts run)."""
    chat = bot.wechat(encrypted=True)
    openid = f"oHer{int(time.time() * 1000)}"
    verify(bot, chat, openid, CUSTOMER_ID)
    return chat, openid


def consent(bot, customer_id: int) -> tuple[bool, bool]:
    engine = create_engine(bot.database_url, future=True)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                t.customers.c.marketing_consent, t.customers.c.service_consent
            ).where(t.customers.c.id == customer_id)
        ).one()
    return bool(row[0]), bool(row[1])


def test_new_arrivals(her):
    chat, openid = her
    reply = chat.text(openid, "最近有什么新品").reply
    assert reply.startswith("最近到的新品")
    assert "1. " in reply and "¥" in reply


def test_new_arrivals_need_no_verification(bot):
    reply = bot.wechat().text(f"oAnon{int(time.time() * 1000)}", "有什么新品").reply
    assert reply.startswith("最近到的新品") and "按最近的热度排序" in reply


def test_promotions(her):
    chat, openid = her
    reply = chat.text(openid, "现在有什么优惠活动").reply
    assert reply.startswith("正在促销的商品") and "¥" in reply


def test_membership(her):
    chat, openid = her
    reply = chat.text(openid, "我是什么会员").reply
    assert reply.startswith("您是") and "M00000002" in reply and "累计消费" in reply


def test_personal_recommendations_address_her(her):
    chat, openid = her
    reply = chat.text(openid, "给我推荐点东西吧").reply
    assert reply.startswith("给您的个性化推荐") or "暂时没有适合您" in reply
    assert "她" not in reply


def test_care_tips_for_what_she_bought(her):
    chat, openid = her
    reply = chat.text(openid, "我买的东西怎么保养").reply
    assert reply.startswith("您买过的商品")


def test_history_is_her_own(her):
    chat, openid = her
    reply = chat.text(openid, "我买过什么").reply
    assert reply.startswith("您共有") or reply == "您还没有购买记录。"


def test_staff_questions_are_declined(her):
    chat, openid = her
    reply = chat.text(openid, "她是什么价值的客户").reply
    assert "需要门店店员来回答" in reply


def test_unsubscribe_then_everything(bot, her):
    chat, openid = her
    reply = chat.text(openid, "退订营销消息").reply
    assert reply.startswith("已为您退订营销消息")
    assert consent(bot, CUSTOMER_ID) == (False, True)
    reply = chat.text(openid, "全部退订").reply
    assert reply.startswith("已为您退订全部消息")
    assert consent(bot, CUSTOMER_ID) == (False, False)


def test_handoff_pauses_the_bot_and_the_clerk_replies(bot):
    chat = bot.wechat()
    openid = f"oHelp{int(time.time() * 1000)}"
    verify(bot, chat, openid, 8)
    queued = chat.text(openid, "转人工")
    assert "已为您转接人工客服" in queued.reply
    quiet = chat.text(openid, "我的大衣扣子掉了")
    assert quiet.body == "success" and quiet.reply is None
    engine = create_engine(bot.database_url, future=True)
    handoffs = HandoffService(engine, load_knowledge(knowledge_dir()))
    (entry,) = [e for e in handoffs.queue() if e.id == _handoff_of(engine, openid)]
    assert entry.reason == "转人工"  # not the phone and code she verified with
    said = [m.body for m in handoffs.thread(entry.id) if m.author == "customer"]
    assert "我的大衣扣子掉了" in said
    handoffs.reply(
        entry.id, CLERK, "您好，请带大衣来店里，免费帮您钉扣子。", bot.send_text()
    )
    assert {
        "api": "custom",
        "touser": openid,
        "text": "您好，请带大衣来店里，免费帮您钉扣子。",
    } in [{k: m[k] for k in ("api", "touser", "text")} for m in bot.wechat_api.sent]
    handoffs.close(entry.id, CLERK)
    back = chat.text(openid, "有什么新品")
    assert back.reply.startswith("最近到的新品")


def _handoff_of(engine, openid: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(t.handoffs.c.id).where(t.handoffs.c.openid == openid)
        ).scalar_one()
