"""Suggestions as lines of a reply: the same for the bot and the command line."""

from __future__ import annotations

from collections.abc import Sequence

from bot.customers.present import yuan
from bot.recommend.engine import Suggestion


def suggestion_lines(suggestions: Sequence[Suggestion]) -> list[str]:
    return [
        f"{n}. {s.name}（{yuan(s.price_fen)}）：{s.reason}"
        for n, s in enumerate(suggestions, start=1)
    ]


def addressed(lines: list[str], to_customer: bool) -> list[str]:
    """Reasons are written for the clerk ("她常买的品牌"); said to the customer
    herself they address her ("您常买的品牌")."""
    if not to_customer:
        return lines
    return [line.replace("她", "您") for line in lines]
