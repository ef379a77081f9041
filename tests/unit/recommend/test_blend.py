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


MILK, BREAD, VASE = range(3)


def test_buying_again_follows_her_own_rhythm():
    model = BlendedRecommender(BlendSettings(min_together=1)).fit(
        [0, 0, 0, 1], [MILK, MILK, VASE, BREAD], [0, 7, 5, 3], [1, 2, 3, 4], n_items=3
    )
    owned = np.array([MILK, VASE])
    # milk weekly (days 0 and 7), a vase once on day 5
    due = model.again_scores(owned, [7, 5], 14, first_days=[0, 5], times=[2, 1])
    assert due[0] > due[1]  # she buys milk every week; nobody rebuys vases
    late = model.again_scores(owned, [7, 5], 100, first_days=[0, 5], times=[2, 1])
    assert late[0] < 0.05 * due[0]  # 13 weeks without milk: she buys it elsewhere
    sources = model.source_scores(owned, np.array([7, 5]), 14, [0, 5], [2, 1])
    assert sources["again"][MILK] == pytest.approx(1.0)
    assert sources["again"][BREAD] == 0.0  # never hers


def test_repurchase_stats_share_and_usual_gap():
    from bot.recommend.blend import repurchase_stats

    # milk: customer 0 every 7 days, customer 1 every 3 days, customer 2 once
    share, cycle = repurchase_stats(
        [0, 0, 0, 1, 1, 2], [MILK] * 6, [0, 7, 14, 2, 5, 9], n_items=2
    )
    assert share[MILK] == pytest.approx(2 / 4)  # 2 repeaters of 3 buyers (+1)
    assert cycle[MILK] == pytest.approx(5.0)  # median of 7 and 3
    assert share[1] == 0 and cycle[1] == 0


def test_als_folds_a_customer_in_from_her_items():
    from bot.recommend.als import fit_factors
    from bot.recommend.sparse_ops import binary_matrix

    # two tastes: items 0-4 together, items 5-9 together
    rows, cols = [], []
    for customer in range(40):
        group = range(0, 5) if customer % 2 else range(5, 10)
        for item in group:
            if (customer + item) % 4:
                rows.append(customer)
                cols.append(item)
    factors = fit_factors(
        binary_matrix(np.array(rows), np.array(cols), (40, 10)), factors=4, alpha=5.0
    )
    # row 0 owns item 0 (every odd customer's); row 1 owns nothing
    scores = factors.scores_many(np.array([0]), np.array([0]), 2)
    assert scores[0, 1:5].min() > scores[0, 5:].max()
    assert scores[1].tolist() == [0.0] * 10


def test_a_saved_model_scores_like_the_fitted_one(tmp_path):
    from bot.recommend.model import TrainedModel

    settings = BlendSettings(
        min_together=1, ease=1.0, als=0.5, again=0.3, als_factors=3
    )
    model = fitted(
        **{k: v for k, v in settings.__dict__.items() if k != "min_together"}
    )
    assert model.ease_.nnz and model.factors_.items.shape == (5, 3)
    path = TrainedModel("v1", np.arange(100, 105), model, {"x": 1}).save(tmp_path)
    loaded = TrainedModel.load(path)
    assert loaded.blend.settings == model.settings
    owned, days = np.array([COAT, SERUM]), np.array([90, 100])
    before = model.source_scores(owned, days, 120, days, np.array([2, 1]))
    after = loaded.blend.source_scores(owned, days, 120, days, np.array([2, 1]))
    for source, values in before.items():
        assert np.allclose(values, after[source]), source


def test_folding_in_is_the_step_implicit_itself_takes():
    from implicit.cpu.als import AlternatingLeastSquares
    from scipy import sparse
    from threadpoolctl import threadpool_limits

    from bot.recommend.als import Factors

    rng = np.random.default_rng(0)
    bought = sparse.csr_matrix((rng.random((30, 12)) < 0.3).astype(np.float32))
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=5, alpha=4.0, random_state=0)
        model.fit(bought, show_progress=False)
        theirs = model.recalculate_user(3, bought[3])
    items = np.asarray(model.item_factors)
    mine = Factors(items, items.T.astype(float) @ items, 4.0, model.regularization)
    own = bought[3].indices
    _, folded = mine.fold_in_many(np.zeros(len(own), dtype=int), own)
    assert np.allclose(folded[0], theirs, atol=1e-4)
    coo = bought.tocoo()  # many at once: the same as one by one
    many = mine.scores_many(coo.row, coo.col, 31)
    for row in range(30):
        alone = bought[row].indices
        one = mine.scores_many(np.zeros(len(alone), dtype=int), alone, 1)[0]
        assert np.allclose(many[row], one, atol=1e-5), row
    assert not many[30].any()  # a customer with no items


def test_the_strongest_product_equals_the_max_over_her_items():
    from scipy import sparse

    from bot.recommend.sparse_ops import max_product

    weights = sparse.random(9, 7, density=0.3, random_state=1, format="csr")
    matrix = sparse.random(7, 11, density=0.3, random_state=2, format="csr")
    dense_w, dense_m = weights.toarray(), matrix.toarray()
    expected = np.maximum((dense_w[:, :, None] * dense_m[None]).max(axis=1), 0)
    assert np.allclose(max_product(weights, matrix), expected)
    empty = sparse.csr_matrix((2, 7))
    assert not max_product(empty, matrix).any()


def test_many_customers_at_once_score_as_each_alone():
    from bot.recommend.blend import History, Stacked

    model = fitted(ease=1.0, als=1.0, als_factors=3)
    people = [
        History(np.array([COAT, SERUM]), np.array([90.0, 100.0])),
        History.empty(),
        History(np.array([SERUM]), np.array([50.0]), np.array([10.0]), np.array([3.0])),
    ]
    many = model.source_scores_many(Stacked.of(people), 120)
    for n, person in enumerate(people):
        alone = model.source_scores(
            person.owned, person.last_days, 120, person.first_days, person.times
        )
        for source, values in alone.items():
            assert np.allclose(many[source][n], values), (n, source)


def test_unique_rows_equals_numpys_own():
    from bot.recommend.sparse_ops import unique_rows

    rng = np.random.default_rng(2)
    a, b, c = (rng.integers(low, low + 9, 500) for low in (0, 7, 730000))
    expected = np.unique(np.c_[a, b, c], axis=0)
    assert unique_rows(a, b, c).tolist() == expected.tolist()
    assert unique_rows(np.zeros(0), np.zeros(0)).shape == (0, 2)


def test_top_k_indices_equals_a_full_sort_ties_included():
    rng = np.random.default_rng(9)
    for _ in range(200):
        n = int(rng.integers(1, 120))
        rows = rng.integers(0, 6, n)
        if rng.random() < 0.5:
            rows = np.sort(rows)
        cols = rng.permutation(n)  # distinct columns, as in a matrix
        values = rng.integers(0, 4, n).astype(float)
        k = int(rng.integers(1, 8))
        order = np.lexsort((cols, -values, rows))
        starts = np.searchsorted(rows[order], rows[order], side="left")
        expected = order[(np.arange(n) - starts) < k]
        assert sorted(top_k_indices(rows, cols, values, k).tolist()) == sorted(
            expected.tolist()
        )


def test_weighted_rows_is_the_sparse_product():
    from scipy import sparse

    from bot.recommend.sparse_ops import weighted_rows

    weights = sparse.random(6, 40, density=0.1, random_state=1, format="csr")
    matrix = sparse.random(40, 30, density=0.2, random_state=2, format="csr")
    assert np.allclose(weighted_rows(weights, matrix), (weights @ matrix).toarray())
    assert weighted_rows(sparse.csr_matrix((2, 40)), matrix).shape == (2, 30)
