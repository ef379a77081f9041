"""Compare recommenders on a transaction log: the `evaluate-recommender` report.

Popularity, plain item-KNN, EASE (for catalogues it can hold, see ease.py),
association rules alone and the blend are fitted on the same training period and
scored on the same holdout customers (see evaluation.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from bot.recommend.blend import DEFAULTS, BlendedRecommender, BlendSettings
from bot.recommend.ease import CatalogueTooLarge, EASERecommender
from bot.recommend.evaluation import (
    PopularityRecommender,
    Recommender,
    Split,
    evaluate,
    temporal_split,
)
from bot.recommend.item_knn import ItemKNNRecommender
from bot.recommend.retail_log import RetailLog

CONTENDERS = ("popularity", "item-knn", "ease", "rules", "blended")


@dataclass(frozen=True)
class Comparison:
    holdout_days: int
    k: int
    train_customers: int
    test_customers: int
    items: int
    results: dict[str, dict[str, float]]


def compare(
    log: RetailLog,
    holdout_days: int = 90,
    k: int = 10,
    settings: BlendSettings = DEFAULTS,
    progress: Callable[[str], None] = lambda name: None,
) -> Comparison:
    split = temporal_split(log.customers, log.items, log.days, holdout_days)
    train = log.days < split.cutoff_day
    catalogue = len(np.unique(log.items[train]))
    results = {}
    for name, recommend in _contenders(log, train, split, settings):
        progress(name)
        results[name] = evaluate(recommend, split, catalogue, k)
    return Comparison(
        holdout_days,
        k,
        len(split.known),
        len(split.relevant),
        catalogue,
        results,
    )


def _contenders(
    log: RetailLog, train: np.ndarray, split: Split, settings: BlendSettings
) -> Iterator[tuple[str, Recommender]]:
    customers, items = log.customers[train], log.items[train]
    yield (
        "popularity",
        PopularityRecommender().fit(customers, items).recommend(split.known),
    )
    yield "item-knn", ItemKNNRecommender().fit(customers, items).recommend(split.known)
    ease = _ease(customers, items)
    if ease is not None:
        yield "ease", ease.recommend(split.known)
    labels, columns = np.unique(items.astype(str), return_inverse=True)
    ids, rows = np.unique(customers, return_inverse=True)
    model = BlendedRecommender(settings).fit(
        rows, columns, log.days[train], log.invoices[train], len(labels)
    )
    history = _history(rows, columns, log.days[train])
    today = split.cutoff_day - 1
    row_of = {int(c): n for n, c in enumerate(ids.tolist())}

    def ranked(only_rules: bool) -> Recommender:
        def top(customer: int, k: int) -> list[str]:
            owned, days = history.get(row_of.get(customer, -1), ((), ()))
            scores = model.source_scores(np.asarray(owned, dtype=int), days, today)
            score = scores["rules"] if only_rules else model.combine(scores)
            score = score.copy()
            score[list(owned)] = -np.inf
            order = np.argsort(-score, kind="stable")[:k]
            return [labels[i] for i in order if score[i] > 0]

        return top

    yield "rules", ranked(only_rules=True)
    yield "blended", ranked(only_rules=False)


def _ease(customers, items) -> EASERecommender | None:
    """None for a catalogue too large for EASE's dense inverse: the table leaves it
    out rather than the run running out of memory."""
    try:
        return EASERecommender().fit(customers, items)
    except CatalogueTooLarge:
        return None


def _history(rows, columns, days) -> dict[int, tuple[list[int], list[int]]]:
    """Per customer row: the items she bought and the last day she bought each."""
    order = np.lexsort((days, columns, rows))
    rows, columns, days = rows[order], columns[order], days[order]
    last = np.r_[(rows[1:] != rows[:-1]) | (columns[1:] != columns[:-1]), True]
    history: dict[int, tuple[list[int], list[int]]] = {}
    for row, column, day in zip(
        rows[last].tolist(), columns[last].tolist(), days[last].tolist(), strict=True
    ):
        owned, when = history.setdefault(row, ([], []))
        owned.append(column)
        when.append(day)
    return history
