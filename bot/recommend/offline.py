"""Compare recommenders on a transaction log: the `evaluate-recommender` report.

Popularity, plain item-KNN, EASE (for catalogues it can hold, see ease.py), ALS,
association rules alone, buying again (all-purchases view only) and the blend are
fitted on the same training period and scored on the same holdout customers (see
evaluation.py), each with its settings chosen on a validation period carved from the
training period: a small grid for each baseline (selection.py), and for the blend
exactly what `salesbot train-recommender` does (tuning.py), so that the report
measures the model a shop would serve.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from bot.recommend.als import ALSRecommender
from bot.recommend.blend import DEFAULTS, SOURCES, BlendedRecommender, BlendSettings
from bot.recommend.ease import EASERecommender, fits_ease
from bot.recommend.evaluation import (
    PopularityRecommender,
    Recommender,
    Split,
    evaluate,
    temporal_split,
)
from bot.recommend.item_knn import ItemKNNRecommender
from bot.recommend.ranking import single_blas, top_k
from bot.recommend.retail_log import RetailLog
from bot.recommend.selection import best
from bot.recommend.tuning import histories, learn, sample_customers

CONTENDERS = ("popularity", "item-knn", "ease", "als", "rules", "again", "blended")
NEIGHBOURS = (50, 20, 100)
EASE_L2 = (500.0, 50.0, 200.0, 2000.0)
ALS_GRID = tuple((f, a) for f in (64, 32, 128) for a in (10.0, 1.0))


@dataclass(frozen=True)
class Comparison:
    holdout_days: int
    k: int
    train_customers: int
    test_customers: int
    items: int
    results: dict[str, dict[str, float]]
    chosen: dict[str, str] = field(default_factory=dict)  # picked on validation
    view: str = "new"
    seconds: dict[str, float] = field(default_factory=dict)  # per contender


def compare(
    log: RetailLog,
    holdout_days: int = 90,
    k: int = 10,
    settings: BlendSettings = DEFAULTS,
    progress: Callable[[str], None] = lambda name: None,
    view: str = "new",
    validation_customers: int = 5_000,
) -> Comparison:
    """Each contender's settings are chosen on the last `holdout_days` of the
    training period (on the same `validation_customers` customers at most, those
    the blend is tuned on), then it is refitted on the whole training period and
    scored on the holdout (every test customer)."""
    with single_blas():
        return _compare(
            log, holdout_days, k, settings, progress, view, validation_customers
        )


def _compare(
    log, holdout_days, k, settings, progress, view, validation_customers
) -> Comparison:
    split = temporal_split(log.customers, log.items, log.days, holdout_days, view)
    train = log.days < split.cutoff_day
    catalogue = len(np.unique(log.items[train]))
    inner = temporal_split(
        log.customers[train], log.items[train], log.days[train], holdout_days, view
    )
    scored = sample_customers(inner.relevant, validation_customers)
    inner = replace(inner, relevant={c: inner.relevant[c] for c in scored})
    inner_train = train & (log.days < inner.cutoff_day)
    inner_catalogue = len(np.unique(log.items[inner_train]))
    results, chosen, seconds = {}, {}, {}
    for name, pick in _contenders(log, view):
        progress(name)
        started = time.perf_counter()
        choice = best(pick(inner_train, inner), inner, inner_catalogue, k)
        chosen[name] = _describe(choice.setting)
        ((_, recommend),) = pick(train, split, [choice.setting])
        results[name] = evaluate(recommend, split, catalogue, k)
        seconds[name] = round(time.perf_counter() - started, 2)
    progress("blended")
    started = time.perf_counter()
    blend = _FittedBlend(log, train, settings)
    learned = learn(
        blend.rows,
        blend.columns,
        log.days[train],
        log.invoices[train],
        len(blend.labels),
        settings,
        holdout_days,
        view,
        k,
        validation_customers,
    )
    tuned = learned.settings if learned else settings
    blend.refit(tuned)
    results["blended"] = evaluate(blend.recommend(split), split, catalogue, k)
    chosen["blended"] = _describe(tuned)
    seconds["blended"] = round(time.perf_counter() - started, 2)
    return Comparison(
        holdout_days,
        k,
        len(split.known),
        len(split.relevant),
        catalogue,
        {name: results[name] for name in CONTENDERS if name in results},
        chosen,
        view,
        seconds,
    )


Candidates = Iterator[tuple[object, Recommender]]
Pick = Callable[..., Candidates]


def _contenders(log: RetailLog, view: str) -> Iterator[tuple[str, Pick]]:
    """Per baseline: given a training mask, its split and optionally the settings
    to try (default: its grid), the fitted candidates."""

    def popularity(mask, split, grid=(None,)) -> Candidates:
        fitted = PopularityRecommender().fit(log.customers[mask], log.items[mask])
        yield None, fitted.recommend(split.known, split.excludes_known)

    def item_knn(mask, split, grid=NEIGHBOURS) -> Candidates:
        for neighbours in grid:
            model = ItemKNNRecommender(neighbours).fit(
                log.customers[mask], log.items[mask]
            )
            yield neighbours, model.recommend(split.known, split.excludes_known)

    def ease(mask, split, grid=EASE_L2) -> Candidates:
        for l2 in grid:
            model = EASERecommender(l2).fit(log.customers[mask], log.items[mask])
            yield l2, model.recommend(split.known, split.excludes_known)

    def als(mask, split, grid=ALS_GRID) -> Candidates:
        for factors, alpha in grid:
            model = ALSRecommender(factors, alpha=alpha).fit(
                log.customers[mask], log.items[mask]
            )
            yield (factors, alpha), model.recommend(split.known, split.excludes_known)

    def alone(source: str) -> Pick:
        def pick(mask, split, grid=None) -> Candidates:
            weights = {s: float(s == source) for s in SOURCES}
            fitted = _FittedBlend(log, mask, replace(DEFAULTS, **weights))
            yield None, fitted.recommend(split)

        return pick

    yield "popularity", popularity
    yield "item-knn", item_knn
    if fits_ease(len(np.unique(log.items))):
        yield "ease", ease
    yield "als", als
    yield "rules", alone("rules")
    if view == "all":
        yield "again", alone("again")


class _FittedBlend:
    """The blend fitted on the rows of `mask`, with each customer's history."""

    def __init__(self, log: RetailLog, mask: np.ndarray, settings: BlendSettings):
        customers, items = log.customers[mask], log.items[mask]
        self.labels, self.columns = np.unique(items.astype(str), return_inverse=True)
        ids, self.rows = np.unique(customers, return_inverse=True)
        self._days, self._baskets = log.days[mask], log.invoices[mask]
        self._history = histories(self.rows, self.columns, self._days)
        self._row_of = {int(c): n for n, c in enumerate(ids.tolist())}
        self.refit(settings)

    def refit(self, settings: BlendSettings) -> None:
        self.model = BlendedRecommender(settings).fit(
            self.rows, self.columns, self._days, self._baskets, len(self.labels)
        )

    def recommend(self, split: Split) -> Recommender:
        today = split.cutoff_day - 1

        def top(customer: int, k: int) -> list[str]:
            history = self._history.get(self._row_of.get(customer, -1))
            if history is None:
                scores = self.model.combine(
                    self.model.source_scores(np.zeros(0, int), np.zeros(0), today)
                )
            else:
                scores = self.model.combine(
                    self.model.source_scores(
                        history.owned,
                        history.last_days,
                        today,
                        history.first_days,
                        history.times,
                    )
                )
                if split.excludes_known:
                    scores[history.owned] = -np.inf
            return [self.labels[i] for i in top_k(scores, k) if scores[i] > 0]

        return top


def _describe(setting: object) -> str:
    if setting is None:
        return "-"
    if isinstance(setting, BlendSettings):
        weights = " / ".join(
            f"{source} {setting.weight(source):g}"
            for source in SOURCES
            if setting.weight(source) > 0
        )
        extra = []
        if setting.similar > 0:
            extra.append(f"neighbours {setting.neighbours}")
        if setting.popular > 0:
            extra.append(
                f"popular over {setting.recent_days} days"
                if setting.recent_days
                else "popular ever"
            )
        if setting.ease > 0:
            extra.append(f"l2 {setting.ease_l2:g}")
        if setting.als > 0:
            extra.append(f"factors {setting.als_factors}, alpha {setting.als_alpha:g}")
        return weights + (f" ({', '.join(extra)})" if extra else "")
    if isinstance(setting, tuple):
        return f"factors {setting[0]}, alpha {setting[1]:g}"
    if isinstance(setting, float):
        return f"l2 {setting:g}"
    return f"neighbours {setting}"
