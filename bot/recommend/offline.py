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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from bot.recommend.als import ALSRecommender
from bot.recommend.blend import (
    DEFAULTS,
    SOURCES,
    BlendedRecommender,
    BlendSettings,
    History,
    Stacked,
    fit_key,
)
from bot.recommend.ease import EASERecommender, fits_ease
from bot.recommend.evaluation import (
    VIEWS,
    Batched,
    PopularityRecommender,
    Recommender,
    Split,
    batch_size,
    evaluate,
    picks,
    temporal_splits,
)
from bot.recommend.item_knn import ItemKNNRecommender
from bot.recommend.ranking import single_blas
from bot.recommend.retail_log import RetailLog
from bot.recommend.selection import Choice, better
from bot.recommend.tuning import histories, learn_views, sample_customers

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
    return compare_views(
        log, (view,), holdout_days, k, settings, progress, validation_customers
    )[view]


def compare_views(
    log: RetailLog,
    views: Sequence[str] = VIEWS,
    holdout_days: int = 90,
    k: int = 10,
    settings: BlendSettings = DEFAULTS,
    progress: Callable[[str], None] = lambda name: None,
    validation_customers: int = 5_000,
) -> dict[str, Comparison]:
    """`compare` for each view from one set of fits: what a model learns does not
    depend on what counts as a hit, so each candidate is fitted once on the
    validation period and once per chosen setting on the training period, and
    scored for every view. The seconds of a contender are those of all views."""
    with single_blas():
        return _compare(
            log, views, holdout_days, k, settings, progress, validation_customers
        )


@dataclass(frozen=True)
class _Periods:
    """The training period and, carved from its end, the validation period."""

    train: np.ndarray  # mask of the log's rows
    inner_train: np.ndarray
    split: dict[str, Split]  # per view: the holdout
    inner: dict[str, Split]  # per view: the validation period, sampled customers
    catalogue: int
    inner_catalogue: int


def _periods(log, views, holdout_days, validation_customers) -> _Periods:
    split = temporal_splits(log.customers, log.items, log.days, holdout_days, views)
    cutoff = next(iter(split.values())).cutoff_day
    train = log.days < cutoff
    inner = temporal_splits(
        log.customers[train], log.items[train], log.days[train], holdout_days, views
    )
    for view, part in inner.items():
        scored = sample_customers(part.relevant, validation_customers)
        inner[view] = replace(part, relevant={c: part.relevant[c] for c in scored})
    inner_cutoff = next(iter(inner.values())).cutoff_day
    inner_train = train & (log.days < inner_cutoff)
    return _Periods(
        train,
        inner_train,
        split,
        inner,
        len(np.unique(log.items[train])),
        len(np.unique(log.items[inner_train])),
    )


def _compare(
    log, views, holdout_days, k, settings, progress, validation_customers
) -> dict[str, Comparison]:
    periods = _periods(log, views, holdout_days, validation_customers)
    results: dict[str, dict] = {view: {} for view in views}
    chosen: dict[str, dict] = {view: {} for view in views}
    seconds: dict[str, float] = {}
    blends = _Blends(log)
    for contender in _contenders(log, blends):
        entered = [view for view in views if view in contender.views]
        if not entered:
            continue
        progress(contender.name)
        started = time.perf_counter()
        for view, (setting, scores) in _tuned(contender, periods, entered, k).items():
            chosen[view][contender.name] = _describe(setting)
            results[view][contender.name] = scores
        seconds[contender.name] = round(time.perf_counter() - started, 2)
    progress("blended")
    started = time.perf_counter()
    for view, (tuned, scores) in _tuned_blend(
        log, blends, periods, views, settings, holdout_days, k, validation_customers
    ).items():
        chosen[view]["blended"] = _describe(tuned)
        results[view]["blended"] = scores
    seconds["blended"] = round(time.perf_counter() - started, 2)
    return {
        view: Comparison(
            holdout_days,
            k,
            len(periods.split[view].known),
            len(periods.split[view].relevant),
            periods.catalogue,
            {n: results[view][n] for n in CONTENDERS if n in results[view]},
            chosen[view],
            view,
            {n: seconds[n] for n in CONTENDERS if n in results[view]},
        )
        for view in views
    }


Serve = Callable[[Split], Recommender]


@dataclass(frozen=True)
class _Contender:
    name: str
    grid: tuple
    fit: Callable[[np.ndarray, object], Serve]  # (rows of the log, setting)
    views: tuple[str, ...] = VIEWS


def _tuned(contender: _Contender, periods: _Periods, views, k) -> dict:
    """Per view: the setting chosen on the validation period and the holdout
    scores of the contender refitted with it. One fit per setting and period."""
    found: dict[str, Choice | None] = dict.fromkeys(views)
    for setting in contender.grid:
        serve = contender.fit(periods.inner_train, setting)
        for view in views:
            split = periods.inner[view]
            scores = evaluate(serve(split), split, periods.inner_catalogue, k)
            found[view] = better(found[view], Choice(setting, scores), k)
    out = {}
    for setting in dict.fromkeys(found[view].setting for view in views):
        serve = contender.fit(periods.train, setting)
        for view in (v for v in views if found[v].setting == setting):
            split = periods.split[view]
            out[view] = setting, evaluate(serve(split), split, periods.catalogue, k)
    return out


def _tuned_blend(
    log, blends, periods, views, settings, holdout_days, k, validation_customers
) -> dict:
    """Per view: the weights `train-recommender` would choose and the holdout
    scores of the blend refitted with them."""
    train = blends.period(periods.train)
    learned = learn_views(
        train.rows,
        train.columns,
        log.days[periods.train],
        log.invoices[periods.train],
        len(train.labels),
        settings,
        holdout_days,
        views,
        k,
        validation_customers,
    )
    out = {}
    for view in views:
        tuned = learned[view].settings if learned[view] else settings
        split = periods.split[view]
        serve = blends.fit(periods.train, tuned)
        out[view] = tuned, evaluate(serve(split), split, periods.catalogue, k)
    return out


def _contenders(log: RetailLog, blends: _Blends) -> Iterator[_Contender]:
    """Each baseline: its grid and how it is fitted on some rows of the log."""

    def baseline(make: Callable[[object], object]):
        def fit(mask, setting) -> Serve:
            model = make(setting).fit(log.customers[mask], log.items[mask])
            return lambda split: model.recommend(split.known, split.excludes_known)

        return fit

    def alone(source: str):
        weights = {s: float(s == source) for s in SOURCES}
        return lambda mask, setting: blends.fit(mask, replace(DEFAULTS, **weights))

    yield _Contender("popularity", (None,), baseline(lambda _: PopularityRecommender()))
    yield _Contender("item-knn", NEIGHBOURS, baseline(ItemKNNRecommender))
    if fits_ease(len(np.unique(log.items))):
        yield _Contender("ease", EASE_L2, baseline(EASERecommender))
    yield _Contender(
        "als", ALS_GRID, baseline(lambda s: ALSRecommender(s[0], alpha=s[1]))
    )
    yield _Contender("rules", (None,), alone("rules"))
    yield _Contender("again", (None,), alone("again"), views=("all",))


class _Blends:
    """The blend on some rows of the log, each period's indexing and histories
    computed once and each fit kept for every weighting it serves (fit_key)."""

    def __init__(self, log: RetailLog) -> None:
        self._log = log
        self._periods: dict[bytes, _FittedBlend] = {}
        self._models: dict[tuple, BlendedRecommender] = {}

    def period(self, mask: np.ndarray) -> _FittedBlend:
        return self._period(np.packbits(mask).tobytes(), mask)

    def fit(self, mask: np.ndarray, settings: BlendSettings) -> Serve:
        rows = np.packbits(mask).tobytes()
        period = self._period(rows, mask)
        key = (rows, fit_key(settings))
        if key not in self._models:
            self._models[key] = period.fit(settings)
        model = self._models[key].reweighted(settings)
        return lambda split: period.recommend(model, split)

    def _period(self, rows: bytes, mask: np.ndarray) -> _FittedBlend:
        if rows not in self._periods:
            self._periods[rows] = _FittedBlend(self._log, mask)
        return self._periods[rows]


class _FittedBlend:
    """The rows of `mask` indexed for the blend, with each customer's history."""

    def __init__(self, log: RetailLog, mask: np.ndarray):
        customers, items = log.customers[mask], log.items[mask]
        self.labels, self.columns = np.unique(items.astype(str), return_inverse=True)
        ids, self.rows = np.unique(customers, return_inverse=True)
        self._days, self._baskets = log.days[mask], log.invoices[mask]
        self._history = histories(self.rows, self.columns, self._days)
        self._row_of = {int(c): n for n, c in enumerate(ids.tolist())}

    def fit(self, settings: BlendSettings) -> BlendedRecommender:
        return BlendedRecommender(settings).fit(
            self.rows, self.columns, self._days, self._baskets, len(self.labels)
        )

    def recommend(self, model: BlendedRecommender, split: Split) -> Recommender:
        today = split.cutoff_day - 1
        nobody = History.empty()

        def many(customers, k: int) -> list[list[str]]:
            stacked = Stacked.of(
                [
                    self._history.get(self._row_of.get(customer, -1), nobody)
                    for customer in customers
                ]
            )
            scores = model.combine(
                model.source_scores_many(stacked, today, model.weighted())
            )
            if split.excludes_known:
                scores[stacked.rows, stacked.cols] = -np.inf
            return picks(scores, self.labels, k)

        return Batched(many, batch_size(len(self.labels) * len(SOURCES)))


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
