"""Plain item-KNN: items bought by the same customers, by cosine similarity.

A baseline for the evaluation; its similarity is one source of the blend. Follows
scikit-learn's contract: hyperparameters in __init__, `fit` returns self,
fitted attributes end in `_`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

from bot.recommend.evaluation import Recommender, scored_from_known
from bot.recommend.sparse_ops import (
    gram_blocks,
    labelled_matrix,
    top_k_indices,
    weighted_rows,
)


class ItemKNNRecommender:
    def __init__(self, neighbours: int = 50) -> None:
        self.neighbours = neighbours

    def fit(self, customers, items) -> ItemKNNRecommender:
        self.items_, bought = labelled_matrix(customers, items)
        self.index_ = {item: i for i, item in enumerate(self.items_.tolist())}
        self.similarity_ = cosine_neighbours(bought, self.neighbours)
        return self

    def recommend(
        self, known: Mapping[int, set[str]], exclude: bool = True
    ) -> Recommender:
        """Top k for a customer from her `known` items; `exclude` leaves those
        out of the suggestions (the "new" view). Customers are scored in batches:
        her row of items times the similarity."""
        return scored_from_known(
            self.items_,
            self.index_,
            known,
            exclude,
            lambda owned: weighted_rows(owned, self.similarity_),
        )


def cosine_neighbours(bought: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Item x item cosine over customers (binary), each item's k nearest kept;
    computed in blocks of items so a large catalogue never holds all pairs."""
    unit = normalize(bought.tocsc(), axis=0).tocsr()
    n = bought.shape[1]
    kept_rows, kept_cols, kept_values = [], [], []
    for rows, cols, values in gram_blocks(unit):
        keep = top_k_indices(rows, cols, values, k)
        kept_rows.append(rows[keep])
        kept_cols.append(cols[keep])
        kept_values.append(values[keep])
    if not kept_rows:
        return sparse.csr_matrix((n, n))
    return sparse.csr_matrix(
        (
            np.concatenate(kept_values),
            (np.concatenate(kept_rows), np.concatenate(kept_cols)),
        ),
        shape=(n, n),
    )
