"""Suggestions as lines of a reply: the same for the bot and the command line."""

from __future__ import annotations

from collections.abc import Sequence

from bot.knowledge.schema import Currency
from bot.locale.zh.money import money
from bot.recommend.engine import Suggestion


def suggestion_lines(
    suggestions: Sequence[Suggestion], currency: Currency
) -> list[str]:
    return [
        f"{n}. {s.name}（{money(s.price_fen, currency)}）：{s.reason}"
        for n, s in enumerate(suggestions, start=1)
    ]


def addressed(lines: list[str], to_customer: bool) -> list[str]:
    """Reasons are written for the clerk ("她常买的品牌"); said to the customer
    herself they address her ("您常买的品牌")."""
    if not to_customer:
        return lines
    return [line.replace("她", "您") for line in lines]
