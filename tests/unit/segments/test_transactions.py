import numpy as np

from bot.segments.transactions import summarise


def test_purchases_on_one_day_are_one_purchase_occasion():
    s = summarise([7, 7, 7], [100.2, 100.9, 110.5], [10.0, 20.0, 5.0])
    assert list(s.orders) == [3]
    assert list(s.purchase_days) == [2]
    assert list(s.first_day_spend) == [30.0]
    assert list(s.repeat_mean_value()) == [5.0]


def test_gaps_are_between_purchase_days_median_and_last():
    s = summarise([1, 1, 1, 1, 2], [0, 10, 40, 50, 3], [1, 1, 1, 1, 1])
    assert list(s.customers) == [1, 2]
    assert s.median_gap[0] == 10.0
    assert s.last_gap[0] == 10.0
    assert np.isnan(s.median_gap[1]) and np.isnan(s.last_gap[1])


def test_an_even_number_of_gaps_takes_the_middle_two():
    s = summarise([1, 1, 1, 1, 1], [0, 2, 10, 40, 41], [1] * 5)  # gaps 2, 8, 30, 1
    assert s.median_gap[0] == 5.0


def test_unsorted_input_gives_the_same_summary():
    forward = summarise([1, 2, 1], [5, 1, 9], [1.0, 2.0, 3.0])
    backward = summarise([1, 1, 2], [9, 5, 1], [3.0, 1.0, 2.0])
    assert np.array_equal(forward.last_day, backward.last_day)
    assert np.array_equal(forward.spend, backward.spend)


def test_bgnbd_inputs_are_in_weeks_from_the_first_purchase():
    s = summarise([1, 1], [0, 14], [1, 1])
    x, t_x, age = s.bgnbd_inputs(as_of_day=21)
    assert (x[0], t_x[0], age[0]) == (1.0, 2.0, 3.0)
