"""Amounts as people read them, in the deployment's currency (knowledge/currency.yml).

Amounts are kept in hundredths of the unit; a currency with fewer minor units shows
fewer decimals (a yen amount never shows sen).
"""

from __future__ import annotations

from bot.knowledge.schema import Currency

CNY = Currency(code="CNY", symbol="¥", minor_units=2)


def money(hundredths: int, currency: Currency) -> str:
    """12345600 -> '¥123,456'; decimals only when there are any: 1999 -> '¥19.99'."""
    sign = "-" if hundredths < 0 else ""
    value = abs(hundredths)
    if value % 100 and currency.minor_units:
        places = currency.minor_units
        return f"{sign}{currency.symbol}{value / 100:,.{places}f}"
    return f"{sign}{currency.symbol}{round(value / 100):,}"


def estimate(hundredths: float, currency: Currency) -> str:
    """A predicted amount in whole units: 123456.7 -> '¥1,235'."""
    return f"{currency.symbol}{int(round(hundredths / 100)):,}"
