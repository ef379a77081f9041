"""Suggestions as lines of a reply: the same for the bot and the command line."""

from __future__ import annotations

from collections.abc import Sequence

from bot.recommend.engine import Suggestion


def yuan(fen: int) -> str:
    return f"{fen / 100:.0f}" if fen % 100 == 0 else f"{fen / 100:.2f}"


def suggestion_lines(suggestions: Sequence[Suggestion]) -> list[str]:
    return [
        f"{n}. {s.name}（¥{yuan(s.price_fen)}）：{s.reason}"
        for n, s in enumerate(suggestions, start=1)
    ]
