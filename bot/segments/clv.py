"""Customer lifetime value: BG/NBD for purchase counts, Gamma-Gamma for spend.

Maximum-likelihood fits with scipy, following Fader, Hardie and Lee (2005),
"Counting your customers the easy way" (BG/NBD) and "RFM and CLV" (Gamma-Gamma).
Inputs per customer, in one time unit (weeks here): `frequency` x = repeat purchases
(purchase days after the first), `recency` t_x = time from first to last purchase,
`age` T = time from first purchase to the end of the observation.

The estimators follow scikit-learn's contract: hyperparameters in `__init__`, `fit`
returns self, fitted parameters end in `_`.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1


class BetaGeoFitter:
    """BG/NBD: Poisson purchasing while alive, geometric dropout after each purchase."""

    def __init__(self, penalizer: float = 0.0, max_iter: int = 5000) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter

    def fit(self, frequency, recency, age) -> BetaGeoFitter:
        x, t_x, big_t = _arrays(frequency, recency, age)
        if not len(x):
            raise ValueError("BG/NBD needs at least one customer")
        scale = max(float(big_t.max()), 1.0) / 10.0

        def objective(log_params: np.ndarray) -> float:
            r, alpha, a, b = np.exp(log_params)
            penalty = self.penalizer * float(np.sum(np.exp(log_params) ** 2))
            return (
                -float(
                    np.mean(_bgnbd_ll(r, alpha, a, b, x, t_x / scale, big_t / scale))
                )
                + penalty
            )

        result = minimize(
            objective,
            np.zeros(4),
            method="Nelder-Mead",
            options={"maxiter": self.max_iter, "xatol": 1e-7, "fatol": 1e-10},
        )
        r, alpha, a, b = np.exp(result.x)
        self.r_, self.alpha_, self.a_, self.b_ = (
            float(r),
            float(alpha * scale),
            float(a),
            float(b),
        )
        self.log_likelihood_ = float(
            np.sum(_bgnbd_ll(r, alpha * scale, a, b, x, t_x, big_t))
        )
        self.converged_ = bool(result.success)
        return self

    def params(self) -> dict[str, float]:
        return {"r": self.r_, "alpha": self.alpha_, "a": self.a_, "b": self.b_}

    def probability_alive(self, frequency, recency, age) -> np.ndarray:
        x, t_x, big_t = _arrays(frequency, recency, age)
        return 1.0 / (1.0 + self._dropout_odds(x, t_x, big_t))

    def expected_purchases(self, horizon: float, frequency, recency, age) -> np.ndarray:
        """Expected purchases in the next `horizon` time units, given each history."""
        x, t_x, big_t = _arrays(frequency, recency, age)
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        z = horizon / (alpha + big_t + horizon)
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - ((alpha + big_t) / (alpha + big_t + horizon)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1, z
        )
        return head * tail / (1 + self._dropout_odds(x, t_x, big_t))

    def _dropout_odds(self, x, t_x, big_t) -> np.ndarray:
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x)
        return np.where(x > 0, odds, 0.0)


def _bgnbd_ll(r, alpha, a, b, x, t_x, big_t) -> np.ndarray:
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-12))
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


class GammaGammaFitter:
    """Gamma-Gamma: each customer's spend per purchase varies around her own mean."""

    def __init__(self, penalizer: float = 0.0, max_iter: int = 5000) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter

    def fit(self, frequency, monetary) -> GammaGammaFitter:
        """`monetary`: mean value of the repeat purchases; customers with x > 0 only."""
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary, dtype=float)
        keep = (x > 0) & (m > 0)
        x, m = x[keep], m[keep]
        if not len(x):
            raise ValueError("Gamma-Gamma needs customers with repeat purchases")
        scale = float(np.mean(m))

        def objective(log_params: np.ndarray) -> float:
            p, q, v = np.exp(log_params)
            penalty = self.penalizer * float(np.sum(np.exp(log_params) ** 2))
            return -float(np.mean(_gg_ll(p, q, v, x, m / scale))) + penalty

        result = minimize(
            objective,
            np.zeros(3),
            method="Nelder-Mead",
            options={"maxiter": self.max_iter, "xatol": 1e-7, "fatol": 1e-10},
        )
        p, q, v = np.exp(result.x)
        self.p_, self.q_, self.v_ = float(p), float(q), float(v * scale)
        self.converged_ = bool(result.success)
        return self

    def params(self) -> dict[str, float]:
        return {"p": self.p_, "q": self.q_, "v": self.v_}

    def expected_average_value(self, frequency, monetary) -> np.ndarray:
        """Expected spend per future purchase; the population mean when x = 0."""
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary, dtype=float)
        p, q, v = self.p_, self.q_, self.v_
        population = p * v / (q - 1)
        individual = (p * (v + x * m)) / (p * x + q - 1)
        return np.where(x > 0, individual, population)


def _gg_ll(p, q, v, x, m) -> np.ndarray:
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )


def _arrays(*columns) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(column, dtype=float) for column in columns)


# A fitted parameter this close to zero or this large means the optimiser ran to the
# edge of the space (log-parametrised, so "0" is never reached exactly).
_LOW, _HIGH = 1e-3, 1e4
# Repeat buyers below this share are too few for a dropout process to be learnt.
_MIN_REPEAT_SHARE = 0.05


def fit_problems(fitter: BetaGeoFitter, frequency, min_repeat_buyers: int) -> tuple:
    """Why a BG/NBD fit cannot be trusted, as codes (empty when it can):
    `optimiser_failed`, `at_bounds` (a parameter at 0 or infinity), `no_dropout`
    (a ≈ 0: nobody ever leaves, so every buyer would look alive), `singular`
    (a ≈ 1, where the expectation divides by a - 1), `few_repeat_buyers`."""
    x = np.asarray(frequency, dtype=float)
    repeaters = int(np.sum(x > 0))
    problems = []
    if not fitter.converged_:
        problems.append("optimiser_failed")
    values = np.array(list(fitter.params().values()))
    if (
        not np.all(np.isfinite(values))
        or np.any(values < _LOW)
        or np.any(values > _HIGH)
    ):
        problems.append("at_bounds")
    if fitter.a_ < 0.01 or fitter.a_ / (fitter.a_ + fitter.b_) < 1e-3:
        problems.append("no_dropout")
    if abs(fitter.a_ - 1.0) < 1e-3:
        problems.append("singular")
    if repeaters < min_repeat_buyers or repeaters < _MIN_REPEAT_SHARE * len(x):
        problems.append("few_repeat_buyers")
    return tuple(problems)


def rhythm_alive(days_since_last, usual_gap, churned_after) -> np.ndarray:
    """The fallback when BG/NBD cannot be trusted, from the lifecycle's own rule: a
    buyer silent no longer than her usual gap is alive (1), one past the churned
    threshold is not (0), and the probability falls linearly in between."""
    since = np.asarray(days_since_last, dtype=float)
    gap = np.asarray(usual_gap, dtype=float)
    churned = np.asarray(churned_after, dtype=float)
    span = np.maximum(churned - gap, 1.0)
    return np.clip((churned - since) / span, 0.0, 1.0)


def rhythm_purchases(alive, usual_gap, horizon_days: float) -> np.ndarray:
    """Expected purchases in the horizon under the fallback: her rhythm, if alive."""
    gap = np.maximum(np.asarray(usual_gap, dtype=float), 1.0)
    return np.asarray(alive, dtype=float) * horizon_days / gap
