"""Choosing settings on the validation period: the rule and the blend's grid."""

from bot.recommend.evaluation import Split
from bot.recommend.ranking import top_k
from bot.recommend.selection import best

SPLIT = Split(None, None, {1: {"a"}, 2: {"b"}}, {1: {"x", "y"}, 2: {"z"}}, 10)


def fixed(picks):
    return lambda customer, k: picks.get(customer, [])


def test_the_highest_ndcg_wins_then_recall_then_the_first_of_equals():
    candidates = [
        ("nothing", fixed({})),
        ("late", fixed({1: ["q", "q2", "x"], 2: ["z"]})),
        ("early", fixed({1: ["x"], 2: ["z"]})),
        ("early-too", fixed({1: ["x"], 2: ["z"]})),
    ]
    choice = best(candidates, SPLIT, catalogue=10, k=10)
    assert choice.setting == "early"
    # equal NDCG at rank one: the one that finds more of what she bought wins
    tied = [("one", fixed({1: ["x"]})), ("both", fixed({1: ["x", "y"]}))]
    assert best(tied, SPLIT, catalogue=10, k=10).setting == "both"


def test_the_partial_top_k_equals_a_stable_full_sort_ties_included():
    import numpy as np

    rng = np.random.default_rng(3)
    for _ in range(200):
        score = rng.integers(0, 4, size=int(rng.integers(1, 40))).astype(float)
        k = int(rng.integers(1, 12))
        expected = np.argsort(-score, kind="stable")[:k]
        assert top_k(score, k).tolist() == expected.tolist()
