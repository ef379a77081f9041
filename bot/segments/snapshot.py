"""One segmentation snapshot for the whole customer base, from plain arrays.

Days are local calendar day numbers (`date.toordinal()`, the fraction the time of
day). Every customer gets RFM scores and a named segment, a value tier, a lifecycle
stage, a predicted 12-month value and a strategy, with the evidence behind them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.knowledge.schema import Playbook, Segments
from bot.segments import lifecycle as lc
from bot.segments.clv import BetaGeoFitter, GammaGammaFitter
from bot.segments.lines import (
    ProductTable,
    PurchaseLines,
    line_aggregates,
    orders_from_lines,
)
from bot.segments.playbook import choose
from bot.segments.preferences import profiles
from bot.segments.rfm import name_segments, quintile_scores
from bot.segments.tiers import assign_tiers, percentile_ranks
from bot.segments.transactions import summarise


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
    buyer_index: np.ndarray
    evidence: Callable[[int], dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)

    def detail(self, i: int) -> dict[str, Any]:
        """The evidence behind customer i's labels ({} for a prospect)."""
        buyer = int(self.buyer_index[i])
        return self.evidence(buyer) if buyer >= 0 else {}


def compute(
    all_customers: np.ndarray,
    lines: PurchaseLines,
    products: ProductTable,
    as_of_day: int,
    rules: Segments,
    playbook: Playbook,
    seed: int = 0,
) -> Snapshot:
    """Segment every customer in `all_customers` as of the end of day `as_of_day`."""
    all_customers = np.unique(np.asarray(all_customers))
    orders = orders_from_lines(lines)
    summary = summarise(orders.customers, orders.days, orders.amounts)
    aggregates = line_aggregates(lines, products, as_of_day, rules.preferences)
    prefs = profiles(aggregates, rules.preferences.top)
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

    evidence = _Evidence(
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
        evidence=evidence,
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


class _Evidence:
    """Builds one buyer's evidence dict on demand (a million at once would not fit).

    Columns are rounded once and turned into Python lists, so building a row is
    plain indexing rather than numpy scalar arithmetic.
    """

    def __init__(
        self,
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
    ) -> None:
        has_prefs = np.zeros(len(s.customers), dtype=bool)
        if len(prefs.customers):
            has_prefs = prefs.customers[pref_index] == s.customers
        last_gap = s.last_gap
        self._columns = {
            "days_since_last": recency.astype(np.int64).tolist(),
            "purchase_days": s.purchase_days.astype(np.int64).tolist(),
            "first_ago": (recency + s.last_day - s.first_day).astype(np.int64).tolist(),
            "usual_gap": np.round(gap, 1).tolist(),
            "own": (~np.isnan(s.median_gap) & (gap == s.median_gap)).tolist(),
            "at_risk_after": np.round(at_risk_after, 1).tolist(),
            "churned_after": np.round(churned_after, 1).tolist(),
            "last_gap": [None if np.isnan(g) else int(g) for g in last_gap.tolist()],
            "score": np.round(tier_score, 3).tolist(),
            "frequency_pct": np.round(tier_parts[0], 3).tolist(),
            "per_purchase_pct": np.round(tier_parts[1], 3).tolist(),
            "breadth_pct": np.round(tier_parts[2], 3).tolist(),
            "per_purchase_fen": per_purchase.astype(np.int64).tolist(),
            "breadth": np.asarray(breadth).astype(np.int64).tolist(),
            "pref_index": pref_index.tolist(),
            "has_prefs": has_prefs.tolist(),
            "seekers": np.asarray(seekers, dtype=bool).tolist(),
            "lovers": np.asarray(lovers, dtype=bool).tolist(),
            "p_alive": np.round(alive, 3).tolist(),
            "purchases": np.round(purchases, 2).tolist(),
            "value": np.asarray(value).astype(np.int64).tolist(),
        }
        self._prefs = {
            "categories": _top_rows(prefs.top_categories),
            "brands": _top_rows(prefs.top_brands),
            "promo": np.round(prefs.promo_share, 3).tolist(),
            "new": np.round(prefs.new_share, 3).tolist(),
            "price": prefs.average_price.astype(np.int64).tolist(),
        }

    def __call__(self, i: int) -> dict:
        c, p = self._columns, self._prefs
        j = c["pref_index"][i]
        has = c["has_prefs"][i]
        return {
            "days_since_last": c["days_since_last"][i],
            "purchase_days": c["purchase_days"][i],
            "first_purchase_days_ago": c["first_ago"][i],
            "rhythm": {
                "usual_gap": c["usual_gap"][i],
                "own": c["own"][i],
                "at_risk_after": c["at_risk_after"][i],
                "churned_after": c["churned_after"][i],
                "last_gap": c["last_gap"][i],
            },
            "tier": {
                "score": c["score"][i],
                "frequency_pct": c["frequency_pct"][i],
                "per_purchase_pct": c["per_purchase_pct"][i],
                "breadth_pct": c["breadth_pct"][i],
                "per_purchase_fen": c["per_purchase_fen"][i],
                "breadth": c["breadth"][i],
            },
            "prefs": {
                "categories": _rounded(p["categories"], j) if has else [],
                "brands": _rounded(p["brands"], j) if has else [],
                "promo_share": p["promo"][j] if has else 0.0,
                "new_share": p["new"][j] if has else 0.0,
                "average_price_fen": p["price"][j] if has else 0,
                "discount_seeker": c["seekers"][i],
                "new_arrival_lover": c["lovers"][i],
            },
            "clv": {
                "p_alive": c["p_alive"][i],
                "purchases_12m": c["purchases"][i],
                "value_per_purchase_fen": c["value"][i],
            },
        }


def _top_rows(top) -> tuple[list, list, list]:
    """Codes and rounded shares as Python lists, with the labels, for fast rows."""
    return top.codes.tolist(), np.round(top.shares, 3).tolist(), top.labels.tolist()


def _rounded(top: tuple[list, list, list], j: int) -> list[list]:
    codes, shares, labels = top
    return [
        [labels[code], share]
        for code, share in zip(codes[j], shares[j], strict=True)
        if code >= 0
    ]


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
    buyer_index = np.full(n, -1, dtype=np.int64)
    buyer_index[position] = np.arange(len(buyers))
    return Snapshot(
        customers=all_customers,
        buyer_index=buyer_index,
        evidence=columns["evidence"],
        params=params,
        **spread,
    )
