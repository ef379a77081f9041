"""RFM quintile scores over the customer base and the named segments they map to."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.knowledge.schema import RfmSegmentRule


def quintile_scores(values, higher_is_better: bool = True) -> np.ndarray:
    """1-5 by rank, 20% per score; ties split by position (pandas' rank method "first").

    Recency is scored with `higher_is_better=False`: the most recent buyers get 5.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int8)
    keys = values if higher_is_better else -values
    order = np.argsort(keys, kind="stable")
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(n)
    return (ranks * 5 // n + 1).astype(np.int8)


def name_segments(r, f, m, rules: Sequence[RfmSegmentRule]) -> np.ndarray:
    """The key of the first rule each (r, f, m) matches, as an array of strings."""
    r, f, m = (np.asarray(a) for a in (r, f, m))
    keys = np.full(len(r), "", dtype=object)
    open_ = np.ones(len(r), dtype=bool)
    for rule in rules:
        hit = open_ & _within(r, rule.r) & _within(f, rule.f) & _within(m, rule.m)
        keys[hit] = rule.key
        open_ &= ~hit
    return keys


def _within(values: np.ndarray, bounds: tuple[int, int]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])
