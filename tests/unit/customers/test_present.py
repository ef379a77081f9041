import datetime as dt

from bot.customers.card import CustomerCard
from bot.customers.present import card_fields, shorten, yuan
from bot.customers.value import RfmScore


def test_yuan_shows_fen_only_when_there_are_any():
    assert yuan(12_345_600) == "¥123,456"
    assert yuan(12_345) == "¥123.45"
    assert yuan(0) == "¥0"


def test_shorten_cuts_long_echoes_and_folds_white_space():
    assert shorten("a  b\nc") == "a b c"
    assert shorten("x" * 100, limit=10) == "x" * 9 + "…"


def test_card_fields_fill_every_placeholder_of_the_card_response():
    card = CustomerCard(
        customer_id=1,
        member_no="M00000001",
        masked_name="王**",
        masked_phone="138****0000",
        level="金卡会员",
        home_store="",
        lifetime_spend_fen=100_050,
        order_count=3,
        last_purchase=dt.date(2026, 11, 1),
        days_since_last_purchase=19,
        top_categories=(),
        value_label="中价值",
        rfm=RfmScore(3, 2, 4),
    )
    fields = card_fields(card)
    assert fields["spend"] == "¥1,000.50"
    assert fields["last_purchase"] == "2026-11-01（19天前）"
    assert fields["top_categories"] == "暂无"
    assert fields["store"] == "未指定"
    assert fields["rfm"] == "R3 F2 M4"
