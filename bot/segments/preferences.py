"""Preference profiles from purchase rows whose category and brand are integer codes.

Shares are recency-weighted (a purchase half_life_days old counts half), so a
customer's current taste outweighs what she bought two years ago.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.knowledge.schema import PreferenceRules

DENSE_CELLS = 60_000_000


@dataclass(frozen=True)
class LineAggregates:
    """Purchase rows (one per order line, or pre-grouped); amounts in fen.

    `category_codes` index `category_labels`, `brand_codes` index `brand_labels`.
    """

    customers: np.ndarray
    category_codes: np.ndarray
    category_labels: np.ndarray
    brand_codes: np.ndarray
    brand_labels: np.ndarray
    spend: np.ndarray
    weighted: np.ndarray
    promo: np.ndarray
    fresh: np.ndarray
    quantity: np.ndarray
    gross: np.ndarray


@dataclass(frozen=True)
class TopK:
    """Each customer's top labels: codes (-1 = none) and shares, (customers, k)."""

    codes: np.ndarray
    shares: np.ndarray
    labels: np.ndarray

    def row(self, i: int) -> list[tuple[str, float]]:
        return [
            (str(self.labels[code]), float(share))
            for code, share in zip(self.codes[i], self.shares[i], strict=True)
            if code >= 0
        ]


@dataclass(frozen=True)
class Profiles:
    """Aligned on `customers` (sorted ascending)."""

    customers: np.ndarray
    spend: np.ndarray
    promo_share: np.ndarray
    new_share: np.ndarray
    average_price: np.ndarray
    breadth: np.ndarray
    top_categories: TopK
    top_brands: TopK

    def flags(self, rules: PreferenceRules) -> tuple[np.ndarray, np.ndarray]:
        """(discount seeker, new-arrival lover) per customer."""
        return (
            self.promo_share >= rules.discount_seeker_share,
            self.new_share >= rules.new_arrival_lover_share,
        )


def profiles(lines: LineAggregates, top: int) -> Profiles:
    ids, inverse = np.unique(lines.customers, return_inverse=True)
    n = len(ids)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(inverse, weights=values, minlength=n)

    spend = total(lines.spend)
    quantity = total(lines.quantity)
    with np.errstate(divide="ignore", invalid="ignore"):
        promo_share = np.where(spend > 0, total(lines.promo) / spend, 0.0)
        new_share = np.where(spend > 0, total(lines.fresh) / spend, 0.0)
        average_price = np.where(quantity > 0, total(lines.gross) / quantity, 0.0)
    categories, breadth = _top(
        inverse, n, lines.category_codes, lines.category_labels, lines.weighted, top
    )
    brands, _ = _top(
        inverse, n, lines.brand_codes, lines.brand_labels, lines.weighted, top
    )
    return Profiles(
        customers=ids,
        spend=spend,
        promo_share=promo_share,
        new_share=new_share,
        average_price=average_price,
        breadth=breadth,
        top_categories=categories,
        top_brands=brands,
    )


def _top(inverse, n, codes, labels, weights, k) -> tuple[list, np.ndarray]:
    """Top-k labels per customer by weight, with shares, and how many labels she has."""
    width = len(labels)
    if n * width <= DENSE_CELLS:
        return _top_dense(inverse, n, codes, labels, weights, k)
    return _top_sorted(inverse, n, codes, labels, weights, k)


def _top_dense(inverse, n, codes, labels, weights, k):
    width = len(labels)
    cells = inverse * width + codes
    matrix = np.bincount(cells, weights=weights, minlength=n * width).reshape(n, width)
    counts = np.bincount(cells, minlength=n * width).reshape(n, width)
    breadth = (counts > 0).sum(axis=1)
    totals = matrix.sum(axis=1)
    order = np.argsort(-matrix, axis=1, kind="stable")[:, :k]
    chosen = np.take_along_axis(matrix, order, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(totals[:, None] > 0, chosen / totals[:, None], 0.0)
    return TopK(np.where(chosen > 0, order, -1), shares, labels), breadth


def _top_sorted(inverse, n, codes, labels, weights, k):
    """For many labels: group (customer, label) pairs by sorting instead of a matrix."""
    width = len(labels)
    keys = inverse.astype(np.int64) * width + codes
    pairs, pair_of_row = np.unique(keys, return_inverse=True)
    pair_weight = np.bincount(pair_of_row, weights=weights, minlength=len(pairs))
    pair_customer, pair_label = pairs // width, pairs % width
    totals = np.bincount(pair_customer, weights=pair_weight, minlength=n)
    breadth = np.bincount(pair_customer, minlength=n)
    order = np.lexsort((pair_label, -pair_weight, pair_customer))
    ranked_customer = pair_customer[order]
    starts = np.searchsorted(ranked_customer, np.arange(n))
    rank = np.arange(len(order)) - starts[ranked_customer]
    keep = (rank < k) & (pair_weight[order] > 0)
    top_codes = np.full((n, k), -1, dtype=np.int64)
    top_shares = np.zeros((n, k))
    rows, slots = ranked_customer[keep], rank[keep]
    top_codes[rows, slots] = pair_label[order][keep]
    top_shares[rows, slots] = pair_weight[order][keep] / totals[rows]
    return TopK(top_codes, top_shares, labels), breadth
