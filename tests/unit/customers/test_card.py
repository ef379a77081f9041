import datetime as dt

import pytest

from bot.customers.card import (
    CustomerFacts,
    build_card,
    days_to_birthday,
    member_level,
    salutation,
    value_label,
)
from bot.customers.present import card_fields
from bot.customers.value import RfmScore, build_scale
from bot.locale.zh.money import CNY


def test_member_levels_start_at_each_threshold(knowledge):
    membership = knowledge.membership
    assert member_level(0, membership) == "普通会员"
    assert member_level(199_999, membership) == "普通会员"
    assert member_level(200_000, membership) == "银卡会员"
    assert member_level(800_000, membership) == "金卡会员"
    assert member_level(2_000_000, membership) == "钻石会员"


def test_value_labels_follow_the_rfm_total(knowledge):
    segments = knowledge.segments
    assert value_label(RfmScore(4, 4, 4), segments) == "高价值"
    assert value_label(RfmScore(4, 4, 3), segments) == "中价值"
    assert value_label(RfmScore(3, 3, 2), segments) == "中价值"
    assert value_label(RfmScore(3, 2, 2), segments) == "低价值"
    assert value_label(None, segments) == "潜在客户"


def facts(**changes):
    base = dict(
        customer_id=7,
        member_no="M00000007",
        name="张丽",
        phone="13912345678",
        home_store="上海静安店",
        joined_on=dt.date(2025, 1, 1),
        lifetime_spend_fen=900_000,
        order_count=6,
        last_purchase=dt.date(2026, 11, 1),
        top_categories=("服装", "配饰"),
    )
    return CustomerFacts(**{**base, **changes})


def test_a_card_masks_the_name_and_phone_and_counts_days(knowledge):
    scale = build_scale([1, 30, 60, 90, 300], [1, 2, 3, 5, 8], [1, 2, 3, 4, 5])
    card = build_card(
        facts(), scale, knowledge.membership, knowledge.segments, dt.date(2026, 11, 20)
    )
    assert card.masked_name == "张*"
    assert card.masked_phone == "139****5678"
    assert card.days_since_last_purchase == 19
    assert card.level == "金卡会员"
    assert card.rfm is not None


def test_a_customer_who_never_bought_is_a_prospect(knowledge):
    scale = build_scale([1], [1], [1])
    card = build_card(
        facts(
            order_count=0, lifetime_spend_fen=0, last_purchase=None, top_categories=()
        ),
        scale,
        knowledge.membership,
        knowledge.segments,
        dt.date(2026, 11, 20),
    )
    assert card.value_label == "潜在客户"
    assert card.rfm is None
    assert card.days_since_last_purchase is None


@pytest.mark.parametrize(
    "name, gender, said",
    [
        ("王晓梅", "F", "王女士"),
        ("李强", "M", "李先生"),
        ("欧阳娜娜", "F", "欧阳女士"),
        ("欧阳", "F", "欧女士"),  # a two-character name is family + given name
        ("张丽", "U", "张*"),  # no guess at a title
        ("Emma Clarke", "F", "Ms Clarke"),
        ("", "F", ""),
    ],
)
def test_a_clerk_addresses_her_by_family_name_and_title(name, gender, said):
    assert salutation(name, gender) == said


def test_days_to_the_next_birthday_wrap_the_year_and_leap_days():
    assert days_to_birthday(dt.date(1990, 12, 1), dt.date(2026, 12, 1)) == 0
    assert days_to_birthday(dt.date(1990, 1, 3), dt.date(2026, 12, 31)) == 3
    assert days_to_birthday(dt.date(1992, 2, 29), dt.date(2027, 2, 1)) == 27


def test_the_card_shows_her_birthday_only_when_it_is_soon(knowledge):
    scale = build_scale([1], [1], [1])
    today = dt.date(2026, 11, 20)

    def card(birthday, soon_days=30):
        return build_card(
            facts(gender="F", birthday=birthday),
            scale,
            knowledge.membership,
            knowledge.segments,
            dt.date(2011, 12, 9),  # recency counts to a historical snapshot ...
            soon_days,
            calendar_day=today,  # ... her birthday to the real today
        )

    near = card(dt.date(1990, 12, 1))
    assert (near.salutation, near.days_to_birthday) == ("张女士", 11)
    fields = card_fields(near, CNY)
    assert (fields["salutation"], fields["birthday"]) == (
        "张女士",
        "12月1日（还有11天）",
    )
    assert card(dt.date(1990, 12, 21)).birthday is None  # 31 days away
    assert card(dt.date(1990, 12, 21), soon_days=31).days_to_birthday == 31
    assert card_fields(card(None), CNY)["birthday"] == ""
