import datetime as dt

from bot.customers.card import CustomerCard
from bot.customers.present import card_fields, history_fields, shorten
from bot.customers.value import RfmScore
from bot.db.repositories import OrderLineView, OrderView
from bot.knowledge.schema import Currency
from bot.locale.zh.money import CNY

GBP = Currency(code="GBP", symbol="£", minor_units=2)


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
    fields = card_fields(card, CNY)
    assert fields["spend"] == "¥1,000.50"
    assert fields["last_purchase"] == "2026-11-01（19天前）"
    assert fields["top_categories"] == "暂无"
    assert fields["store"] == "未指定"
    assert fields["rfm"] == "R3 F2 M4"
    assert card_fields(card, GBP)["spend"] == "£1,000.50"


def test_history_says_what_came_back_and_shows_the_net_amount():
    class View:
        masked_name = "王**"
        order_count = 3
        orders = (
            OrderView(
                "T1",
                dt.datetime(2026, 11, 1, 4),
                "静安店",
                30_000,
                (OrderLineView("围巾", 2, 1), OrderLineView("帽子", 1)),
                10_000,
            ),
            OrderView(
                "T2",
                dt.datetime(2026, 10, 1, 4),
                None,
                5_000,
                (OrderLineView("手套", 1, 1),),
                5_000,
                True,
            ),
        )

    lines = history_fields(View(), dt.timezone(dt.timedelta(hours=8)), GBP)["lines"]
    assert lines.split("\n") == [
        "2026-11-01 静安店 £200（已退£100）：围巾×2（退1件）、帽子",
        "2026-10-01 线上 £50（已全部退货）：手套（已退）",
    ]
