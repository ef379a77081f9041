"""BG/NBD and Gamma-Gamma against the published CDNOW results."""

import datetime as dt

import numpy as np
import pytest

from bot.config import PROJECT_ROOT
from bot.segments.clv import BetaGeoFitter, GammaGammaFitter
from bot.segments.transactions import summarise

CALIBRATION_END = dt.date(1997, 9, 30).toordinal()


@pytest.fixture(scope="module")
def cdnow():
    text = (PROJECT_ROOT / "tests/data/CDNOW_sample.txt").read_text(encoding="ascii")
    rows = [line.split() for line in text.splitlines() if line.strip()]
    customers = np.array([int(r[1]) for r in rows])
    days = np.array([dt.datetime.strptime(r[2], "%Y%m%d").toordinal() for r in rows])
    amounts = np.array([float(r[4]) for r in rows])
    keep = days <= CALIBRATION_END
    return summarise(customers[keep], days[keep], amounts[keep])


def test_the_cdnow_summary_has_every_customer_and_weeks_as_published(cdnow):
    x, t_x, age = cdnow.bgnbd_inputs(CALIBRATION_END)
    assert len(cdnow.customers) == 2357
    assert (x[0], round(t_x[0], 2), round(age[0], 2)) == (2, 30.43, 38.86)


def test_bgnbd_reproduces_fader_hardie_lee_2005_on_cdnow(cdnow):
    model = BetaGeoFitter().fit(*cdnow.bgnbd_inputs(CALIBRATION_END))
    fitted = {name: round(value, 2) for name, value in model.params().items()}
    assert fitted == {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}
    assert model.converged_


def test_gamma_gamma_reproduces_the_published_cdnow_spend_model(cdnow):
    x, _, _ = cdnow.bgnbd_inputs(CALIBRATION_END)
    model = GammaGammaFitter().fit(x, cdnow.repeat_mean_value())
    fitted = {name: round(value, 2) for name, value in model.params().items()}
    assert fitted == pytest.approx({"p": 6.25, "q": 3.74, "v": 15.44}, abs=0.01)


def test_predictions_behave_as_the_model_says(cdnow):
    model = BetaGeoFitter().fit(*cdnow.bgnbd_inputs(CALIBRATION_END))
    x = np.array([0.0, 5.0, 5.0])
    t_x = np.array([0.0, 30.0, 5.0])
    age = np.array([38.0, 38.0, 38.0])
    alive = model.probability_alive(x, t_x, age)
    assert alive[0] == 1.0
    assert alive[1] > alive[2]
    week, year = (
        model.expected_purchases(1, x, t_x, age),
        model.expected_purchases(52, x, t_x, age),
    )
    assert np.all(year > week)
    assert year[1] > year[2]
