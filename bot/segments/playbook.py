"""Choose a strategy per customer from the playbook, and word it for one customer."""

from __future__ import annotations

import numpy as np

from bot.knowledge.schema import Playbook, Strategy


def choose(
    tier, lifecycle, segment, discount_seeker, new_arrival_lover, playbook: Playbook
) -> np.ndarray:
    """Key of the first strategy whose conditions hold, per customer."""
    columns = {
        "value_tier": np.asarray(tier),
        "lifecycle": np.asarray(lifecycle),
        "segment": np.asarray(segment),
    }
    flags = {
        "discount_seeker": np.asarray(discount_seeker),
        "new_arrival_lover": np.asarray(new_arrival_lover),
    }
    n = len(columns["lifecycle"])
    keys = np.full(n, "", dtype=object)
    open_ = np.ones(n, dtype=bool)
    for strategy in playbook.strategies:
        hit = open_.copy()
        for field, column in columns.items():
            allowed = getattr(strategy.when, field)
            if allowed:
                hit &= np.isin(column, list(allowed))
        for flag in strategy.when.flags:
            hit &= flags[flag]
        keys[hit] = strategy.key
        open_ &= ~hit
    return keys


def by_key(playbook: Playbook, key: str) -> Strategy:
    for strategy in playbook.strategies:
        if strategy.key == key:
            return strategy
    return playbook.strategies[-1]


def word(
    strategy: Strategy, category: str | None, brand: str | None
) -> tuple[str, list[str]]:
    """The offer and talking points with her favourite category and brand filled in."""
    values = {"category": category or "常买的品类", "brand": brand or "她喜欢的品牌"}
    return strategy.offer.format(**values), [
        point.format(**values) for point in strategy.talking_points
    ]
