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
from bot.segments.clv import (
    BetaGeoFitter,
    GammaGammaFitter,
    fit_problems,
    rhythm_alive,
    rhythm_purchases,
)
from bot.segments.lines import (
    ProductTable,
    PurchaseLines,
    line_aggregates,
    orders_from_lines,
)
from bot.segments.playbook import choose
from bot.segments.preferences import Profiles, profiles
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
    evidence: Any
    params: dict[str, Any] = field(default_factory=dict)

    def details(self, start: int, stop: int) -> list[dict[str, Any]]:
        """The evidence behind customers start..stop ({} for a prospect)."""
        buyers = self.buyer_index[start:stop]
        found = self.evidence.rows(buyers[buyers >= 0]) if np.any(buyers >= 0) else []
        rows = iter(found)
        return [next(rows) if b >= 0 else {} for b in buyers.tolist()]

    def detail(self, i: int) -> dict[str, Any]:
        return self.details(i, i + 1)[0]


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

    rhythm = (recency, gap, churned_after)
    purchases, alive, value, params = _clv(summary, as_of_day, rules, seed, rhythm)
    seekers, lovers = prefs.flags(rules.preferences)
    seekers = seekers[pref_index] if len(prefs.customers) else np.zeros(n, bool)
    lovers = lovers[pref_index] if len(prefs.customers) else np.zeros(n, bool)
    strategy = choose(tier, stage, segment, seekers, lovers, playbook)

    evidence = _Evidence(
        {
            "days_since_last": recency.astype(np.int64),
            "purchase_days": summary.purchase_days.astype(np.int64),
            "first_ago": (recency + summary.last_day - summary.first_day).astype(
                np.int64
            ),
            "usual_gap": np.round(gap, 1),
            "own": ~np.isnan(summary.median_gap) & (gap == summary.median_gap),
            "at_risk_after": np.round(at_risk_after, 1),
            "churned_after": np.round(churned_after, 1),
            "last_gap": summary.last_gap,
            "score": np.round(tier_score, 3),
            "frequency_pct": np.round(tier_parts[0], 3),
            "per_purchase_pct": np.round(tier_parts[1], 3),
            "breadth_pct": np.round(tier_parts[2], 3),
            "per_purchase_fen": per_purchase.astype(np.int64),
            "breadth": np.asarray(breadth).astype(np.int64),
            "seekers": np.asarray(seekers, dtype=bool),
            "lovers": np.asarray(lovers, dtype=bool),
            "p_alive": np.round(alive, 3),
            "purchases": np.round(purchases, 2),
            "value": np.asarray(value).astype(np.int64),
        },
        buyers,
        prefs,
        pref_index,
        {"model": params["clv_model"], "problems": params["clv_problems"]},
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


def _clv(summary, as_of_day: int, rules: Segments, seed: int, rhythm):
    """Fit on a sample of buyers (the parameters are population-level); predict all.
    A fit that cannot be trusted (see `fit_problems`) is not used: alive probability
    and purchases then follow the lifecycle rhythm, and the reasons are kept."""
    clv = rules.clv
    x, t_x, age = summary.bgnbd_inputs(as_of_day, clv.time_unit_days)
    value_mean = summary.repeat_mean_value()
    n = len(x)
    horizon = clv.horizon_days / clv.time_unit_days
    params: dict[str, Any] = {}
    problems: tuple = ("few_buyers",) if n < 20 or not np.any(x > 0) else ()
    rng = np.random.default_rng(seed)
    sample = rng.choice(n, size=min(n, clv.fit_sample), replace=False)
    if not problems:
        bgnbd = BetaGeoFitter(penalizer=0.001).fit(x[sample], t_x[sample], age[sample])
        params["bgnbd"] = bgnbd.params()
        problems = fit_problems(bgnbd, x[sample], clv.min_repeat_buyers)
    if problems:
        since_last, gap, churned_after = rhythm
        alive = rhythm_alive(since_last, gap, churned_after)
        purchases = rhythm_purchases(alive, gap, clv.horizon_days)
    else:
        purchases = bgnbd.expected_purchases(horizon, x, t_x, age)
        alive = bgnbd.probability_alive(x, t_x, age)
    params["clv_model"] = "rhythm" if problems else "bgnbd"
    params["clv_problems"] = list(problems)
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
    """Builds buyers' evidence dicts a batch at a time (a million at once would not
    fit). Columns are rounded once; a batch becomes Python lists with one `tolist`
    per column, so a row is plain indexing rather than numpy scalar arithmetic."""

    def __init__(
        self,
        columns: dict[str, np.ndarray],
        buyers: np.ndarray,
        prefs: Profiles,
        pref_index: np.ndarray,
        clv_basis: dict,
    ) -> None:
        self._clv_basis = clv_basis
        has_prefs = np.zeros(len(buyers), dtype=bool)
        if len(prefs.customers):
            has_prefs = prefs.customers[pref_index] == buyers
        self._columns = {**columns, "has_prefs": has_prefs}
        self._pref_index = pref_index
        self._prefs = {
            "category_codes": prefs.top_categories.codes,
            "category_shares": np.round(prefs.top_categories.shares, 3),
            "brand_codes": prefs.top_brands.codes,
            "brand_shares": np.round(prefs.top_brands.shares, 3),
            "promo": np.round(prefs.promo_share, 3),
            "new": np.round(prefs.new_share, 3),
            "price": prefs.average_price.astype(np.int64),
        }
        self._labels = (
            prefs.top_categories.labels.tolist(),
            prefs.top_brands.labels.tolist(),
        )

    def rows(self, buyers: np.ndarray) -> list[dict]:
        """Evidence of the buyers at these indices, in order."""
        c = {name: column[buyers].tolist() for name, column in self._columns.items()}
        j = self._pref_index[buyers] if len(self._pref_index) else buyers
        p = (
            {name: column[j].tolist() for name, column in self._prefs.items()}
            if len(self._prefs["promo"])
            else None
        )
        return [self._row(c, p, n) for n in range(len(buyers))]

    def _row(self, c: dict, p: dict | None, n: int) -> dict:
        has = c["has_prefs"][n] and p is not None
        last_gap = c["last_gap"][n]
        categories, brands = self._labels
        return {
            "days_since_last": c["days_since_last"][n],
            "purchase_days": c["purchase_days"][n],
            "first_purchase_days_ago": c["first_ago"][n],
            "rhythm": {
                "usual_gap": c["usual_gap"][n],
                "own": c["own"][n],
                "at_risk_after": c["at_risk_after"][n],
                "churned_after": c["churned_after"][n],
                "last_gap": None if last_gap != last_gap else int(last_gap),
            },
            "tier": {
                "score": c["score"][n],
                "frequency_pct": c["frequency_pct"][n],
                "per_purchase_pct": c["per_purchase_pct"][n],
                "breadth_pct": c["breadth_pct"][n],
                "per_purchase_fen": c["per_purchase_fen"][n],
                "breadth": c["breadth"][n],
            },
            "prefs": {
                "categories": _named(
                    p["category_codes"][n], p["category_shares"][n], categories
                )
                if has
                else [],
                "brands": _named(p["brand_codes"][n], p["brand_shares"][n], brands)
                if has
                else [],
                "promo_share": p["promo"][n] if has else 0.0,
                "new_share": p["new"][n] if has else 0.0,
                "average_price_fen": p["price"][n] if has else 0,
                "discount_seeker": c["seekers"][n],
                "new_arrival_lover": c["lovers"][n],
            },
            "clv": {
                "p_alive": c["p_alive"][n],
                "purchases_12m": c["purchases"][n],
                "value_per_purchase_fen": c["value"][n],
                **self._clv_basis,
            },
        }


def _named(codes: list[int], shares: list[float], labels: list[str]) -> list[list]:
    return [
        [labels[code], share]
        for code, share in zip(codes, shares, strict=True)
        if code >= 0
    ]


def _with_prospects(
    all_customers, buyers, rules: Segments, playbook: Playbook, params, **columns
) -> Snapshot:
    """Spread the buyers' columns over all customers; the rest are prospects."""
    n = len(all_customers)
    position = np.searchsorted(all_customers, buyers)
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
