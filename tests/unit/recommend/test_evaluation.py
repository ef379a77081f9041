import math

import pytest

from bot.recommend.evaluation import (
    PopularityRecommender,
    evaluate,
    hit_rate_at_k,
    ndcg_at_k,
    recall_at_k,
    temporal_split,
)


def test_metrics_on_a_hand_computed_list():
    recommended, relevant = ["a", "x", "b", "y"], {"a", "b", "c"}
    assert hit_rate_at_k(recommended, relevant, 2) == 1.0
    assert recall_at_k(recommended, relevant, 3) == pytest.approx(2 / 3)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(recommended, relevant, 3) == pytest.approx(
        (1 + 1 / math.log2(4)) / ideal
    )
    assert ndcg_at_k(["x"], relevant, 3) == 0.0


def test_the_split_keeps_only_new_items_of_returning_customers():
    customers = [1, 1, 1, 2, 3]
    items = ["a", "b", "a", "c", "d"]
    days = [0, 10, 95, 96, 1]
    split = temporal_split(customers, items, days, holdout_days=10)
    assert split.cutoff_day == 87
    assert split.known == {1: {"a", "b"}, 3: {"d"}}
    assert split.relevant == {}
    split = temporal_split(customers + [1], items + ["e"], days + [99], holdout_days=10)
    assert split.relevant == {1: {"e"}}


def test_popularity_ranks_by_distinct_buyers_and_skips_what_she_has():
    model = PopularityRecommender().fit(
        [1, 1, 1, 2, 3, 3], ["a", "a", "a", "b", "b", "c"]
    )
    assert model.ranking_ == ["b", "a", "c"]
    recommend = model.recommend({3: {"b"}})
    assert recommend(3, 2) == ["a", "c"]


def test_evaluate_averages_over_customers_and_measures_coverage():
    customers = [1, 1, 2, 2, 1, 2]
    items = ["a", "b", "a", "c", "c", "b"]
    days = [0, 1, 0, 1, 100, 100]
    split = temporal_split(customers, items, days, holdout_days=10)
    model = PopularityRecommender().fit(split.train_customers, split.train_items)
    result = evaluate(model.recommend(split.known), split, catalogue_size=3, k=1)
    assert result["customers"] == 2
    assert result["hit_rate@1"] == 1.0
    assert result["coverage"] == pytest.approx(2 / 3)
