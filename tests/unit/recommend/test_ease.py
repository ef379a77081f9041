"""EASE against its closed form, worked by hand on a tiny matrix."""

import numpy as np
import pytest

from bot.recommend.ease import CatalogueTooLarge, EASERecommender

# three customers: a+b, a+b+c, b+c
CUSTOMERS = [1, 1, 2, 2, 2, 3, 3]
ITEMS = ["a", "b", "a", "b", "c", "b", "c"]


def test_weights_are_the_closed_form_with_a_zero_diagonal():
    model = EASERecommender(l2=1.0).fit(CUSTOMERS, ITEMS)
    x = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]], dtype=float)
    p = np.linalg.inv(x.T @ x + np.eye(3))
    expected = -p / np.diag(p)
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(model.weights_, expected, atol=1e-5)
    assert np.all(np.diag(model.weights_) == 0)


def test_she_gets_the_item_that_goes_with_hers_never_her_own():
    top = EASERecommender(l2=1.0).fit(CUSTOMERS, ITEMS).recommend({9: {"c"}})
    picks = top(9, 2)
    assert picks[0] == "b" and "c" not in picks


def test_a_catalogue_too_large_for_a_dense_inverse_is_refused():
    with pytest.raises(CatalogueTooLarge, match="3 items"):
        EASERecommender(max_items=2).fit(CUSTOMERS, ITEMS)
