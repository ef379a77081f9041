"""The blended recommender: similar items, association rules and recent popularity.

Scores for one customer come from what she bought, each purchase weighted by how
recent it is (half-life `halflife_days`): item-KNN cosine similarity to her items,
the strongest rule from one of her items, and how many customers bought the item
lately. Each source is scaled to [0, 1] for her before weighting, so one source
cannot drown the others on a catalogue where its raw numbers happen to be large.
Popularity has a small weight: it only orders items the other two do not tell
apart and fills the list for customers with little history, which on sparse,
long-tailed logs is most of them. The per-source scores are kept so that a
suggestion can say why it was made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from bot.recommend.item_knn import cosine_neighbours
from bot.recommend.rules import AssociationRules
from bot.recommend.sparse_ops import binary_matrix


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


DEFAULTS = BlendSettings()


def recent_popularity(customers, items, days, n_items: int, recent_days: int):
    """Distinct buyers per item in the last `recent_days`, scaled to [0, 1]."""
    customers, items, days = map(np.asarray, (customers, items, days))
    recent = days > days.max() - recent_days if len(days) else days.astype(bool)
    if not recent.any():
        return np.zeros(n_items)
    pairs = np.unique(np.c_[customers[recent], items[recent]], axis=0)
    counts = np.bincount(pairs[:, 1], minlength=n_items).astype(float)
    return counts / counts.max()


class BlendedRecommender:
    """Items are column indices in [0, n_items); customers non-negative indices."""

    def __init__(self, settings: BlendSettings = DEFAULTS) -> None:
        self.settings = settings

    def fit(self, customers, items, days, baskets, n_items: int) -> BlendedRecommender:
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
        self.n_items_ = n_items
        return self

    @classmethod
    def from_arrays(
        cls, settings: BlendSettings, similarity, confidence, popularity
    ) -> BlendedRecommender:
        """A fitted recommender from saved arrays (see bot/recommend/model.py)."""
        model = cls(settings)
        model.similarity_ = similarity.tocsr()
        model.confidence_ = confidence.tocsr()
        model.popularity_ = np.asarray(popularity, dtype=float)
        model.n_items_ = len(model.popularity_)
        return model

    def recency_weights(self, owned_days, today: int) -> np.ndarray:
        age = np.maximum(today - np.asarray(owned_days, dtype=float), 0.0)
        return 0.5 ** (age / self.settings.halflife_days)

    def source_scores(
        self, owned: np.ndarray, owned_days: np.ndarray, today: int
    ) -> dict[str, np.ndarray]:
        """Per source, each item's score for a customer who owns `owned`."""
        if len(owned) == 0:
            zeros = np.zeros(self.n_items_)
            return {"similar": zeros, "rules": zeros, "popular": self.popularity_}
        weight = self.recency_weights(owned_days, today)
        similar = np.asarray(self.similarity_[owned].T @ weight).ravel()
        rules = sparse.diags(weight) @ self.confidence_[owned]
        return {
            "similar": _unit(similar),
            "rules": _unit(np.asarray(rules.max(axis=0).todense()).ravel()),
            "popular": self.popularity_,
        }

    def combine(self, scores: dict[str, np.ndarray]) -> np.ndarray:
        s = self.settings
        return (
            s.similar * scores["similar"]
            + s.rules * scores["rules"]
            + s.popular * scores["popular"]
        )


def _unit(values: np.ndarray) -> np.ndarray:
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else values
