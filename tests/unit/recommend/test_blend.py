import numpy as np
import pytest

from bot.recommend.blend import BlendedRecommender, BlendSettings, recent_popularity
from bot.recommend.sparse_ops import top_k_indices

COAT, SCARF, SERUM, CREAM, TEE = range(5)


def fitted(**settings):
    # coat buyers take scarves, serum buyers take cream; everyone lately buys tees
    customers = [0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6]
    items = [COAT, SCARF, COAT, SCARF, SERUM, CREAM, SERUM, CREAM, TEE, TEE, TEE]
    days = [0, 0, 5, 5, 10, 10, 12, 12, 100, 101, 102]
    baskets = [1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7]
    return BlendedRecommender(BlendSettings(min_together=1, **settings)).fit(
        customers, items, days, baskets, n_items=5
    )


def ranked(model, owned, days, today=120):
    scores = model.combine(model.source_scores(np.array(owned), np.array(days), today))
    scores[owned] = -np.inf
    return list(np.argsort(-scores, kind="stable"))


def test_each_source_is_scaled_to_one_for_the_customer():
    sources = fitted().source_scores(np.array([COAT]), np.array([0]), 120)
    assert sources["similar"].max() == pytest.approx(1.0)
    assert sources["rules"][SCARF] == pytest.approx(1.0)
    assert sources["popular"][TEE] == pytest.approx(1.0)


def test_complements_outrank_the_popular_item():
    assert ranked(fitted(), [COAT], [0])[0] == SCARF


def test_popularity_alone_serves_a_customer_without_history():
    assert ranked(fitted(), [], [])[0] == TEE


def test_recent_purchases_weigh_more_than_old_ones():
    model = fitted(halflife_days=30)
    # she bought the coat a year ago and the serum last week
    order = ranked(model, [COAT, SERUM], [-245, 113])
    assert order.index(CREAM) < order.index(SCARF)


def test_popularity_counts_distinct_recent_buyers():
    popularity = recent_popularity([0, 0, 1, 2], [0, 0, 1, 1], [95, 96, 99, 10], 2, 30)
    assert popularity.tolist() == [1.0, 1.0]
    popularity = recent_popularity([0, 0, 1, 2], [0, 0, 1, 1], [95, 96, 99, 98], 2, 30)
    assert popularity.tolist() == [0.5, 1.0]


def test_top_k_indices_keep_each_rows_largest_values():
    rows = np.array([0, 0, 0, 1, 1])
    cols = np.array([1, 2, 3, 0, 3])
    values = np.array([3.0, 1.0, 2.0, 5.0, 4.0])
    kept = sorted(top_k_indices(rows, cols, values, 2).tolist())
    assert [(rows[i], cols[i]) for i in kept] == [(0, 1), (0, 3), (1, 0), (1, 3)]
    assert top_k_indices(rows[:0], cols[:0], values[:0], 2).tolist() == []
