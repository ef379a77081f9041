"""Association rules "bought X -> also bought Y" with support, confidence and lift.

Transactions are either baskets (one order) or a customer's orders in consecutive
windows of `window_days` counted from her first purchase: a scarf bought a week
after the coat is still a coat-and-scarf purchase in a shop where people come back.
Counts are sparse matrix products (transactions x items, binary), so a large
catalogue costs memory only for the pairs that occur.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from bot.recommend.sparse_ops import binary_matrix, gram_blocks, top_k_indices


@dataclass(frozen=True)
class Rule:
    antecedent: int
    consequent: int
    support: float
    confidence: float
    lift: float
    together: int


class AssociationRules:
    """Item-to-item rules over transactions; `confidence_`, `lift_` and `together_`
    are item x item CSR matrices holding the kept rules only."""

    def __init__(
        self,
        window_days: int = 30,
        min_together: int = 2,
        min_lift: float = 1.0,
        max_rules_per_item: int = 50,
    ) -> None:
        self.window_days = window_days
        self.min_together = min_together
        self.min_lift = min_lift
        self.max_rules_per_item = max_rules_per_item

    def fit(self, customers, items, days, baskets, n_items: int) -> AssociationRules:
        """`items` are column indices in [0, n_items); `baskets` order ids."""
        transactions = transaction_ids(
            np.asarray(customers),
            np.asarray(days),
            np.asarray(baskets),
            self.window_days,
        )
        n_transactions = int(transactions.max()) + 1 if len(transactions) else 0
        bought = binary_matrix(
            transactions, np.asarray(items), (n_transactions, n_items)
        )
        self.transactions_ = n_transactions
        self.item_counts_ = np.asarray(bought.sum(axis=0)).ravel()
        kept = [self._strong(*block) for block in gram_blocks(bought)]
        rows, cols, confidence, lift, together = (
            np.concatenate([k[n] for k in kept]) if kept else np.zeros(0, np.int64)
            for n in range(5)
        )
        shape = (n_items, n_items)
        self.confidence_ = sparse.csr_matrix((confidence, (rows, cols)), shape=shape)
        self.lift_ = sparse.csr_matrix((lift, (rows, cols)), shape=shape)
        self.together_ = sparse.csr_matrix((together, (rows, cols)), shape=shape)
        return self

    def _strong(self, rows, cols, together):
        """The rules of one block that pass the thresholds, best per item first."""
        enough = together >= self.min_together
        rows, cols, together = rows[enough], cols[enough], together[enough]
        confidence = together / self.item_counts_[rows]
        lift = confidence * self.transactions_ / self.item_counts_[cols]
        strong = lift > self.min_lift
        rows, cols = rows[strong], cols[strong]
        confidence, lift, together = confidence[strong], lift[strong], together[strong]
        keep = top_k_indices(rows, cols, confidence, self.max_rules_per_item)
        return rows[keep], cols[keep], confidence[keep], lift[keep], together[keep]

    def rule(self, antecedent: int, consequent: int) -> Rule | None:
        confidence = float(self.confidence_[antecedent, consequent])
        if confidence == 0:
            return None
        together = int(self.together_[antecedent, consequent])
        return Rule(
            antecedent,
            consequent,
            together / self.transactions_,
            confidence,
            float(self.lift_[antecedent, consequent]),
            together,
        )


def transaction_ids(
    customers: np.ndarray, days: np.ndarray, baskets: np.ndarray, window_days: int
) -> np.ndarray:
    """One id per basket (window 0) or per customer window of `window_days`;
    customers must be non-negative integer indices."""
    if window_days <= 0 or len(customers) == 0:
        return np.unique(baskets, return_inverse=True)[1]
    first_day = np.full(int(customers.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_day, customers, days)
    window = (days - first_day[customers]) // (window_days + 1)
    keys = customers.astype(np.int64) * (int(window.max()) + 1) + window
    return np.unique(keys, return_inverse=True)[1]
