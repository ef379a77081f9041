"""The blended recommender: similar items, association rules, EASE, recent
popularity and buying again.

Scores for one customer come from what she bought, each purchase weighted by how
recent it is (half-life `halflife_days`):
- `similar`: item-KNN cosine similarity to her items;
- `rules`: the strongest rule from one of her items;
- `ease`: EASE's item weights (Steck 2019, see ease.py), each item's strongest
  `ease_kept` kept, fitted only for catalogues EASE can hold and only when it has a
  weight (or while the weights are being chosen);
- `als`: implicit-feedback ALS (see als.py), her factors solved from her items;
- `popular`: how many customers bought the item lately (`recent_days`; 0 = ever);
- `again`: her own items by her repurchase rhythm (see `again_scores`): what a
  grocery customer buys next is mostly what she bought before.
Each source is scaled to [0, 1] for her before weighting, so one source cannot
drown the others on a catalogue where its raw numbers happen to be large. The
weights come from knowledge/recommend.yml or are chosen on the shop's own history
(tuning.py). The per-source scores are kept so that a suggestion can say why it
was made.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from bot.recommend.als import Factors, fit_factors
from bot.recommend.ease import ease_weights, fits_ease, sparsify_rows
from bot.recommend.item_knn import cosine_neighbours
from bot.recommend.rules import AssociationRules
from bot.recommend.sparse_ops import (
    binary_matrix,
    max_product,
    unique_rows,
    unit_rows,
    weighted_rows,
)

SOURCES = ("similar", "rules", "ease", "als", "popular", "again")


@dataclass(frozen=True)
class BlendSettings:
    similar: float = 1.0
    rules: float = 0.5
    popular: float = 0.05
    halflife_days: float = 120.0
    neighbours: int = 100
    window_days: int = 30
    min_together: int = 2
    recent_days: int = 90
    ease: float = 0.0
    again: float = 0.0
    ease_l2: float = 500.0
    ease_kept: int = 200
    als: float = 0.0
    als_factors: int = 64
    als_alpha: float = 10.0

    def weight(self, source: str) -> float:
        return float(getattr(self, source))


DEFAULTS = BlendSettings()


@dataclass(frozen=True)
class History:
    """One customer's items (column indices) with, per item, the last and first
    day she bought it and on how many days."""

    owned: np.ndarray
    last_days: np.ndarray
    first_days: np.ndarray | None = None
    times: np.ndarray | None = None

    @classmethod
    def empty(cls) -> History:
        none = np.zeros(0)
        return cls(none.astype(int), none, none, none)


@dataclass(frozen=True)
class Stacked:
    """Many customers' histories as flat arrays, one entry per item she owns:
    customer `rows[i]` owns item `cols[i]` (rows ascending), with its days."""

    rows: np.ndarray
    cols: np.ndarray
    last: np.ndarray
    first: np.ndarray
    times: np.ndarray
    n_rows: int

    @classmethod
    def of(cls, histories: Sequence[History]) -> Stacked:
        lengths = [len(h.owned) for h in histories]
        return cls(
            np.repeat(np.arange(len(histories)), lengths),
            _joined([h.owned for h in histories], np.int64),
            _joined([h.last_days for h in histories], float),
            _joined(
                [
                    h.last_days if h.first_days is None else h.first_days
                    for h in histories
                ],
                float,
            ),
            _joined(
                [
                    np.ones(len(h.owned)) if h.times is None else h.times
                    for h in histories
                ],
                float,
            ),
            len(histories),
        )


def recent_popularity(customers, items, days, n_items: int, recent_days: int):
    """Distinct buyers per item in the last `recent_days` (0: ever), in [0, 1]."""
    customers, items, days = map(np.asarray, (customers, items, days))
    if not len(days):
        return np.zeros(n_items)
    recent = days > days.max() - recent_days if recent_days > 0 else days >= days.min()
    if not recent.any():
        return np.zeros(n_items)
    pairs = unique_rows(customers[recent], items[recent])
    counts = np.bincount(pairs[:, 1], minlength=n_items).astype(float)
    return counts / counts.max()


def repurchase_stats(customers, items, days, n_items: int):
    """Per item: the share of its buyers who bought it again on a later day
    (repeaters / (buyers + 1), so an item bought once by one customer is not a
    staple), and the median gap in days between a repeater's purchases (0 where
    nobody repeated)."""
    customers, items, days = map(np.asarray, (customers, items, days))
    share, cycle = np.zeros(n_items), np.zeros(n_items)
    if not len(items):
        return share, cycle
    triples = unique_rows(customers, items, days)
    pair_start = np.r_[
        True, (triples[1:, 0] != triples[:-1, 0]) | (triples[1:, 1] != triples[:-1, 1])
    ]
    pair = np.cumsum(pair_start) - 1
    times = np.bincount(pair)
    first = triples[pair_start, 2]
    last = np.zeros(len(times), dtype=triples.dtype)
    np.maximum.at(last, pair, triples[:, 2])
    item = triples[pair_start, 1]
    buyers = np.bincount(item, minlength=n_items)
    again = times > 1
    repeaters = np.bincount(item[again], minlength=n_items)
    share = repeaters / (buyers + 1.0)
    if not again.any():
        return share, cycle
    gaps = (last[again] - first[again]) / (times[again] - 1)
    order = np.argsort(item[again], kind="stable")
    by_item, gaps = item[again][order], gaps[order]
    starts = np.flatnonzero(np.r_[True, by_item[1:] != by_item[:-1]])
    for lo, hi in zip(starts, np.r_[starts[1:], len(by_item)], strict=True):
        cycle[by_item[lo]] = float(np.median(gaps[lo:hi]))
    return share, cycle


def fit_key(settings: BlendSettings) -> tuple:
    """What a fit depends on: every setting but the weights, and whether EASE and
    ALS are fitted (each when it has a weight)."""
    unweighted = replace(settings, **{source: 0.0 for source in SOURCES})
    return unweighted, settings.ease > 0, settings.als > 0


class BlendedRecommender:
    """Items are column indices in [0, n_items); customers non-negative indices."""

    def __init__(self, settings: BlendSettings = DEFAULTS) -> None:
        self.settings = settings

    def fit(
        self,
        customers,
        items,
        days,
        baskets,
        n_items: int,
        costly: bool | None = None,
    ) -> BlendedRecommender:
        """`costly`: fit EASE and ALS (default: each when it has a weight); EASE
        is skipped anyway when the catalogue is too large for it."""
        s = self.settings
        customers, items, days = map(np.asarray, (customers, items, days))
        n_customers = int(customers.max()) + 1 if len(customers) else 0
        bought = binary_matrix(customers, items, (n_customers, n_items))
        self.similarity_ = cosine_neighbours(bought, s.neighbours)
        self.rules_ = AssociationRules(
            window_days=s.window_days, min_together=s.min_together
        ).fit(customers, items, days, baskets, n_items)
        self.confidence_ = self.rules_.confidence_
        self.popularity_ = recent_popularity(
            customers, items, days, n_items, s.recent_days
        )
        ease = s.ease > 0 if costly is None else costly
        if ease and fits_ease(n_items) and n_items:
            self.ease_ = sparsify_rows(ease_weights(bought, s.ease_l2), s.ease_kept)
        else:
            self.ease_ = sparse.csr_matrix((n_items, n_items), dtype=np.float32)
        als = s.als > 0 if costly is None else costly
        self.factors_ = (
            fit_factors(bought, s.als_factors, alpha=s.als_alpha)
            if als and n_items and n_customers
            else Factors.empty(n_items)
        )
        self.repeat_share_, self.cycle_ = repurchase_stats(
            customers, items, days, n_items
        )
        self.n_items_ = n_items
        return self

    @classmethod
    def from_arrays(
        cls,
        settings: BlendSettings,
        similarity,
        confidence,
        popularity,
        ease=None,
        repeat_share=None,
        cycle=None,
        factors: Factors | None = None,
    ) -> BlendedRecommender:
        """A fitted recommender from saved arrays (see bot/recommend/model.py);
        a model saved before a source existed gets that source empty."""
        model = cls(settings)
        model.similarity_ = similarity.tocsr()
        model.confidence_ = confidence.tocsr()
        model.popularity_ = np.asarray(popularity, dtype=float)
        n = len(model.popularity_)
        model.n_items_ = n
        model.ease_ = (
            sparse.csr_matrix((n, n), dtype=np.float32) if ease is None else ease
        ).tocsr()
        model.repeat_share_ = np.zeros(n) if repeat_share is None else repeat_share
        model.cycle_ = np.zeros(n) if cycle is None else cycle
        model.factors_ = Factors.empty(n) if factors is None else factors
        return model

    def reweighted(self, settings: BlendSettings) -> BlendedRecommender:
        """This fit under other weights: only `combine` reads the weights, so a
        fit serves every weighting of the same other settings."""
        if fit_key(settings) != fit_key(self.settings):
            raise ValueError("only the weights may differ from the fitted settings")
        model = copy.copy(self)
        model.settings = settings
        return model

    def recency_weights(self, owned_days, today: int) -> np.ndarray:
        age = np.maximum(today - np.asarray(owned_days, dtype=float), 0.0)
        return 0.5 ** (age / self.settings.halflife_days)

    def source_scores(
        self,
        owned: np.ndarray,
        owned_days: np.ndarray,
        today: int,
        first_days: np.ndarray | None = None,
        times: np.ndarray | None = None,
        sources: Collection[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Per source, each item's score for a customer who owns `owned` (last
        bought on `owned_days`; `first_days` and `times`, the first day and the
        number of days she bought each, feed `again`; without them each counts as
        bought once). Only `sources` (default: all) are computed."""
        history = History(
            np.asarray(owned, dtype=np.int64), owned_days, first_days, times
        )
        return {
            source: scores[0]
            for source, scores in self.source_scores_many(
                Stacked.of([history]), today, sources
            ).items()
        }

    def recent(self, stacked: Stacked, today: int) -> sparse.csr_matrix:
        """Customers x items: each item she owns weighted by how recently she
        bought it."""
        weight = self.recency_weights(stacked.last, today)
        return sparse.csr_matrix(
            (weight, (stacked.rows, stacked.cols)),
            shape=(stacked.n_rows, self.n_items_),
        )

    def source_scores_many(
        self,
        stacked: Stacked,
        today: int,
        sources: Collection[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """`source_scores` of many customers at once: per source, customers x
        items (the same numbers, as one product per source instead of one per
        customer). Only `sources` (default: all) are computed; the others are
        read-only zeros."""
        n_rows, n = stacked.n_rows, self.n_items_
        rows, cols = stacked.rows, stacked.cols
        recent = self.recent(stacked, today)
        nothing = np.broadcast_to(0.0, (n_rows, n))
        out = dict.fromkeys(SOURCES, nothing)
        wanted = set(SOURCES if sources is None else sources)
        if "similar" in wanted:
            out["similar"] = unit_rows(weighted_rows(recent, self.similarity_))
        if "rules" in wanted:
            out["rules"] = unit_rows(max_product(recent, self.confidence_))
        if "ease" in wanted and self.ease_.nnz:
            out["ease"] = unit_rows(np.maximum(weighted_rows(recent, self.ease_), 0))
        if "als" in wanted:
            raw = self.factors_.scores_many(rows, cols, n_rows)
            out["als"] = unit_rows(np.maximum(raw, 0.0))
        if "popular" in wanted:
            out["popular"] = np.broadcast_to(self.popularity_, (n_rows, n))
        if "again" in wanted:
            again = np.zeros((n_rows, n))
            again[rows, cols] = self.again_scores(
                cols, stacked.last, today, stacked.first, stacked.times
            )
            out["again"] = unit_rows(again)
        return out

    def weighted(self) -> tuple[str, ...]:
        """The sources with a weight: all that `combine` needs."""
        return tuple(s for s in SOURCES if self.settings.weight(s) > 0)

    def again_scores(self, owned, last_days, today, first_days=None, times=None):
        """Her items by how likely she buys each again now: how often she bought
        it, times how close today is to her rhythm for it (her own mean gap, or
        the item's usual gap among repeat buyers; plain recency when neither is
        known), times the share of its buyers who rebuy it (1 once she has
        herself)."""
        last = np.asarray(last_days, dtype=float)
        count = np.ones(len(owned)) if times is None else np.asarray(times, float)
        first = last if first_days is None else np.asarray(first_days, float)
        age = np.maximum(today - last, 0.0)
        own_cycle = np.where(count > 1, (last - first) / np.maximum(count - 1, 1), 0)
        cycle = np.where(own_cycle > 0, own_cycle, self.cycle_[owned])
        safe = np.where(cycle > 0, cycle, 1.0)
        timing = np.where(
            cycle > 0,
            1.0 / (1.0 + ((age - cycle) / safe) ** 2),
            self.recency_weights(last, today),
        )
        propensity = np.where(count > 1, 1.0, self.repeat_share_[owned])
        return count * timing * propensity

    def combine(self, scores: dict[str, np.ndarray]) -> np.ndarray:
        s = self.settings
        return sum(s.weight(source) * scores[source] for source in SOURCES)


def _joined(parts: list, dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)
