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
