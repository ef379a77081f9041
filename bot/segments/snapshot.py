"""One segmentation snapshot for the whole customer base, from plain arrays.

Days are local calendar day numbers (`date.toordinal()`, the fraction the time of
day). Every customer gets RFM scores and a named segment, a value tier, a lifecycle
stage, a predicted 12-month value and a strategy, with the evidence behind them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.knowledge.schema import Playbook, Segments
from bot.segments import lifecycle as lc
from bot.segments.clv import BetaGeoFitter, GammaGammaFitter
from bot.segments.playbook import choose
from bot.segments.preferences import LineAggregates, profiles
from bot.segments.rfm import name_segments, quintile_scores
from bot.segments.tiers import assign_tiers, percentile_ranks
from bot.segments.transactions import summarise


@dataclass(frozen=True)
class OrderRows:
    customers: np.ndarray
    days: np.ndarray
    amounts: np.ndarray


@dataclass
class Snapshot:
    """Aligned on `customers`; prospects (no purchase) have NaN/zero measures."""

    customers: np.ndarray
    recency_days: np.ndarray
    frequency: np.ndarray
    monetary_fen: np.ndarray
    r: np.ndarray
    f: np.ndarray
    m: np.ndarray
    segment: np.ndarray
    value_tier: np.ndarray
    lifecycle: np.ndarray
    strategy: np.ndarray
    expected_purchases: np.ndarray
    p_alive: np.ndarray
    clv_fen: np.ndarray
    details: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)


def compute(
    all_customers: np.ndarray,
    orders: OrderRows,
    lines: LineAggregates,
    as_of_day: int,
    rules: Segments,
    playbook: Playbook,
    seed: int = 0,
) -> Snapshot:
    """Segment every customer in `all_customers` as of the end of day `as_of_day`."""
    all_customers = np.unique(np.asarray(all_customers))
    summary = summarise(orders.customers, orders.days, orders.amounts)
    prefs = profiles(lines, rules.preferences.top)
    buyers = summary.customers
    n = len(buyers)

    recency = as_of_day - summary.last_day
    r = quintile_scores(recency, higher_is_better=False)
    f = quintile_scores(summary.orders)
    m = quintile_scores(summary.spend)
    segment = name_segments(r, f, m, rules.rfm_segments)

    pref_index = np.searchsorted(prefs.customers, buyers)
    pref_index = np.clip(pref_index, 0, max(len(prefs.customers) - 1, 0))
    breadth = prefs.breadth[pref_index] if len(prefs.customers) else np.zeros(n)
    per_purchase = summary.spend / np.maximum(summary.orders, 1)
    tier_parts = (
        percentile_ranks(summary.orders),
        percentile_ranks(per_purchase),
        percentile_ranks(breadth),
    )
    tier_score = sum(tier_parts) / 3
    tier = assign_tiers(tier_score, rules.value_tiers)

    gap = lc.usual_gap(summary.purchase_days, summary.median_gap, rules.lifecycle)
    at_risk_after, churned_after = lc.thresholds(gap, rules.lifecycle)
    stage = lc.stages(
        as_of_day - summary.first_day,
        recency,
        summary.purchase_days,
        summary.median_gap,
        summary.last_gap,
        rules.lifecycle,
    )

    purchases, alive, value, params = _clv(summary, as_of_day, rules, seed)
    seekers, lovers = prefs.flags(rules.preferences)
    seekers = seekers[pref_index] if len(prefs.customers) else np.zeros(n, bool)
    lovers = lovers[pref_index] if len(prefs.customers) else np.zeros(n, bool)
    strategy = choose(tier, stage, segment, seekers, lovers, playbook)

    details = [
        _evidence(
            i,
            summary,
            recency,
            gap,
            at_risk_after,
            churned_after,
            tier_parts,
            tier_score,
            per_purchase,
            breadth,
            prefs,
            pref_index,
            seekers,
            lovers,
            purchases,
            alive,
            value,
        )
        for i in range(n)
    ]
    return _with_prospects(
        all_customers,
        buyers,
        rules,
        playbook,
        params,
        recency_days=recency,
        frequency=summary.orders,
        monetary_fen=summary.spend,
        r=r,
        f=f,
        m=m,
        segment=segment,
        value_tier=tier,
        lifecycle=stage,
        strategy=strategy,
        expected_purchases=purchases,
        p_alive=alive,
        clv_fen=purchases * value,
        details=details,
    )


def _clv(summary, as_of_day: int, rules: Segments, seed: int):
    """Fit on a sample of buyers (the parameters are population-level); predict all."""
    clv = rules.clv
    x, t_x, age = summary.bgnbd_inputs(as_of_day, clv.time_unit_days)
    value_mean = summary.repeat_mean_value()
    n = len(x)
    if n < 20 or not np.any(x > 0):
        return np.zeros(n), np.ones(n), np.zeros(n), {}
    rng = np.random.default_rng(seed)
    sample = rng.choice(n, size=min(n, clv.fit_sample), replace=False)
    bgnbd = BetaGeoFitter(penalizer=0.001).fit(x[sample], t_x[sample], age[sample])
    horizon = clv.horizon_days / clv.time_unit_days
    purchases = bgnbd.expected_purchases(horizon, x, t_x, age)
    alive = bgnbd.probability_alive(x, t_x, age)
    params: dict[str, Any] = {"bgnbd": bgnbd.params()}
    repeaters = sample[(x[sample] > 0) & (value_mean[sample] > 0)]
    if len(repeaters) >= 20:
        gamma = GammaGammaFitter(penalizer=0.001).fit(
            x[repeaters], value_mean[repeaters]
        )
        value = gamma.expected_average_value(x, value_mean)
        params["gamma_gamma"] = gamma.params()
    else:
        value = np.where(
            x > 0, value_mean, summary.spend / np.maximum(summary.orders, 1)
        )
    return purchases, alive, value, params


def _evidence(
    i,
    s,
    recency,
    gap,
    at_risk_after,
    churned_after,
    tier_parts,
    tier_score,
    per_purchase,
    breadth,
    prefs,
    pref_index,
    seekers,
    lovers,
    purchases,
    alive,
    value,
) -> dict:
    p = pref_index[i]
    has_prefs = len(prefs.customers) and prefs.customers[p] == s.customers[i]
    own_rhythm = not np.isnan(s.median_gap[i]) and gap[i] == s.median_gap[i]
    return {
        "days_since_last": int(recency[i]),
        "purchase_days": int(s.purchase_days[i]),
        "first_purchase_days_ago": int(recency[i] + s.last_day[i] - s.first_day[i]),
        "rhythm": {
            "usual_gap": round(float(gap[i]), 1),
            "own": bool(own_rhythm),
            "at_risk_after": round(float(at_risk_after[i]), 1),
            "churned_after": round(float(churned_after[i]), 1),
            "last_gap": None if np.isnan(s.last_gap[i]) else int(s.last_gap[i]),
        },
        "tier": {
            "score": round(float(tier_score[i]), 3),
            "frequency_pct": round(float(tier_parts[0][i]), 3),
            "per_purchase_pct": round(float(tier_parts[1][i]), 3),
            "breadth_pct": round(float(tier_parts[2][i]), 3),
            "per_purchase_fen": int(per_purchase[i]),
            "breadth": int(breadth[i]),
        },
        "prefs": {
            "categories": [
                [name, round(share, 3)] for name, share in prefs.top_categories[p]
            ]
            if has_prefs
            else [],
            "brands": [[name, round(share, 3)] for name, share in prefs.top_brands[p]]
            if has_prefs
            else [],
            "promo_share": round(float(prefs.promo_share[p]), 3) if has_prefs else 0.0,
            "new_share": round(float(prefs.new_share[p]), 3) if has_prefs else 0.0,
            "average_price_fen": int(prefs.average_price[p]) if has_prefs else 0,
            "discount_seeker": bool(seekers[i]),
            "new_arrival_lover": bool(lovers[i]),
        },
        "clv": {
            "p_alive": round(float(alive[i]), 3),
            "purchases_12m": round(float(purchases[i]), 2),
            "value_per_purchase_fen": int(value[i]),
        },
    }


def _with_prospects(
    all_customers, buyers, rules: Segments, playbook: Playbook, params, **columns
) -> Snapshot:
    """Spread the buyers' columns over all customers; the rest are prospects."""
    n = len(all_customers)
    position = np.searchsorted(all_customers, buyers)
    is_buyer = np.zeros(n, dtype=bool)
    is_buyer[position] = True
    defaults = {
        "recency_days": np.nan,
        "frequency": 0,
        "monetary_fen": 0,
        "r": 0,
        "f": 0,
        "m": 0,
        "segment": rules.prospect_segment.key,
        "value_tier": rules.value_tiers[-1].key,
        "lifecycle": "prospect",
        "strategy": playbook.strategies[-1].key,
        "expected_purchases": 0.0,
        "p_alive": np.nan,
        "clv_fen": 0.0,
    }
    spread = {}
    for name, default in defaults.items():
        values = columns[name]
        dtype = object if isinstance(default, str) else np.asarray(values).dtype
        if isinstance(default, float) and np.isnan(default):
            dtype = float
        full = np.full(n, default, dtype=dtype)
        full[position] = values
        spread[name] = full
    details: list[dict[str, Any]] = [{} for _ in range(n)]
    for index, detail in zip(position, columns["details"], strict=True):
        details[index] = detail
    return Snapshot(customers=all_customers, details=details, params=params, **spread)
