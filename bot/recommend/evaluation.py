"""Offline evaluation of recommenders on a temporal split.

Train on everything before the last `holdout_days`; for each customer who bought in
both periods, the relevant items are, in the "new" view, what she bought in the
holdout period that she had not bought before (recommending what she already has
proves little in a fashion shop), and in the "all" view everything she bought then
(in a grocery, what she buys again is most of what she buys; recommenders may then
suggest her own items). Metrics at k: hit rate, recall, NDCG, and catalogue
coverage over all recommendations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Recommender = Callable[[int, int], Sequence[str]]
VIEWS = ("new", "all")


@dataclass(frozen=True)
class Split:
    train_customers: np.ndarray
    train_items: np.ndarray
    known: dict[int, set[str]]
    relevant: dict[int, set[str]]
    cutoff_day: int
    view: str = "new"

    @property
    def excludes_known(self) -> bool:
        """Are her earlier items left out of what counts (and of suggestions)?"""
        return self.view == "new"


def temporal_split(
    customers, items, days, holdout_days: int = 90, view: str = "new"
) -> Split:
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r} (known: {', '.join(VIEWS)})")
    customers, items, days = np.asarray(customers), np.asarray(items), np.asarray(days)
    cutoff = int(days.max()) - holdout_days + 1
    train = days < cutoff
    known: dict[int, set[str]] = {}
    for customer, item in zip(
        customers[train].tolist(), items[train].tolist(), strict=True
    ):
        known.setdefault(customer, set()).add(item)
    relevant: dict[int, set[str]] = {}
    for customer, item in zip(
        customers[~train].tolist(), items[~train].tolist(), strict=True
    ):
        if customer in known and (view == "all" or item not in known[customer]):
            relevant.setdefault(customer, set()).add(item)
    return Split(customers[train], items[train], known, relevant, cutoff, view)


def hit_rate_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    return float(any(item in relevant for item in recommended[:k]))


def recall_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    return len(set(recommended[:k]) & relevant) / len(relevant)


def ndcg_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    gains = [
        1.0 / np.log2(rank + 2)
        for rank, item in enumerate(recommended[:k])
        if item in relevant
    ]
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(len(relevant), k)))
    return float(sum(gains) / ideal) if ideal else 0.0


def evaluate(
    recommend: Recommender, split: Split, catalogue_size: int, k: int = 10
) -> dict[str, float]:
    """Mean metrics over the customers with relevant items, plus coverage."""
    hits, recalls, ndcgs, shown = [], [], [], set()
    for customer, relevant in split.relevant.items():
        recommended = list(recommend(customer, k))[:k]
        shown.update(recommended)
        hits.append(hit_rate_at_k(recommended, relevant, k))
        recalls.append(recall_at_k(recommended, relevant, k))
        ndcgs.append(ndcg_at_k(recommended, relevant, k))
    return {
        "customers": float(len(hits)),
        f"hit_rate@{k}": float(np.mean(hits)) if hits else 0.0,
        f"recall@{k}": float(np.mean(recalls)) if recalls else 0.0,
        f"ndcg@{k}": float(np.mean(ndcgs)) if ndcgs else 0.0,
        "coverage": len(shown) / catalogue_size if catalogue_size else 0.0,
    }


class PopularityRecommender:
    """The baseline: items bought by the most distinct customers, minus what she has."""

    def fit(self, customers, items) -> PopularityRecommender:
        pairs = {
            (c, i)
            for c, i in zip(
                np.asarray(customers).tolist(), np.asarray(items).tolist(), strict=True
            )
        }
        counts: dict[str, int] = {}
        for _, item in pairs:
            counts[item] = counts.get(item, 0) + 1
        self.ranking_ = sorted(counts, key=lambda item: (-counts[item], item))
        return self

    def recommend(
        self, known: Mapping[int, set[str]], exclude: bool = True
    ) -> Recommender:
        def top(customer: int, k: int) -> list[str]:
            owned = known.get(customer, set()) if exclude else set()
            picks = []
            for item in self.ranking_:
                if item not in owned:
                    picks.append(item)
                    if len(picks) == k:
                        break
            return picks

        return top
