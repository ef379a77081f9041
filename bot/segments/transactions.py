"""From purchase rows to per-customer summaries, vectorised with numpy.

Input: one row per order, `customer` ids, `day` numbers (days since any epoch; the
fraction is the time of day) and `amount`. Purchases on the same calendar day count
as one purchase occasion, as in the BG/NBD literature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    """Arrays aligned on `customers` (sorted ascending)."""

    customers: np.ndarray
    orders: np.ndarray
    spend: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    purchase_days: np.ndarray
    first_day_spend: np.ndarray
    median_gap: np.ndarray
    last_gap: np.ndarray

    @property
    def repeat_purchases(self) -> np.ndarray:
        return self.purchase_days - 1

    def repeat_mean_value(self) -> np.ndarray:
        """Mean spend of the repeat purchase days (0 where there are none)."""
        repeat = self.repeat_purchases
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (self.spend - self.first_day_spend) / repeat
        return np.where(repeat > 0, value, 0.0)

    def bgnbd_inputs(self, as_of_day: float, unit_days: float = 7.0):
        """(x, t_x, T) in units of `unit_days`, observation ending at `as_of_day`."""
        x = self.repeat_purchases.astype(float)
        t_x = (self.last_day - self.first_day) / unit_days
        age = (as_of_day - self.first_day) / unit_days
        return x, t_x, age


def summarise(customers, days, amounts) -> Summary:
    customers = np.asarray(customers)
    calendar = np.floor(np.asarray(days, dtype=float)).astype(np.int64)
    amounts = np.asarray(amounts, dtype=float)
    order = np.lexsort((calendar, customers))
    customers, calendar, amounts = customers[order], calendar[order], amounts[order]

    ids, starts, counts = np.unique(customers, return_index=True, return_counts=True)
    spend = np.add.reduceat(amounts, starts) if len(ids) else np.zeros(0)

    new_day = np.ones(len(customers), dtype=bool)
    new_day[1:] = (customers[1:] != customers[:-1]) | (calendar[1:] != calendar[:-1])
    day_index = np.cumsum(new_day) - 1
    day_customers = customers[new_day]
    day_values = calendar[new_day]
    day_spend = np.bincount(day_index, weights=amounts) if len(amounts) else np.zeros(0)
    _, day_starts, day_counts = np.unique(
        day_customers, return_index=True, return_counts=True
    )

    median_gap, last_gap = _gaps(day_customers, day_values, day_starts, day_counts)
    return Summary(
        customers=ids,
        orders=counts,
        spend=spend,
        first_day=day_values[day_starts].astype(float) if len(ids) else np.zeros(0),
        last_day=day_values[day_starts + day_counts - 1].astype(float)
        if len(ids)
        else np.zeros(0),
        purchase_days=day_counts,
        first_day_spend=day_spend[day_starts] if len(ids) else np.zeros(0),
        median_gap=median_gap,
        last_gap=last_gap,
    )


def _gaps(day_customers, day_values, starts, counts) -> tuple[np.ndarray, np.ndarray]:
    """Median and last gap (days) between purchase days; NaN with a single day."""
    n = len(starts)
    median, last = np.full(n, np.nan), np.full(n, np.nan)
    if len(day_values) < 2:
        return median, last
    gaps = np.diff(day_values).astype(float)
    same = day_customers[1:] == day_customers[:-1]
    gap_customer_index = np.searchsorted(day_customers[starts], day_customers[1:][same])
    gaps = gaps[same]
    has = counts > 1
    last[has] = (
        day_values[starts[has] + counts[has] - 1]
        - day_values[starts[has] + counts[has] - 2]
    )
    order = np.lexsort((gaps, gap_customer_index))
    sorted_gaps = gaps[order]
    gap_counts = counts - 1
    gap_starts = np.concatenate(([0], np.cumsum(gap_counts)[:-1]))
    lo = gap_starts + (gap_counts - 1) // 2
    hi = gap_starts + gap_counts // 2
    median[has] = (sorted_gaps[lo[has]] + sorted_gaps[hi[has]]) / 2
    return median, last
