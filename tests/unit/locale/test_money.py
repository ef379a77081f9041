import pytest

from bot.knowledge.schema import Currency
from bot.locale.zh.money import CNY, estimate, money

GBP = Currency(code="GBP", symbol="£", minor_units=2)
HKD = Currency(code="HKD", symbol="HK$", minor_units=2)
JPY = Currency(code="JPY", symbol="¥", minor_units=0)


@pytest.mark.parametrize(
    "currency,hundredths,shown",
    [
        (CNY, 12_345_600, "¥123,456"),
        (CNY, 12_345, "¥123.45"),
        (CNY, 0, "¥0"),
        (GBP, 1_999, "£19.99"),
        (GBP, -250, "-£2.50"),
        (HKD, 1_000_000, "HK$10,000"),
        (JPY, 150_000, "¥1,500"),
        (JPY, 150_049, "¥1,500"),  # a yen amount never shows sen
    ],
)
def test_amounts_show_the_deployments_symbol_and_its_decimals(
    currency, hundredths, shown
):
    assert money(hundredths, currency) == shown


def test_an_estimate_is_rounded_once_to_whole_units():
    assert estimate(123456.7, CNY) == "¥1,235"
    assert estimate(49.0, GBP) == "£0"
