"""Implicit-feedback ALS (Hu, Koren and Volinsky 2008) through the `implicit`
library: a baseline of the evaluation and a source of the blend.

Each customer and each item gets `factors` numbers; a customer's score for an item
is the dot product. Confidence in a purchase is `alpha` (`implicit`'s convention:
the purchase matrix times alpha), 1 for every item she did not buy;
`regularization` keeps the factors small. Only the item factors are kept: a
customer's own factors are solved from her items when she is scored (`fold_in_many`,
the same least-squares step ALS itself alternates), so a customer who bought after
training is served as well as one who did not. BLAS is held to one thread while
fitting, as `implicit` asks (its own threads do the work).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from bot.recommend.evaluation import Recommender, scored_from_known
from bot.recommend.sparse_ops import labelled_matrix


@dataclass(frozen=True)
class Factors:
    """Fitted item factors and what folding a customer in needs."""

    items: np.ndarray  # n_items x factors, float32
    gram: np.ndarray  # itemsᵀ items
    alpha: float
    regularization: float

    @classmethod
    def empty(cls, n_items: int) -> Factors:
        return cls(np.zeros((n_items, 0), np.float32), np.zeros((0, 0)), 1.0, 1.0)

    def fold_in_many(self, rows: np.ndarray, cols: np.ndarray) -> tuple:
        """Each customer's factors given the items she bought (binary
        preferences), her items the `cols` of her `rows` (rows ascending): the
        step `implicit` takes for a user,
        (YᵀY + (α - 1) Σ y_i y_iᵀ + λI)⁻¹ α Σ y_i over her items i,
        stacked into one solve. Returns (the rows that own items, their factors)."""
        size = self.items.shape[1]
        bounds = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1], True])
        mine = self.items[cols].astype(np.float64)
        sums = np.add.reduceat(mine, bounds[:-1], axis=0)
        systems = np.empty((len(bounds) - 1, size, size))
        for n, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            systems[n] = mine[lo:hi].T @ mine[lo:hi]
        systems *= self.alpha - 1.0
        systems += self.gram
        systems[:, np.arange(size), np.arange(size)] += self.regularization
        users = np.linalg.solve(systems, self.alpha * sums[:, :, None])[:, :, 0]
        return rows[bounds[:-1]], users

    def scores_many(self, rows: np.ndarray, cols: np.ndarray, n_rows: int):
        """Dense n_rows x items: each customer's scores (0 for one who owns
        nothing). Scoring one by one would be mostly overhead."""
        out = np.zeros((n_rows, len(self.items)))
        if not len(rows) or not self.items.shape[1]:
            return out
        who, users = self.fold_in_many(rows, cols)
        # in the factors' own float32: a float64 product would first copy every
        # item's factors (25 MB at 50,000 items) on each call
        out[who] = users.astype(np.float32) @ self.items.T
        return out


def fit_factors(
    bought: sparse.csr_matrix,
    factors: int = 64,
    regularization: float = 0.05,
    alpha: float = 10.0,
    iterations: int = 15,
    seed: int = 0,
) -> Factors:
    """ALS on a binary customers x items matrix."""
    from implicit.cpu.als import AlternatingLeastSquares

    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            random_state=seed,
        )
        model.fit(bought.tocsr().astype(np.float32), show_progress=False)
    items = np.asarray(model.item_factors, dtype=np.float32)
    return Factors(items, items.T.astype(np.float64) @ items, alpha, regularization)


class ALSRecommender:
    """The baseline: ALS alone. Same contract as the other recommenders:
    hyperparameters in __init__, `fit` returns self, fitted attributes end in `_`."""

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 15,
        seed: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed

    def fit(self, customers, items) -> ALSRecommender:
        self.items_, bought = labelled_matrix(customers, items)
        self.index_ = {item: i for i, item in enumerate(self.items_.tolist())}
        self.factors_ = fit_factors(
            bought,
            self.factors,
            self.regularization,
            self.alpha,
            self.iterations,
            self.seed,
        )
        return self

    def recommend(
        self, known: Mapping[int, set[str]], exclude: bool = True
    ) -> Recommender:
        """Top k for a customer from her `known` items; `exclude` leaves those
        out of the suggestions (the "new" view). Customers are scored in
        batches (see `Factors.scores_many`)."""

        def score(owned: sparse.csr_matrix) -> np.ndarray:
            coo = owned.tocoo()
            return self.factors_.scores_many(coo.row, coo.col, owned.shape[0])

        return scored_from_known(self.items_, self.index_, known, exclude, score)
