"""Clerks on the console: the store's follow-ups of the day and reminders signed with
the clerk's name, end to end through the console channel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, select

from bot.db import tables as t
from tests.e2e.test_consoles_security import Console


def test_todays_follow_ups_of_the_clerks_store(bot, consoles):
    clerk = Console(consoles, "s01c2")
    clerk.post("/api/new-customer")
    (reply,) = clerk.say("今天要跟进哪些客户？")
    assert reply.startswith("上海静安店今天")
    assert "13800000000" not in reply


def test_a_reminder_scheduled_on_the_console_is_signed_by_the_clerk(bot, consoles):
    clerk = Console(consoles, "s01c2")
    clerk.post("/api/new-customer")
    clerk.say("帮我查一下13800000001")
    (reply,) = clerk.say("三天后提醒她来店里取修好的包")
    assert "会给李*发这条提醒" in reply
    engine = create_engine(bot.database_url, future=True)
    with engine.connect() as conn:
        row = conn.execute(
            select(t.care_outbox.c.body, t.care_outbox.c.staff_id)
            .where(
                t.care_outbox.c.trigger == "manual", t.care_outbox.c.customer_id == 2
            )
            .order_by(t.care_outbox.c.id.desc())
            .limit(1)
        ).one()
        staff = conn.execute(
            select(t.staff.c.id, t.staff.c.display_name).where(
                t.staff.c.username == "s01c2"
            )
        ).one()
    assert row.staff_id == staff.id
    assert row.body.endswith(f"（上海静安店 {staff.display_name}）")
    assert "s01c2" not in row.body


def test_the_next_customer_after_a_quiet_spell_gets_her_own_conversation(bot, consoles):
    clerk = Console(consoles, "s01c3")
    clerk.post("/api/new-customer")
    clerk.say("帮我查一下13800000001")
    engine = create_engine(bot.database_url, future=True)
    summaries = t.conversation_summaries
    with engine.begin() as conn:
        first, last_at = conn.execute(
            select(summaries.c.sender_id, summaries.c.last_at).where(
                summaries.c.staff == "s01c3"
            )
        ).one()
        conn.execute(  # the clerk served her and went quiet for 15 minutes
            summaries.update()
            .where(summaries.c.sender_id == first)
            .values(last_at=last_at - dt.timedelta(minutes=15))
        )
    answer = clerk.post("/api/say", {"message": "查13800000000"}).json()
    assert answer["new_conversation"] is True
    assert answer["replies"][0].startswith("【顾客卡片】王")
    (reply,) = clerk.say("她最近买了啥")  # the new conversation holds the new customer
    assert "王" in reply
    with engine.connect() as conn:
        rows = conn.execute(
            select(summaries.c.sender_id, summaries.c.user_turns)
            .where(summaries.c.staff == "s01c3")
            .order_by(summaries.c.started_at)
        ).all()
    assert [r.user_turns for r in rows] == [1, 2] and rows[0].sender_id == first
