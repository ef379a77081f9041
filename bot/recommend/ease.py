"""EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): a
linear item-item model in closed form, a strong baseline for implicit feedback.

    G = XᵀX + λI,  P = G⁻¹,  B = -P / diag(P) (columnwise),  diag(B) = 0
    score(u) = x_u B

X is the binary customer x item matrix. The inverse is dense (items x items), so
the model is fitted only for catalogues up to `max_items` (about 20,000 items:
1.6 GB in float32, held twice while inverting); above that `fit` raises. Same
contract as the other recommenders: hyperparameters in __init__, `fit` returns
self, fitted attributes end in `_`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
from scipy import linalg, sparse
from threadpoolctl import threadpool_limits

from bot.recommend.evaluation import Recommender, scored_from_known
from bot.recommend.sparse_ops import labelled_matrix

MAX_ITEMS = 20_000


class CatalogueTooLarge(ValueError):
    """More items than a dense items x items inverse should hold."""


def fits_ease(n_items: int, max_items: int = MAX_ITEMS) -> bool:
    return n_items <= max_items


def ease_weights(bought: sparse.spmatrix, l2: float) -> np.ndarray:
    """B of the closed form for the binary customers x items matrix `bought`.
    The inversion uses every core even where the caller holds BLAS to one thread
    for its many small products (see `single_blas`)."""
    # float32 throughout: half the memory of the dense inverse, and the ridge
    # term keeps the system well conditioned
    gram = (bought.T @ bought).toarray().astype(np.float32)
    gram[np.diag_indices_from(gram)] += l2
    with threadpool_limits(os.cpu_count() or 1, "blas"):
        weights = linalg.inv(gram, overwrite_a=True, check_finite=False)
    del gram
    weights /= -np.diag(weights)
    np.fill_diagonal(weights, 0.0)
    return weights


def sparsify_rows(weights: np.ndarray, kept: int, block: int = 2048):
    """Each row's `kept` largest positive weights as CSR: what serving needs of
    B (a customer's scores are sums of her items' rows), at a fraction of the
    dense matrix's memory."""
    n = weights.shape[0]
    kept = min(kept, n)
    rows, cols, values = [], [], []
    for start in range(0, n, block):
        part = weights[start : start + block]
        top = (
            np.argpartition(-part, kept - 1, axis=1)[:, :kept] if kept else part[:, :0]
        )
        picked = np.take_along_axis(part, top, axis=1)
        keep = picked > 0
        rows.append((np.arange(len(part))[:, None] + start).repeat(kept, 1)[keep])
        cols.append(top[keep])
        values.append(picked[keep])
    return sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=weights.shape,
        dtype=np.float32,
    )


class EASERecommender:
    def __init__(self, l2: float = 500.0, max_items: int = MAX_ITEMS) -> None:
        self.l2 = l2
        self.max_items = max_items

    def fit(self, customers, items) -> EASERecommender:
        self.items_, bought = labelled_matrix(customers, items)
        if len(self.items_) > self.max_items:
            raise CatalogueTooLarge(
                f"{len(self.items_)} items; EASE is fitted up to {self.max_items}"
            )
        self.index_ = {item: i for i, item in enumerate(self.items_.tolist())}
        self.weights_ = ease_weights(bought, self.l2)
        return self

    def recommend(
        self, known: Mapping[int, set[str]], exclude: bool = True
    ) -> Recommender:
        """Top k for a customer from her `known` items; `exclude` leaves those
        out of the suggestions (the "new" view). Customers are scored in
        batches: her row of X times B."""
        return scored_from_known(
            self.items_,
            self.index_,
            known,
            exclude,
            lambda owned: owned @ self.weights_,
        )
