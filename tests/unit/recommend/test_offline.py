"""The recommenders compared on a synthetic messy log (see bot/demo/retail_log.py).

The real yardstick is a public retail log run through `salesbot evaluate-recommender`;
this test keeps the comparison honest on every commit: the blend must stay ahead of
popularity (by 1.5x Recall@10, the issue's bar) and of plain item-KNN.
"""

import pytest

from bot.demo.retail_log import LogShape, write_online_retail
from bot.recommend.offline import CONTENDERS, compare
from bot.recommend.retail_log import read_online_retail


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, knowledge):
    path = tmp_path_factory.mktemp("log") / "online_retail.csv"
    write_online_retail(path, LogShape(customers=2000, items=1500), seed=11)
    return compare(read_online_retail(path, knowledge.imports), holdout_days=90, k=10)


def test_every_contender_is_scored_on_the_same_customers(comparison):
    assert list(comparison.results) == list(CONTENDERS)
    assert set(comparison.chosen) == set(CONTENDERS)  # each tuned on validation
    counts = {r["customers"] for r in comparison.results.values()}
    assert counts == {float(comparison.test_customers)}
    assert comparison.test_customers > 300


def test_the_blend_beats_popularity_by_half_again_and_item_knn(comparison):
    recall = {name: r["recall@10"] for name, r in comparison.results.items()}
    assert recall["blended"] >= 1.5 * recall["popularity"]
    assert recall["blended"] >= recall["item-knn"]
    ndcg = {name: r["ndcg@10"] for name, r in comparison.results.items()}
    assert ndcg["blended"] >= ndcg["item-knn"]


def test_the_blend_does_not_collapse_onto_bestsellers(comparison):
    coverage = {name: r["coverage"] for name, r in comparison.results.items()}
    assert coverage["blended"] > 10 * coverage["popularity"]
