"""Value tier from purchase frequency, spend per purchase and breadth of categories."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.knowledge.schema import ValueTier


def percentile_ranks(values) -> np.ndarray:
    """Share of buyers strictly below, plus half of the ties (0-1; ties alike)."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return np.zeros(0)
    ordered = np.sort(values)
    below = np.searchsorted(ordered, values, side="left")
    through = np.searchsorted(ordered, values, side="right")
    return (below + (through - below) / 2) / len(values)


def tier_scores(frequency, spend_per_purchase, breadth) -> np.ndarray:
    """Mean of the three percentile ranks."""
    return (
        percentile_ranks(frequency)
        + percentile_ranks(spend_per_purchase)
        + percentile_ranks(breadth)
    ) / 3


def assign_tiers(scores, tiers: Sequence[ValueTier]) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    keys = np.full(len(scores), tiers[-1].key, dtype=object)
    for tier in reversed(tiers):
        keys[scores >= tier.min_score] = tier.key
    return keys
