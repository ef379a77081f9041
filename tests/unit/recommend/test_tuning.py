"""Choosing the blend's weights: the fast scoring equals the exact evaluation, and
the search never ends below the start or any source alone."""

from dataclasses import replace

import numpy as np
import pytest

from bot.demo.retail_log import LogShape, synthetic_rows
from bot.recommend.blend import DEFAULTS, SOURCES, Stacked
from bot.recommend.evaluation import Split, evaluate
from bot.recommend.ranking import top_k
from bot.recommend.retail_log import clean_rows
from bot.recommend.tuning import (
    Table,
    Variants,
    build_table,
    evaluate_weights,
    histories,
    learn,
    search,
    validation_targets,
)


@pytest.fixture(scope="module")
def small(knowledge):
    log = clean_rows(
        synthetic_rows(LogShape(customers=400, items=300, themes=10), seed=5),
        knowledge.imports,
    )
    labels, items = np.unique(log.items.astype(str), return_inverse=True)
    ids, customers = np.unique(log.customers, return_inverse=True)
    return customers, items, log.days, log.invoices, len(labels)


@pytest.mark.parametrize("view", ["new", "all"])
def test_the_table_scores_a_weighting_exactly_like_the_evaluation(small, view):
    customers, items, days, baskets, n_items = small
    cutoff = int(days.max()) - 90 + 1
    inner = days < cutoff
    wanted = validation_targets(customers, items, days, inner, view)
    fitted = Variants(
        customers[inner], items[inner], days[inner], baskets[inner], n_items, DEFAULTS
    )
    history = histories(customers[inner], items[inner], days[inner])
    chosen = sorted(wanted)
    # every item is a candidate: the table then holds the whole catalogue
    table = build_table(
        fitted,
        ((history[c], wanted[c]) for c in chosen),
        cutoff - 1,
        exclude_owned=view == "new",
        width=n_items,
    )
    rng = np.random.default_rng(1)
    for _ in range(3):
        weights = rng.random(len(table.columns)) * (
            rng.random(len(table.columns)) < 0.6
        )
        weights[0] += 0.1

        def recommend(customer, k, weights=weights):
            columns = fitted.scores_many(Stacked.of([history[customer]]), cutoff - 1)[
                :, 0
            ]
            scores = (columns.T @ weights).astype(np.float32)
            if view == "new":
                scores[history[customer].owned] = 0.0
            return [str(i) for i in top_k(scores, k) if scores[i] > 0]

        split = Split(
            None,
            None,
            {},
            {c: {str(i) for i in wanted[c]} for c in chosen},
            cutoff,
            view,
        )
        exact = evaluate(recommend, split, n_items, 10)
        fast = evaluate_weights(table, weights, 10)
        for metric in ("hit_rate@10", "recall@10", "ndcg@10"):
            assert fast[metric] == pytest.approx(exact[metric], abs=1e-9), metric


def random_table(rng, customers=60, width=30, columns=4):
    from bot.recommend.tuning import Column

    values = rng.random((columns, customers, width)).astype(np.float32)
    values *= rng.random((columns, customers, width)) < 0.5
    relevant = rng.random((customers, width)) < 0.1
    n_relevant = np.maximum(relevant.sum(axis=1), 1) + rng.integers(0, 3, customers)
    names = [Column(s) for s in ("similar", "rules", "ease", "popular")[:columns]]
    return Table(tuple(names), values, relevant, n_relevant.astype(float), customers)


def test_the_search_never_ends_below_its_start_or_any_source_alone():
    rng = np.random.default_rng(7)
    start = {"similar": 1.0, "rules": 0.5, "popular": 0.05}
    for _ in range(5):
        table = random_table(rng)
        found = search(table, start, 10)
        key = (found.scores["ndcg@10"], found.scores["recall@10"])
        for n in range(len(table.columns)):
            alone = np.eye(len(table.columns))[n]
            scores = evaluate_weights(table, alone, 10)
            assert key >= (scores["ndcg@10"], scores["recall@10"])
        assert key >= (
            found.started_scores["ndcg@10"],
            found.started_scores["recall@10"],
        )
        assert found.tried > len(table.columns)


def test_a_source_that_alone_knows_the_answer_gets_the_weight():
    rng = np.random.default_rng(3)
    table = random_table(rng)
    # the third column scores exactly the relevant items
    table.values[2] = table.relevant.astype(np.float32)
    found = search(table, {"similar": 1.0}, 10)
    assert found.scores["recall@10"] == pytest.approx(
        float(np.mean(np.minimum(table.relevant.sum(1), 10) / table.n_relevant))
    )
    assert found.weights[2] > 0


def test_learning_keeps_the_configured_weights_without_a_validation_period():
    # everybody bought once, all in the last days: nobody bought in both parts
    customers = np.arange(10)
    items = np.arange(10) % 3
    days = np.full(10, 100)
    assert learn(customers, items, days, np.arange(10), 3, DEFAULTS, 30) is None


def test_learning_samples_customers_and_returns_settings_it_can_fit(small):
    customers, items, days, baskets, n_items = small
    learned = learn(
        customers, items, days, baskets, n_items, DEFAULTS, 90, max_customers=40
    )
    assert learned is not None and learned.customers == 40
    weights = {s: learned.settings.weight(s) for s in SOURCES}
    assert any(weights.values())
    assert learned.as_dict()["weights"] == weights
    assert learned.settings == replace(learned.settings)  # a plain dataclass
    assert learned.scores["ndcg@10"] >= learned.started_scores["ndcg@10"]


def test_histories_count_days_not_lines():
    found = histories([0, 0, 0, 0, 1], [5, 5, 5, 7, 5], [1, 1, 9, 4, 3])
    mine = found[0]
    assert mine.owned.tolist() == [5, 7]
    assert mine.times.tolist() == [2.0, 1.0]  # two lines on day 1 are one purchase
    assert mine.first_days.tolist() == [1.0, 4.0]
    assert mine.last_days.tolist() == [9.0, 4.0]
    assert found[1].owned.tolist() == [5]


def test_a_large_history_is_fitted_on_whole_customers_the_scored_ones_in():
    from bot.recommend.tuning import _sample

    customers = np.repeat(np.arange(100), 10)  # 100 customers of 10 lines
    kept = _sample(customers, [3, 97], 300, seed=1)
    assert {3, 97} <= set(kept.tolist())
    assert len(kept) == 30  # 300 lines of whole customers


def test_learning_on_a_sample_still_scores_the_same_customers(small):
    customers, items, days, baskets, n_items = small
    whole = learn(
        customers, items, days, baskets, n_items, DEFAULTS, 90, max_customers=40
    )
    sampled = learn(
        customers,
        items,
        days,
        baskets,
        n_items,
        DEFAULTS,
        90,
        max_customers=40,
        max_lines=len(days) // 2,
    )
    assert sampled.customers == whole.customers == 40
    assert sampled.scores != whole.scores  # fitted on less, scored on the same


def test_the_blend_and_the_baselines_are_scored_on_the_same_sample():
    from bot.recommend.tuning import sample_customers

    ids = {c: None for c in range(1000, 0, -3)}
    first = sample_customers(ids, 50)
    assert first == sorted(first) and len(first) == 50
    # the same customers under another numbering that keeps their order
    renumbered = sample_customers([c // 3 for c in ids], 50)
    assert renumbered == [c // 3 for c in first]
    assert sample_customers([5, 1, 3], 50) == [1, 3, 5]
