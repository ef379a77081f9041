import numpy as np

from bot.recommend.ranking import top_k, top_k_rows


def test_the_partitioned_top_k_equals_a_stable_sort_ties_included():
    rng = np.random.default_rng(4)
    for _ in range(100):
        values = rng.integers(0, 4, size=(7, int(rng.integers(1, 30)))).astype(
            np.float32
        )
        k = int(rng.integers(1, 12))
        expected = np.argsort(-values, axis=1, kind="stable")[:, :k]
        assert top_k_rows(values, k).tolist() == expected.tolist()


def test_each_row_ranks_like_top_k_alone():
    rng = np.random.default_rng(5)
    values = rng.integers(0, 5, size=(30, 40)).astype(float)
    for k in (1, 3, 10, 40, 50):
        rows = top_k_rows(values, k)
        assert [list(r) for r in rows] == [list(top_k(v, k)) for v in values]
