import numpy as np
import pytest

from bot.recommend.rules import AssociationRules, transaction_ids

COAT, SCARF, CREAM, SOCKS = range(4)


def fitted(window_days=0, **kwargs):
    # five baskets: coat+scarf twice, coat alone, cream+socks, scarf+cream
    baskets = [1, 1, 2, 2, 3, 4, 4, 5, 5]
    customers = [0, 0, 1, 1, 2, 3, 3, 4, 4]
    items = [COAT, SCARF, COAT, SCARF, COAT, CREAM, SOCKS, SCARF, CREAM]
    days = [0] * 9
    return AssociationRules(window_days=window_days, **kwargs).fit(
        customers, items, days, baskets, n_items=4
    )


def test_support_confidence_and_lift_are_the_textbook_ones():
    rule = fitted().rule(COAT, SCARF)
    assert rule.together == 2
    assert rule.support == pytest.approx(2 / 5)
    assert rule.confidence == pytest.approx(2 / 3)  # 3 coat baskets, 2 with scarf
    assert rule.lift == pytest.approx((2 / 3) / (3 / 5))  # scarf in 3 of 5


def test_pairs_seen_fewer_times_than_the_minimum_are_not_rules():
    rules = fitted(min_together=2)
    assert rules.rule(CREAM, SOCKS) is None  # together once
    assert fitted(min_together=1).rule(SOCKS, CREAM).confidence == 1.0


def test_rules_that_do_not_beat_chance_are_dropped():
    # scarf -> cream: 1 of 3 scarf baskets has cream, cream is in 2 of 5 (lift 0.83)
    assert fitted(min_together=1).rule(SCARF, CREAM) is None


def test_only_the_strongest_rules_per_item_are_kept():
    rules = fitted(min_together=1, max_rules_per_item=1)
    assert rules.confidence_[CREAM].nnz == 1


def test_a_window_joins_a_customers_orders_within_n_days():
    customers = np.array([0, 0, 0, 1])
    days = np.array([0, 6, 40, 6])
    baskets = np.array([10, 11, 12, 13])
    assert len(set(transaction_ids(customers, days, baskets, 0))) == 4
    ids = transaction_ids(customers, days, baskets, 30)
    assert ids[0] == ids[1] != ids[2]
    assert ids[3] not in (ids[0], ids[2])


def test_a_coat_then_a_scarf_a_week_later_counts_as_bought_together():
    rules = AssociationRules(window_days=30, min_together=1).fit(
        [0, 0, 1, 2], [COAT, SCARF, CREAM, SOCKS], [0, 7, 0, 0], [1, 2, 3, 4], 4
    )
    assert rules.rule(COAT, SCARF).confidence == 1.0
    basket_only = AssociationRules(window_days=0, min_together=1).fit(
        [0, 0, 1, 2], [COAT, SCARF, CREAM, SOCKS], [0, 7, 0, 0], [1, 2, 3, 4], 4
    )
    assert basket_only.rule(COAT, SCARF) is None
