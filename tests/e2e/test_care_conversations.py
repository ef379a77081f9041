"""Care through the running servers: reminders, follow-ups, care tips, opting out;
the outbox and the consent read back with separate SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from bot.db import tables as t

pytestmark = pytest.mark.e2e


def read(bot, query):
    engine = create_engine(bot.database_url, future=True)
    try:
        with engine.connect() as conn:
            return conn.execute(query).all()
    finally:
        engine.dispose()


def customer_id(bot, member_no):
    return read(
        bot, select(t.customers.c.id).where(t.customers.c.member_no == member_no)
    )[0][0]


def test_a_reminder_is_scheduled_and_listed_with_her_follow_ups(bot):
    bot.say("clerk-care", "查一下M00000008")
    reply = bot.say("clerk-care", "三天后提醒她保养大衣")
    assert reply.startswith("好的，") and "会给" in reply and "10:00" in reply
    who = customer_id(bot, "M00000008")
    rows = read(
        bot,
        select(
            t.care_outbox.c.trigger, t.care_outbox.c.status, t.care_outbox.c.body
        ).where(t.care_outbox.c.customer_id == who),
    )
    assert ("manual", "pending") in [(r.trigger, r.status) for r in rows]
    assert any(r.body.endswith("门店提醒您：保养大衣") for r in rows)
    task = bot.say("clerk-care", "后天提醒我给她打电话")
    assert "列进您的待办" in task
    listed = bot.say("clerk-care", "她有哪些待发的关怀")
    assert (
        "店员提醒：" in listed
        and "保养大衣" in listed
        and "店员跟进：给她打电话" in listed
    )


def test_a_reminder_without_a_day_asks_for_one(bot):
    bot.say("clerk-care-day", "查一下M00000008")
    assert "哪一天呢" in bot.say("clerk-care-day", "给她安排一条感谢消息")


def test_care_tips_for_what_she_bought(bot):
    bot.say("clerk-tips", "查一下M00000001")
    reply = bot.say("clerk-tips", "大衣怎么保养")
    assert reply.startswith("王**买过的商品这样保养：\n· ")
    assert "干洗" in reply and "{" not in reply


def test_opting_out_of_marketing_then_of_everything(bot):
    bot.say("clerk-optout", "查一下M00000009")
    who = customer_id(bot, "M00000009")
    reply = bot.say("clerk-optout", "她说以后别发广告了")
    assert "退订营销消息，立即生效" in reply
    consent = select(
        t.customers.c.marketing_consent, t.customers.c.service_consent
    ).where(t.customers.c.id == who)
    assert tuple(read(bot, consent)[0]) == (False, True)
    assert "退订全部消息" in bot.say("clerk-optout", "全部退订")
    assert tuple(read(bot, consent)[0]) == (False, False)
    audited = read(
        bot,
        select(t.audit_log.c.action, t.audit_log.c.detail).where(
            t.audit_log.c.customer_id == who, t.audit_log.c.action == "unsubscribe"
        ),
    )
    assert [d["scope"] for _, d in audited] == ["marketing", "all"]
