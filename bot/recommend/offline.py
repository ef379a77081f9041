"""Compare recommenders on a transaction log: the `evaluate-recommender` report.

Popularity, plain item-KNN, EASE (for catalogues it can hold, see ease.py),
association rules alone and the blend are fitted on the same training period and
scored on the same holdout customers (see evaluation.py), each with its settings
chosen on a validation period carved from the training period (selection.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from bot.recommend.blend import DEFAULTS, BlendedRecommender, BlendSettings
from bot.recommend.ease import EASERecommender
from bot.recommend.evaluation import (
    PopularityRecommender,
    Recommender,
    Split,
    evaluate,
    temporal_split,
)
from bot.recommend.item_knn import ItemKNNRecommender
from bot.recommend.retail_log import RetailLog
from bot.recommend.selection import best, blend_candidates, blend_grid

CONTENDERS = ("popularity", "item-knn", "ease", "rules", "blended")
NEIGHBOURS = (50, 20, 100)
EASE_L2 = (500.0, 50.0, 200.0, 2000.0)


@dataclass(frozen=True)
class Comparison:
    holdout_days: int
    k: int
    train_customers: int
    test_customers: int
    items: int
    results: dict[str, dict[str, float]]
    chosen: dict[str, str] = field(
        default_factory=dict
    )  # settings picked on validation


def compare(
    log: RetailLog,
    holdout_days: int = 90,
    k: int = 10,
    settings: BlendSettings = DEFAULTS,
    progress: Callable[[str], None] = lambda name: None,
) -> Comparison:
    """Each contender's settings are chosen on the last `holdout_days` of the
    training period (see selection.py), then it is refitted on the whole training
    period and scored on the holdout."""
    split = temporal_split(log.customers, log.items, log.days, holdout_days)
    train = log.days < split.cutoff_day
    catalogue = len(np.unique(log.items[train]))
    inner = temporal_split(
        log.customers[train], log.items[train], log.days[train], holdout_days
    )
    inner_train = train & (log.days < inner.cutoff_day)
    inner_catalogue = len(np.unique(log.items[inner_train]))
    results, chosen = {}, {}
    for name, pick in _contenders(log, settings):
        progress(name)
        choice = best(pick(inner_train, inner), inner, inner_catalogue, k)
        chosen[name] = _describe(choice.setting)
        ((_, recommend),) = pick(train, split, [choice.setting])
        results[name] = evaluate(recommend, split, catalogue, k)
    return Comparison(
        holdout_days,
        k,
        len(split.known),
        len(split.relevant),
        catalogue,
        results,
        chosen,
    )


Candidates = Iterator[tuple[object, Recommender]]
Pick = Callable[..., Candidates]


def _contenders(log: RetailLog, settings: BlendSettings) -> Iterator[tuple[str, Pick]]:
    """Per contender: given a training mask, its split and optionally the settings
    to try (default: its grid), the fitted candidates."""

    def popularity(mask, split, grid=(None,)) -> Candidates:
        fitted = PopularityRecommender().fit(log.customers[mask], log.items[mask])
        yield None, fitted.recommend(split.known)

    def item_knn(mask, split, grid=NEIGHBOURS) -> Candidates:
        for neighbours in grid:
            model = ItemKNNRecommender(neighbours).fit(
                log.customers[mask], log.items[mask]
            )
            yield neighbours, model.recommend(split.known)

    def ease(mask, split, grid=EASE_L2) -> Candidates:
        for l2 in grid:
            yield (
                l2,
                EASERecommender(l2)
                .fit(log.customers[mask], log.items[mask])
                .recommend(split.known),
            )

    def blended(mask, split, grid=None) -> Candidates:
        fitted = _FittedBlend(log, mask, settings, split)
        yield from blend_candidates(
            fitted.model,
            blend_grid(settings) if grid is None else grid,
            fitted.history,
            fitted.labels,
            split.relevant,
            split.cutoff_day - 1,
        )

    def rules(mask, split, grid=None) -> Candidates:
        alone = replace(settings, similar=0.0, rules=1.0, popular=0.0)
        fitted = _FittedBlend(log, mask, alone, split)
        yield from blend_candidates(
            fitted.model,
            [alone],
            fitted.history,
            fitted.labels,
            split.relevant,
            split.cutoff_day - 1,
        )

    yield "popularity", popularity
    yield "item-knn", item_knn
    if len(np.unique(log.items)) <= EASERecommender().max_items:
        yield "ease", ease
    yield "rules", rules
    yield "blended", blended


class _FittedBlend:
    """The blend fitted on the rows of `mask`, with each customer's history."""

    def __init__(
        self, log: RetailLog, mask: np.ndarray, settings: BlendSettings, split: Split
    ) -> None:
        customers, items = log.customers[mask], log.items[mask]
        self.labels, columns = np.unique(items.astype(str), return_inverse=True)
        ids, rows = np.unique(customers, return_inverse=True)
        self.model = BlendedRecommender(settings).fit(
            rows, columns, log.days[mask], log.invoices[mask], len(self.labels)
        )
        self._history = _history(rows, columns, log.days[mask])
        self._row_of = {int(c): n for n, c in enumerate(ids.tolist())}

    def history(self, customer: int) -> tuple[np.ndarray, np.ndarray]:
        owned, days = self._history.get(self._row_of.get(customer, -1), ((), ()))
        return np.asarray(owned, dtype=int), np.asarray(days, dtype=float)


def _describe(setting: object) -> str:
    if setting is None:
        return "-"
    if isinstance(setting, BlendSettings):
        return (
            f"similar {setting.similar:g} / rules {setting.rules:g} / "
            f"popular {setting.popular:g}"
        )
    if isinstance(setting, float):
        return f"l2 {setting:g}"
    return f"neighbours {setting}"


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
