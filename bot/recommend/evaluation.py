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
from scipy import sparse

from bot.recommend.ranking import top_k_rows

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
    return temporal_splits(customers, items, days, holdout_days, (view,))[view]


def temporal_splits(
    customers, items, days, holdout_days: int = 90, views: Sequence[str] = VIEWS
) -> dict[str, Split]:
    """One split per view; the training period (and what each customer is known
    to own) is the same for all, only what counts as a hit differs."""
    for view in views:
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
    later: dict[int, set[str]] = {}
    for customer, item in zip(
        customers[~train].tolist(), items[~train].tolist(), strict=True
    ):
        if customer in known:
            later.setdefault(customer, set()).add(item)
    splits = {}
    for view in views:
        relevant = {
            customer: bought if view == "all" else bought - known[customer]
            for customer, bought in later.items()
        }
        relevant = {customer: hits for customer, hits in relevant.items() if hits}
        splits[view] = Split(
            customers[train], items[train], known, relevant, cutoff, view
        )
    return splits


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
    customers = list(split.relevant)
    many = getattr(recommend, "many", None)
    lists = many(customers, k) if many else (recommend(c, k) for c in customers)
    for relevant, listed in zip(split.relevant.values(), lists, strict=True):
        recommended = list(listed)[:k]
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


class Batched:
    """A recommender that scores many customers at once (`many`); called for one
    customer, it scores a batch of one, so both give the same lists."""

    def __init__(
        self, score: Callable[[Sequence[int], int], list[list[str]]], batch: int
    ) -> None:
        self._score = score
        self.batch = max(1, batch)

    def __call__(self, customer: int, k: int) -> list[str]:
        return self._score([customer], k)[0]

    def many(self, customers: Sequence[int], k: int) -> list[list[str]]:
        out: list[list[str]] = []
        for start in range(0, len(customers), self.batch):
            out.extend(self._score(customers[start : start + self.batch], k))
        return out


def batch_size(n_items: int, cells: int = 2_000_000) -> int:
    """Customers per batch so that one customers x items matrix of scores stays
    about `cells` numbers (16 MB), whatever the catalogue."""
    return max(1, cells // max(n_items, 1))


def scored_from_known(
    labels: np.ndarray,
    index: Mapping[str, int],
    known: Mapping[int, set[str]],
    exclude: bool,
    score: Callable[[sparse.csr_matrix], np.ndarray],
) -> Batched:
    """A recommender whose scores are a function of her binary item row: `score`
    maps customers x items to dense scores; `exclude` leaves her items out."""

    def many(customers: Sequence[int], k: int) -> list[list[str]]:
        rows, cols = [], []
        for n, customer in enumerate(customers):
            mine = [index[i] for i in known.get(customer, ()) if i in index]
            rows += [n] * len(mine)
            cols += mine
        owned = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(customers), len(labels)),
        )
        scores = np.asarray(score(owned), dtype=np.float64)
        if exclude and rows:
            scores[rows, cols] = -np.inf
        return picks(scores, labels, k)

    return Batched(many, batch_size(len(labels)))


def picks(scores: np.ndarray, labels: np.ndarray, k: int) -> list[list[str]]:
    """Per row of scores, the labels of its k best with a positive score."""
    order = top_k_rows(scores, k) if scores.size else np.zeros((len(scores), 0), int)
    return [
        [labels[i] for i in best if row[i] > 0]
        for row, best in zip(scores, order, strict=True)
    ]


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
