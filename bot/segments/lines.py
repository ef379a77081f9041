"""From raw purchase lines (one per order line) to the inputs of segmentation.

Reading lines once and grouping them in numpy is faster than asking SQLite to group
20 million joined rows (measured: see README, Benchmarks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bot.knowledge.schema import PreferenceRules
from bot.segments.preferences import LineAggregates


@dataclass(frozen=True)
class OrderRows:
    customers: np.ndarray
    days: np.ndarray
    amounts: np.ndarray


@dataclass(frozen=True)
class PurchaseLines:
    """One row per order line; `days` are local day numbers (date.toordinal())."""

    order_ids: np.ndarray
    customers: np.ndarray
    days: np.ndarray
    product_ids: np.ndarray
    amount: np.ndarray
    gross: np.ndarray
    quantity: np.ndarray
    discounted: np.ndarray


@dataclass(frozen=True)
class ProductTable:
    """Per product id (index = id; unused ids are empty)."""

    category_codes: np.ndarray
    category_labels: np.ndarray
    brand_codes: np.ndarray
    brand_labels: np.ndarray
    promo: np.ndarray
    launch_day: np.ndarray


def product_table(ids, categories, brands, promo, launch_days) -> ProductTable:
    ids = np.asarray(ids, dtype=np.int64)
    size = int(ids.max()) + 1 if len(ids) else 1
    category_labels, category_codes = np.unique(
        np.asarray(categories, dtype=str), return_inverse=True
    )
    brand_labels, brand_codes = np.unique(
        np.asarray(brands, dtype=str), return_inverse=True
    )

    def spread(values, fill, dtype):
        """Per product id, so line arrays can index it directly."""
        full = np.full(size, fill, dtype=dtype)
        full[ids] = values
        return full

    return ProductTable(
        category_codes=spread(category_codes, 0, np.int32),
        category_labels=category_labels,
        brand_codes=spread(brand_codes, 0, np.int32),
        brand_labels=brand_labels,
        promo=spread(np.asarray(promo, dtype=bool), False, bool),
        launch_day=spread(np.asarray(launch_days, dtype=float), np.nan, float),
    )


def orders_from_lines(lines: PurchaseLines) -> OrderRows:
    """(customers, days, amounts) per order, for the purchase summary."""
    orders, first, inverse = np.unique(
        lines.order_ids, return_index=True, return_inverse=True
    )
    amounts = np.bincount(inverse, weights=lines.amount, minlength=len(orders))
    return OrderRows(lines.customers[first], lines.days[first], amounts)


def line_aggregates(
    lines: PurchaseLines, products: ProductTable, as_of_day: int, rules: PreferenceRules
) -> LineAggregates:
    product = lines.product_ids
    weighted = (as_of_day + 1.0) - lines.days
    weighted *= -math.log(2) / rules.half_life_days
    np.exp(weighted, out=weighted)
    weighted *= lines.amount
    since_launch = lines.days - products.launch_day[product]
    fresh = (since_launch >= 0) & (since_launch <= rules.new_arrival_days + 1)
    del since_launch
    promo = lines.discounted | products.promo[product]
    return LineAggregates(
        customers=lines.customers,
        category_codes=products.category_codes[product],
        category_labels=products.category_labels,
        brand_codes=products.brand_codes[product],
        brand_labels=products.brand_labels,
        spend=lines.amount,
        weighted=weighted,
        promo=np.where(promo, lines.amount, 0.0),
        fresh=np.where(fresh, lines.amount, 0.0),
        quantity=lines.quantity,
        gross=lines.gross,
    )
