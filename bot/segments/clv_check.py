"""The Fader-Hardie holdout check of a BG/NBD fit: fit on a calibration period,
predict each customer's repeat purchases in the holdout that follows, and compare
with what she actually bought, in total and by calibration frequency group.

Pure: purchase rows in (customer keys, local day numbers), a result out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.segments.clv import BetaGeoFitter, fit_problems
from bot.segments.transactions import summarise


@dataclass(frozen=True)
class GroupRow:
    """Customers with `label` repeat purchases in the calibration period."""

    label: str
    customers: int
    actual: float  # mean repeat purchases in the holdout
    predicted: float


@dataclass(frozen=True)
class HoldoutCheck:
    customers: int
    calibration_units: float
    holdout_units: float
    params: dict[str, float]
    problems: tuple
    calibration_repeats: int
    actual_total: int
    predicted_total: float
    groups: tuple[GroupRow, ...]

    @property
    def error(self) -> float:
        """Predicted total relative to the actual (0.02 = 2% over)."""
        return self.predicted_total / max(self.actual_total, 1) - 1.0


def holdout_check(
    customers,
    days,
    calibration_end: int,
    holdout_end: int,
    unit_days: float = 7.0,
    top_group: int = 7,
    min_repeat_buyers: int = 50,
    fitter: BetaGeoFitter | None = None,
) -> HoldoutCheck:
    """`days` are day numbers (date.toordinal()); the calibration period ends with
    day `calibration_end`, the holdout with `holdout_end`. The cohort is everyone
    who bought in the calibration period; purchases on one day count once. A
    fitted `fitter` may be given (e.g. published parameters) instead of fitting."""
    customers = np.asarray(customers)
    days = np.floor(np.asarray(days, dtype=float)).astype(np.int64)
    in_calibration = days <= calibration_end
    summary = summarise(
        customers[in_calibration],
        days[in_calibration],
        np.zeros(int(in_calibration.sum())),
    )
    # Ages count to the calibration's last day, as Fader, Hardie and Lee do (a
    # first purchase on 1997-01-01 is 38.86 weeks old on 1997-09-30).
    x, t_x, age = summary.bgnbd_inputs(float(calibration_end), unit_days)
    holdout = ~in_calibration & (days <= holdout_end)
    actual = _holdout_days(summary.customers, customers[holdout], days[holdout])
    model = fitter or BetaGeoFitter().fit(x, t_x, age)
    horizon = (holdout_end - calibration_end) / unit_days
    predicted = model.expected_purchases(horizon, x, t_x, age)
    return HoldoutCheck(
        customers=len(x),
        calibration_units=(calibration_end - summary.first_day.min()) / unit_days
        if len(x)
        else 0.0,
        holdout_units=horizon,
        params=model.params(),
        problems=fit_problems(model, x, min_repeat_buyers) if fitter is None else (),
        calibration_repeats=int(x.sum()),
        actual_total=int(actual.sum()),
        predicted_total=float(predicted.sum()),
        groups=_groups(x, actual, predicted, top_group),
    )


def _holdout_days(cohort: np.ndarray, customers: np.ndarray, days: np.ndarray):
    """Purchase days of each cohort customer in the holdout (0 for none)."""
    pairs = np.unique(np.stack([customers.astype(str), days.astype(str)]), axis=1)
    index = np.searchsorted(cohort.astype(str), pairs[0])
    known = (index < len(cohort)) & (
        cohort.astype(str)[np.minimum(index, len(cohort) - 1)] == pairs[0]
    )
    return np.bincount(index[known], minlength=len(cohort))


def _groups(x, actual, predicted, top: int) -> tuple[GroupRow, ...]:
    rows = []
    for k in range(top + 1):
        members = (x >= top) if k == top else (x == k)
        label = f"{top}+" if k == top else str(k)
        if members.any():
            rows.append(
                GroupRow(
                    label,
                    int(members.sum()),
                    float(actual[members].mean()),
                    float(predicted[members].mean()),
                )
            )
    return tuple(rows)
