"""Each segmentation rule at its boundaries, with the shipped knowledge."""

import numpy as np
import pytest

from bot.segments.lifecycle import stages, usual_gap
from bot.segments.playbook import choose, word
from bot.segments.rfm import name_segments, quintile_scores
from bot.segments.tiers import assign_tiers, percentile_ranks


def test_quintiles_give_each_score_a_fifth_even_with_ties():
    scores = quintile_scores([1] * 8 + [2, 3])
    assert sorted(np.bincount(scores)[1:]) == [2, 2, 2, 2, 2]


def test_recency_is_reversed_the_most_recent_buyer_scores_five():
    scores = quintile_scores([1, 50, 100, 200, 400], higher_is_better=False)
    assert list(scores) == [5, 4, 3, 2, 1]


def test_ties_split_by_position_deterministically():
    assert list(quintile_scores([3, 3, 3, 3, 3])) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "r, f, m, segment",
    [
        (5, 5, 3, "champions"),
        (5, 4, 1, "champions"),
        (4, 5, 5, "loyal"),
        (3, 4, 2, "loyal"),
        (5, 3, 3, "potential_loyalist"),
        (4, 2, 1, "potential_loyalist"),
        (5, 1, 1, "new"),
        (4, 1, 5, "promising"),
        (3, 3, 3, "need_attention"),
        (3, 2, 4, "about_to_sleep"),
        (3, 1, 1, "about_to_sleep"),
        (2, 3, 3, "at_risk"),
        (1, 4, 5, "at_risk"),
        (2, 5, 1, "cannot_lose"),
        (1, 1, 1, "lost"),
        (1, 1, 2, "hibernating"),
        (2, 2, 1, "hibernating"),
    ],
)
def test_the_rfm_map_names_each_cell(knowledge, r, f, m, segment):
    assert name_segments([r], [f], [m], knowledge.segments.rfm_segments)[0] == segment


def test_percentile_ranks_count_half_the_ties():
    assert list(percentile_ranks([1, 2, 2, 3])) == [0.125, 0.5, 0.5, 0.875]


def test_value_tiers_start_at_their_threshold(knowledge):
    tiers = assign_tiers(
        [0.70, 0.699, 0.40, 0.399, 0.0], knowledge.segments.value_tiers
    )
    assert list(tiers) == ["high", "medium", "medium", "low", "low"]


def lifecycle_of(knowledge, since_first, since_last, days, median, last):
    rules = knowledge.segments.lifecycle
    return stages([since_first], [since_last], [days], [median], [last], rules)[0]


def test_lifecycle_uses_her_own_rhythm(knowledge):
    # 5 purchase days, usual gap 35: at risk after 70 days, churned after 180 (floor)
    assert lifecycle_of(knowledge, 400, 70, 5, 35.0, 30.0) == "active"
    assert lifecycle_of(knowledge, 400, 71, 5, 35.0, 30.0) == "at_risk"
    assert lifecycle_of(knowledge, 400, 180, 5, 35.0, 30.0) == "at_risk"
    assert lifecycle_of(knowledge, 400, 181, 5, 35.0, 30.0) == "churned"


def test_a_slow_rhythm_moves_the_thresholds(knowledge):
    # usual gap 100: at risk after 200, churned after 400
    assert lifecycle_of(knowledge, 900, 199, 4, 100.0, 90.0) == "active"
    assert lifecycle_of(knowledge, 900, 201, 4, 100.0, 90.0) == "at_risk"
    assert lifecycle_of(knowledge, 900, 401, 4, 100.0, 90.0) == "churned"


def test_too_little_history_uses_the_default_gap(knowledge):
    rules = knowledge.segments.lifecycle
    assert usual_gap([2], [10.0], rules)[0] == rules.default_gap_days
    assert usual_gap([3], [10.0], rules)[0] == 10.0
    assert lifecycle_of(knowledge, 300, 181, 2, 10.0, 10.0) == "at_risk"


def test_new_customers_are_new_for_sixty_days(knowledge):
    assert lifecycle_of(knowledge, 60, 60, 1, np.nan, np.nan) == "new"
    assert lifecycle_of(knowledge, 61, 61, 1, np.nan, np.nan) == "active"


def test_coming_back_after_a_churn_length_gap_is_reactivated(knowledge):
    assert lifecycle_of(knowledge, 700, 10, 5, 30.0, 200.0) == "reactivated"
    assert lifecycle_of(knowledge, 700, 10, 5, 30.0, 150.0) == "active"


def pick(knowledge, tier, stage, segment="loyal", discount=False, new=False):
    playbook = knowledge.playbook
    return choose([tier], [stage], [segment], [discount], [new], playbook)[0]


def test_the_playbook_takes_the_first_matching_strategy(knowledge):
    assert pick(knowledge, "high", "churned") == "vip_winback"
    assert pick(knowledge, "high", "active", discount=True) == "vip_care"
    assert pick(knowledge, "low", "at_risk", discount=True) == "winback"
    assert pick(knowledge, "medium", "active", new=True) == "new_arrivals_first"
    assert pick(knowledge, "medium", "active", discount=True) == "promotions"
    assert pick(knowledge, "low", "new") == "first_repeat"
    assert pick(knowledge, "low", "active") == "nurture"


def test_talking_points_name_her_favourite_category_and_brand(knowledge):
    strategy = knowledge.playbook.strategies[0]
    offer, points = word(strategy, "大衣", "云裳")
    assert "大衣" in offer
    assert any("云裳" in point for point in points)
    assert not any("{" in point for point in points)
