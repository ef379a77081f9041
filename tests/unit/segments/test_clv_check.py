"""The holdout check on CDNOW against Fader, Hardie and Lee (2005), and the signs
of a BG/NBD fit that cannot be trusted.

Source: P. S. Fader, B. G. S. Hardie and K. L. Lee, "'Counting Your Customers' the
Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 2005,
275-284, on the CDNOW 1/10 sample (2,357 customers), calibration weeks 1-39
(1997-01-01 to 1997-09-30), holdout weeks 40-78 (to 1998-06-30). Published:
r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, and the worked example of section 4:
a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226 purchases in
the next 39 weeks. The "published prediction" below is the holdout forecast those
published parameters make for every customer (the paper's equation 10, summed).
"""

import datetime as dt

import numpy as np
import pytest

from bot.config import PROJECT_ROOT
from bot.segments.clv import BetaGeoFitter, fit_problems, rhythm_alive
from bot.segments.clv_check import holdout_check

CALIBRATION_END = dt.date(1997, 9, 30).toordinal()
HOLDOUT_END = dt.date(1998, 6, 30).toordinal()
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def published_model() -> BetaGeoFitter:
    model = BetaGeoFitter()
    model.r_, model.alpha_, model.a_, model.b_ = PUBLISHED.values()
    model.converged_ = True
    return model


@pytest.fixture(scope="module")
def cdnow():
    text = (PROJECT_ROOT / "tests/data/CDNOW_sample.txt").read_text(encoding="ascii")
    rows = [line.split() for line in text.splitlines() if line.strip()]
    customers = np.array([r[0] for r in rows])
    days = np.array([dt.datetime.strptime(r[2], "%Y%m%d").toordinal() for r in rows])
    return customers, days


def test_the_published_worked_example_is_reproduced():
    expected = published_model().expected_purchases(39, 2, 30.43, 38.86)
    assert float(expected) == pytest.approx(1.226, abs=0.0005)


def test_the_holdout_forecast_is_within_2_percent_of_the_published_prediction(cdnow):
    ours = holdout_check(*cdnow, CALIBRATION_END, HOLDOUT_END)
    published = holdout_check(
        *cdnow, CALIBRATION_END, HOLDOUT_END, fitter=published_model()
    )
    assert (ours.customers, ours.holdout_units) == (2357, 39.0)
    assert ours.problems == ()
    assert ours.params == pytest.approx(PUBLISHED, rel=0.01)
    assert ours.predicted_total == pytest.approx(published.predicted_total, rel=0.02)
    # the actual holdout count is the data's, the same whichever parameters
    assert ours.actual_total == published.actual_total == _holdout_purchase_days(cdnow)


def test_groups_cover_every_customer_and_rise_with_calibration_frequency(cdnow):
    check = holdout_check(*cdnow, CALIBRATION_END, HOLDOUT_END)
    assert [g.label for g in check.groups] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(g.customers for g in check.groups) == 2357
    predicted = [g.predicted for g in check.groups]
    assert predicted == sorted(predicted)
    weighted = sum(g.actual * g.customers for g in check.groups)
    assert weighted == pytest.approx(check.actual_total)


def _holdout_purchase_days(cdnow) -> int:
    """Independently: distinct (customer, day) pairs after the calibration."""
    customers, days = cdnow
    later = (days > CALIBRATION_END) & (days <= HOLDOUT_END)
    return len(set(zip(customers[later].tolist(), days[later].tolist(), strict=True)))


def nobody_leaves(n: int = 600, seed: int = 3):
    """Buyers who keep buying about monthly until the data ends: no dropout."""
    rng = np.random.default_rng(seed)
    x, t_x, age = [], [], []
    for _ in range(n):
        first = rng.uniform(0, 20)
        times = np.cumsum(rng.exponential(4.0, 40)) + first
        times = times[times < 52]
        x.append(len(times))
        t_x.append((times[-1] - first) if len(times) else 0.0)
        age.append(52 - first)
    return np.array(x, float), np.array(t_x), np.array(age)


def test_a_fit_where_nobody_ever_leaves_is_flagged_not_trusted():
    x, t_x, age = nobody_leaves()
    model = BetaGeoFitter().fit(x, t_x, age)
    problems = fit_problems(model, x, min_repeat_buyers=50)
    assert "no_dropout" in problems
    assert np.all(model.probability_alive(x, t_x, age) > 0.99)  # why it matters


def test_too_few_repeat_buyers_is_a_reason_of_its_own():
    x = np.zeros(1000)
    x[:20] = 1
    model = published_model()
    assert fit_problems(model, x, min_repeat_buyers=50) == ("few_repeat_buyers",)
    assert fit_problems(model, np.ones(1000), min_repeat_buyers=50) == ()


def test_the_rhythm_fallback_follows_the_lifecycle_thresholds():
    alive = rhythm_alive([10, 90, 225, 360, 500], usual_gap=90, churned_after=360)
    assert alive.tolist() == [1.0, 1.0, 0.5, 0.0, 0.0]
