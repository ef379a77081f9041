"""Preference profiles from order lines aggregated per (customer, category, brand).

Shares are recency-weighted (a purchase half_life_days old counts half), so a
customer's current taste outweighs what she bought two years ago.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.knowledge.schema import PreferenceRules


@dataclass(frozen=True)
class LineAggregates:
    """Rows grouped by (customer, category, brand); amounts in fen."""

    customers: np.ndarray
    categories: np.ndarray
    brands: np.ndarray
    spend: np.ndarray
    weighted: np.ndarray
    promo: np.ndarray
    fresh: np.ndarray
    quantity: np.ndarray
    gross: np.ndarray


@dataclass(frozen=True)
class Profiles:
    """Aligned on `customers` (sorted ascending)."""

    customers: np.ndarray
    spend: np.ndarray
    promo_share: np.ndarray
    new_share: np.ndarray
    average_price: np.ndarray
    breadth: np.ndarray
    top_categories: list[list[tuple[str, float]]]
    top_brands: list[list[tuple[str, float]]]

    def flags(self, rules: PreferenceRules) -> tuple[np.ndarray, np.ndarray]:
        """(discount seeker, new-arrival lover) per customer."""
        return (
            self.promo_share >= rules.discount_seeker_share,
            self.new_share >= rules.new_arrival_lover_share,
        )


def profiles(lines: LineAggregates, top: int) -> Profiles:
    ids, inverse = np.unique(lines.customers, return_inverse=True)
    sums = {
        name: np.bincount(inverse, weights=getattr(lines, name), minlength=len(ids))
        for name in ("spend", "promo", "fresh", "quantity", "gross")
    }
    spend = sums["spend"]
    with np.errstate(divide="ignore", invalid="ignore"):
        promo_share = np.where(spend > 0, sums["promo"] / spend, 0.0)
        new_share = np.where(spend > 0, sums["fresh"] / spend, 0.0)
        average_price = np.where(
            sums["quantity"] > 0, sums["gross"] / sums["quantity"], 0.0
        )
    category_index = _group(inverse, lines.categories)
    return Profiles(
        customers=ids,
        spend=spend,
        promo_share=promo_share,
        new_share=new_share,
        average_price=average_price,
        breadth=np.bincount(category_index[0], minlength=len(ids)),
        top_categories=_top(len(ids), *category_index, lines.weighted, top),
        top_brands=_top(len(ids), *_group(inverse, lines.brands), lines.weighted, top),
    )


def _group(customer_index: np.ndarray, names: np.ndarray):
    """Unique (customer, name) pairs: customer index, name, and each row's pair."""
    codes, labels = _encode(names)
    key = customer_index.astype(np.int64) * (len(labels) + 1) + codes
    pairs, pair_of_row = np.unique(key, return_inverse=True)
    return pairs // (len(labels) + 1), labels[pairs % (len(labels) + 1)], pair_of_row


def _encode(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels, codes = np.unique(names.astype(str), return_inverse=True)
    return codes, labels


def _top(n_customers, pair_customer, pair_label, pair_of_row, weights, k) -> list:
    pair_weight = np.bincount(
        pair_of_row, weights=weights, minlength=len(pair_customer)
    )
    totals = np.bincount(pair_customer, weights=pair_weight, minlength=n_customers)
    order = np.lexsort((pair_label, -pair_weight, pair_customer))
    result: list[list[tuple[str, float]]] = [[] for _ in range(n_customers)]
    for index in order:
        customer = pair_customer[index]
        chosen = result[customer]
        if len(chosen) < k and totals[customer] > 0:
            chosen.append(
                (str(pair_label[index]), float(pair_weight[index] / totals[customer]))
            )
    return result
