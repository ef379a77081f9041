"""What the trained model understands, on phrasings that are not in the training data."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def entities(parsed: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entity in parsed["entities"]:
        found.setdefault(entity["entity"], []).append(entity["value"])
    return found


@pytest.mark.parametrize(
    "text, intent",
    [
        ("麻烦查下这位客人 13512345678", "lookup_customer"),
        ("会员卡号M00000088帮忙看看", "lookup_customer"),
        ("这位女士属于哪种客户", "ask_segment"),
        ("她一般喜欢哪类商品", "ask_preferences"),
        ("她上个月买了些什么", "ask_history"),
        ("有什么适合她的东西推荐下", "recommend_products"),
        ("这双鞋配什么袜子好", "recommend_cross_sell"),
        ("有没有档次更高一点的款", "recommend_upsell"),
        ("麻烦转一下人工", "human_handoff"),
        ("她怎么就被算成流失风险了", "ask_segment"),
        ("这位顾客接下来该怎么跟她沟通", "ask_strategy"),
        ("以后不要再发营销消息给我", "unsubscribe"),
    ],
)
def test_unseen_phrasings_get_the_right_intent(bot, text, intent):
    assert bot.parse(text)["intent"]["name"] == intent


def test_phone_and_member_numbers_are_extracted_from_running_text(bot):
    assert entities(bot.parse("麻烦查下这位客人13512345678谢谢")) == {
        "phone": ["13512345678"]
    }
    assert entities(bot.parse("会员号m00000088"))["member_no"] == ["m00000088"]


def test_catalog_terms_are_extracted_by_lookup(bot):
    found = entities(bot.parse("她想要一件黑色的羊绒大衣，云裳的"))
    assert found["product"] == ["羊绒大衣"]
    assert found["color"] == ["黑色"]
    assert found["brand"] == ["云裳"]
    assert "大衣" in found["category"]


def test_a_new_session_starts_without_the_previous_customer(bot):
    bot.say("clerk-session", "帮我查一下13800000000")
    bot.say("clerk-session", "/session_start")
    assert "请先发给我顾客的手机号或会员号" in bot.say("clerk-session", "她买过什么")
