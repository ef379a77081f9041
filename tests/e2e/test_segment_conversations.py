"""Segment, preferences and strategy questions answered from the latest snapshot.

Expected values are read from the snapshot rows and the knowledge files, not from the
code that words the replies.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import tables as t
from bot.segments.playbook import by_key

pytestmark = pytest.mark.e2e


def snapshot_of(engine, **where):
    query = select(t.segment_snapshots, t.customers.c.phone, t.customers.c.name).join(
        t.customers, t.customers.c.id == t.segment_snapshots.c.customer_id
    )
    for column, value in where.items():
        query = query.where(t.segment_snapshots.c[column] == value)
    with engine.connect() as conn:
        return conn.execute(
            query.order_by(t.segment_snapshots.c.customer_id).limit(1)
        ).one()


def masked(name: str) -> str:
    return name[0] + "*" * (len(name) - 1)


def test_asking_why_she_is_at_risk_gets_the_evidence(bot, demo_db, knowledge):
    row = snapshot_of(demo_db[1], lifecycle="at_risk")
    bot.say("clerk-why", f"帮我查一下{row.phone}")
    reply = bot.say("clerk-why", "为什么她是流失风险客户")
    segment = {r.key: r.name for r in knowledge.segments.rfm_segments}[row.segment]
    assert reply.startswith(f"{masked(row.name)}是【{segment}】")
    assert "流失风险（2026-11-20的分群）" in reply
    rhythm = row.details["rhythm"]
    assert f"最近一次购买在{row.recency_days}天前" in reply
    assert f"每{rhythm['usual_gap']:.0f}天买一次" in reply
    assert f"超过{rhythm['at_risk_after']:.0f}天算流失风险" in reply
    assert f"下单{row.frequency}次" in reply


def test_the_card_shows_the_segment_of_the_latest_snapshot(bot, demo_db, knowledge):
    row = snapshot_of(demo_db[1], customer_id=1)
    tier = {x.key: x.name for x in knowledge.segments.value_tiers}[row.value_tier]
    reply = bot.say("clerk-card-seg", "帮我查一下13800000000")
    assert f"价值标签：{tier}·" in reply
    assert f"R{row.r_score} F{row.f_score} M{row.m_score}" in reply


def test_preferences_come_from_the_snapshot_with_shares(bot, demo_db):
    row = snapshot_of(demo_db[1], customer_id=2)
    bot.say("clerk-prefs", "查下会员M00000002")
    reply = bot.say("clerk-prefs", "她平时喜欢买什么")
    category, share = row.details["prefs"]["categories"][0]
    assert f"常购品类：{category}（{share:.0%}）" in reply
    assert f"促销商品：{row.details['prefs']['promo_share']:.0%}的消费" in reply


def test_strategy_follows_the_playbook_with_her_favourites(bot, demo_db, knowledge):
    row = snapshot_of(demo_db[1], lifecycle="churned")
    strategy = by_key(knowledge.playbook, row.strategy)
    bot.say("clerk-strategy", f"帮我查一下{row.phone}")
    reply = bot.say("clerk-strategy", "这类客户该怎么维护")
    assert f"建议【{strategy.name}】" in reply
    assert "1. " in reply
    favourite = row.details["prefs"]["categories"][0][0]
    if "{category}" in strategy.offer:
        assert favourite in reply


def test_strategy_without_a_customer_asks_for_one(bot):
    assert "请先发给我顾客的手机号或会员号" in bot.say(
        "clerk-nostrat", "对她应该用什么策略"
    )
