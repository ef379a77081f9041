"""Lifecycle stages judged by each customer's own purchase rhythm."""

from __future__ import annotations

import numpy as np

from bot.knowledge.schema import Lifecycle


def usual_gap(purchase_days, median_gap, rules: Lifecycle) -> np.ndarray:
    """Her median gap between purchase days given enough of them, else the default."""
    own = np.asarray(purchase_days) >= rules.min_purchase_days_for_rhythm
    return np.where(
        own,
        np.nan_to_num(median_gap, nan=rules.default_gap_days),
        rules.default_gap_days,
    )


def thresholds(gap, rules: Lifecycle) -> tuple[np.ndarray, np.ndarray]:
    """Days since the last purchase after which she is at risk, and churned."""
    at_risk = np.maximum(rules.at_risk_factor * gap, rules.at_risk_min_days)
    churned = np.maximum(rules.churned_factor * gap, rules.churned_min_days)
    return at_risk, churned


def stages(
    days_since_first,
    days_since_last,
    purchase_days,
    median_gap,
    last_gap,
    rules: Lifecycle,
) -> np.ndarray:
    """Stage per buyer: new, churned, at_risk, reactivated or active (in that priority).

    Reactivated: she came back after a gap long enough to count as churned, and has
    not drifted into risk again since.
    """
    since_last = np.asarray(days_since_last, dtype=float)
    gap = usual_gap(purchase_days, median_gap, rules)
    at_risk, churned = thresholds(gap, rules)
    came_back = np.nan_to_num(np.asarray(last_gap, dtype=float), nan=0.0) > churned
    result = np.full(len(since_last), "active", dtype=object)
    result[came_back] = "reactivated"
    result[since_last > at_risk] = "at_risk"
    result[since_last > churned] = "churned"
    result[np.asarray(days_since_first) <= rules.new_days] = "new"
    return result
