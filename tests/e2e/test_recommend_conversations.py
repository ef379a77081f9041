"""Clerks ask for suggestions through the running servers; what the bot says is
checked against the recommendation log and the catalogue read with separate SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from bot.db import tables as t

pytestmark = pytest.mark.e2e


def last_logged(bot, member_no: str) -> list:
    engine = create_engine(bot.database_url, future=True)
    try:
        with engine.connect() as conn:
            customer_id = conn.execute(
                select(t.customers.c.id).where(t.customers.c.member_no == member_no)
            ).scalar_one()
            log = t.recommendation_log
            batch = conn.execute(
                select(log.c.batch)
                .where(log.c.customer_id == customer_id)
                .order_by(log.c.id.desc())
                .limit(1)
            ).scalar_one()
            return conn.execute(
                select(
                    t.products.c.name,
                    t.products.c.subcategory,
                    t.products.c.stock,
                    log.c.kind,
                    log.c.reason,
                    log.c.outcome,
                )
                .join(t.products, log.c.product_id == t.products.c.id)
                .where(log.c.batch == batch)
                .order_by(log.c.rank)
            ).all()
    finally:
        engine.dispose()


def test_suggestions_with_reasons_are_logged_as_shown(bot):
    bot.say("clerk-rec", "帮我查一下会员M00000001")
    reply = bot.say("clerk-rec", "给她推荐点东西")
    assert reply.startswith("给王")
    assert "的个性化推荐：" in reply
    logged = last_logged(bot, "M00000001")
    assert 1 <= len(logged) <= 3
    for n, row in enumerate(logged, start=1):
        assert f"{n}. {row.name}（¥" in reply
        assert row.reason in reply
        assert row.kind == "personal" and row.stock > 0
    why = bot.say("clerk-rec", "为什么推荐这些")
    assert why.startswith("刚才给王")
    assert all(f"{row.name}：{row.reason}" in why for row in logged)


def test_cross_sell_for_the_item_she_is_looking_at(bot):
    bot.say("clerk-cross", "查一下M00000003")
    reply = bot.say("clerk-cross", "大衣配什么好")
    logged = last_logged(bot, "M00000003")
    assert "的搭配推荐：" in reply
    assert logged and all(row.kind == "cross" for row in logged)
    assert all(row.subcategory != "大衣" for row in logged)
    assert all(row.name in reply for row in logged)


def test_a_sale_of_a_suggested_item_is_recorded(bot):
    bot.say("clerk-sale", "查一下M00000004")
    bot.say("clerk-sale", "推荐点搭配的")
    logged = last_logged(bot, "M00000004")
    subcategories = [row.subcategory for row in logged]
    unique = next(s for s in subcategories if subcategories.count(s) == 1)
    reply = bot.say("clerk-sale", f"她买了{unique}")
    assert reply.startswith("已记录：")
    outcomes = {row.subcategory: row.outcome for row in last_logged(bot, "M00000004")}
    assert outcomes[unique] == "bought"
    assert [o for s, o in outcomes.items() if s != unique] == [None] * (
        len(outcomes) - 1
    )


def test_no_after_suggestions_declines_them_but_a_plain_no_is_just_a_no(bot):
    bot.say("clerk-no", "查一下M00000005")
    assert bot.say("clerk-no", "不要") == "好的，明白了。还有什么需要帮忙的吗？"
    bot.say("clerk-no", "给她推荐点东西")
    reply = bot.say("clerk-no", "她不要这些")
    assert "不感兴趣" in reply
    assert {row.outcome for row in last_logged(bot, "M00000005")} == {"declined"}


def test_upsell_stays_within_what_she_has_paid(bot):
    bot.say("clerk-up", "查一下M00000001")
    reply = bot.say("clerk-up", "有没有更好一点的")
    logged = last_logged(bot, "M00000001")
    if logged[0].kind != "up":  # nothing dearer within her range: nothing logged
        assert reply.startswith("没有比")
        return
    assert "的升级推荐：" in reply
    for row in logged:
        assert row.name in reply and row.reason in reply
        assert "高一档, 在她常买的价位内" in row.reason


def test_suggestions_need_a_customer_in_context(bot):
    assert "请先发给我顾客的手机号或会员号" in bot.say("clerk-none", "给她推荐点东西")


def test_a_noted_dislike_keeps_its_kind_out_of_the_suggestions(bot):
    bot.say("clerk-note", "查一下M00000006")
    bot.say("clerk-note", "给她推荐点东西")
    first = last_logged(bot, "M00000006")[0]
    engine = create_engine(bot.database_url, future=True)
    with engine.connect() as conn:
        brand = conn.execute(
            select(t.products.c.brand).where(t.products.c.name == first.name)
        ).scalar_one()
    engine.dispose()
    reply = bot.say("clerk-note", f"记一下她不喜欢{brand}")
    assert f"不喜欢{brand}" in reply and first.name in reply
    declined = [r for r in last_logged(bot, "M00000006") if r.outcome == "declined"]
    assert [r.name for r in declined] == [
        r.name for r in last_logged(bot, "M00000006") if brand in r.name
    ]
    bot.say("clerk-note", "给她推荐点东西")
    assert all(brand not in row.name for row in last_logged(bot, "M00000006"))
    assert f"不喜欢：{brand}" in bot.say("clerk-note", "她喜欢什么")


def test_a_colour_or_a_size_is_noted_as_such(bot):
    bot.say("clerk-colour", "查一下M00000007")
    assert "不喜欢：印花" in bot.say("clerk-colour", "记一下她不喜欢印花的")
    assert "尺码：M" in bot.say("clerk-colour", "她穿M码，帮我记上")
