from bot.customers.value import build_scale, score


def scale_of_ten():
    # recency 1..10 days, frequency 1..10 orders, monetary 100..1000
    values = list(range(1, 11))
    return build_scale(values, values, [v * 100 for v in values])


def test_the_most_recent_frequent_and_biggest_buyer_scores_five_everywhere():
    result = score(1, 10, 1000, scale_of_ten())
    assert (result.r, result.f, result.m) == (5, 5, 5)
    assert result.total == 15


def test_the_longest_absent_rarest_and_smallest_buyer_scores_one_everywhere():
    result = score(10, 1, 100, scale_of_ten())
    assert (result.r, result.f, result.m) == (1, 1, 1)


def test_a_value_equal_to_a_cut_point_falls_into_the_lower_quintile():
    scale = scale_of_ten()
    cut = scale.frequency_cuts[0]
    assert score(5, cut, 500, scale).f == 1
    assert score(5, cut + 0.01, 500, scale).f == 2


def test_ties_score_alike():
    scale = build_scale([5] * 10, [1] * 8 + [2, 3], [100] * 10)
    assert score(5, 1, 100, scale) == score(5, 1, 100, scale)
    assert score(5, 1, 100, scale).f == 1
    assert score(5, 3, 100, scale).f == 5


def test_an_empty_customer_base_scores_the_middle():
    scale = build_scale([], [], [])
    assert scale.buyers == 0
    assert score(10, 1, 100, scale).total == 9
