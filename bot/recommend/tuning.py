"""Choosing the blend's weights on the shop's own history.

The period the model is trained on is split in time once more: the blend is fitted
on all but its last `validation_days`, and each customer who bought in both parts is
asked for, exactly like the holdout of the evaluation (evaluation.py): what she
bought in the validation days (in the "new" view only what she had not bought
before). A weighting is scored by NDCG@k there, Recall@k breaking ties.

The weights are searched coordinate by coordinate: the starting weighting
(knowledge/recommend.yml), then every source alone, then up to `ROUNDS` passes in
which each source tries each weight of `WEIGHTS` with the others held, keeping a
change only when it scores strictly better. Some sources come in variants, chosen
together with their weight: item-KNN with 20, 50 or 100 neighbours, popularity
over the last `recent_days` or ever, EASE with each λ of `EASE_L2` (one λ above
`EASE_GRID_ITEMS` items, where each fit is a dense inversion). Because each source
alone and the starting weighting are candidates, the chosen blend is never worse on
the validation days than any of its parts.

Scoring a weighting must be cheap, as a search tries a hundred or so. Per validation
customer the sources are computed once, and only the `WIDTH` best items of each
source are kept (her own items left out in the "new" view); a weighting's top k is
taken from the union of those. An item outside every source's top `WIDTH` can only
reach a top 10 in a pathological weighting, so the scores are those of the full
catalogue in practice, at a memory cost bounded by customers x sources x `WIDTH`.
Customers are sampled (`max_customers`, a fixed seed) on large logs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse

from bot.recommend.als import fit_factors
from bot.recommend.blend import (
    SOURCES,
    BlendedRecommender,
    BlendSettings,
    History,
    Stacked,
    recent_popularity,
)
from bot.recommend.ease import ease_weights, fits_ease, sparsify_rows
from bot.recommend.evaluation import batch_size
from bot.recommend.ranking import top_k_rows
from bot.recommend.sparse_ops import (
    binary_matrix,
    top_k_indices,
    unique_rows,
    unit_rows,
    weighted_rows,
)

WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
ROUNDS = 3
WIDTH = 100
NEIGHBOURS = (20, 50, 100)
EASE_L2 = (50.0, 200.0, 500.0, 2000.0)
EASE_GRID_ITEMS = 5_000
ALS_GRID = tuple((f, a) for f in (64, 32, 128) for a in (10.0, 1.0))
ALS_GRID_LINES = 1_000_000


@dataclass(frozen=True)
class Column:
    """One source in one variant: the settings it stands for."""

    source: str
    changes: tuple[tuple[str, float], ...] = ()

    @property
    def label(self) -> str:
        extra = ",".join(f"{name}={value:g}" for name, value in self.changes)
        return f"{self.source}[{extra}]" if extra else self.source


@dataclass(frozen=True)
class Learned:
    """The weighting chosen and how it scored on the validation days."""

    settings: BlendSettings
    scores: dict[str, float]
    customers: int  # validation customers scored
    tried: int  # weightings scored
    started: dict[str, float] = field(default_factory=dict)  # the starting weighting
    started_scores: dict[str, float] = field(default_factory=dict)  # ...its scores

    def as_dict(self) -> dict:
        return {
            "weights": {s: self.settings.weight(s) for s in SOURCES},
            "neighbours": self.settings.neighbours,
            "recent_days": self.settings.recent_days,
            "ease_l2": self.settings.ease_l2,
            "als_factors": self.settings.als_factors,
            "als_alpha": self.settings.als_alpha,
            "validation": self.scores,
            "started_from": self.started,
            "started_scores": self.started_scores,
            "customers": self.customers,
            "tried": self.tried,
        }


@dataclass(frozen=True)
class Table:
    """Per validation customer, her candidate items and each column's score."""

    columns: tuple[Column, ...]
    values: np.ndarray  # columns x customers x width, float32 (a column per slab)
    relevant: np.ndarray  # customers x width, bool
    n_relevant: np.ndarray  # customers
    customers: int


def learn(
    customers: np.ndarray,
    items: np.ndarray,
    days: np.ndarray,
    baskets: np.ndarray,
    n_items: int,
    settings: BlendSettings,
    validation_days: int,
    view: str = "new",
    k: int = 10,
    max_customers: int = 5_000,
    seed: int = 0,
    progress: Callable[[str], None] = lambda step: None,
    max_lines: int | None = None,
) -> Learned | None:
    """The weighting to train with, or None when the history is too short to
    have validation customers (then the configured weights stay). Above
    `max_lines` lines before the validation days, the sources are fitted on the
    lines of a sample of whole customers (the scored ones always in): the weights
    are relative, and what they weigh is then the same at a fraction of the cost."""
    return learn_views(
        customers,
        items,
        days,
        baskets,
        n_items,
        settings,
        validation_days,
        (view,),
        k,
        max_customers,
        seed,
        progress,
        max_lines,
    )[view]


def learn_views(
    customers: np.ndarray,
    items: np.ndarray,
    days: np.ndarray,
    baskets: np.ndarray,
    n_items: int,
    settings: BlendSettings,
    validation_days: int,
    views: Sequence[str] = ("new",),
    k: int = 10,
    max_customers: int = 5_000,
    seed: int = 0,
    progress: Callable[[str], None] = lambda step: None,
    max_lines: int | None = None,
) -> dict[str, Learned | None]:
    """`learn` for each view from one fit of the sources: the fit does not depend
    on what counts as a hit, only the table and the search do."""
    customers, items, days = map(np.asarray, (customers, items, days))
    found: dict[str, Learned | None] = {view: None for view in views}
    if not len(days):
        return found
    cutoff = int(days.max()) - validation_days + 1
    inner = days < cutoff
    wanted = {
        view: validation_targets(customers, items, days, inner, view) for view in views
    }
    chosen = {
        view: sample_customers(wanted[view], max_customers, seed)
        for view in views
        if wanted[view]
    }
    if not chosen:
        return found
    progress("fit")
    scored = sorted(set().union(*chosen.values()))
    if max_lines is not None and inner.sum() > max_lines:
        inner &= np.isin(customers, _sample(customers[inner], scored, max_lines, seed))
    fitted = Variants(
        customers[inner], items[inner], days[inner], baskets[inner], n_items, settings
    )
    progress("score")
    mine = np.isin(customers, scored) & inner
    history = histories(customers[mine], items[mine], days[mine])
    start = {s: settings.weight(s) for s in SOURCES}
    for view, picked in chosen.items():
        table = build_table(
            fitted,
            ((history.get(c, History.empty()), wanted[view][c]) for c in picked),
            cutoff - 1,
            exclude_owned=view == "new",
        )
        best = search(table, start, k)
        found[view] = Learned(
            _settings(settings, table.columns, best.weights),
            best.scores,
            len(picked),
            best.tried,
            start,
            best.started_scores,
        )
    return found


def sample_customers(ids, most: int, seed: int = 0) -> list[int]:
    """At most `most` of `ids`, sorted; the same ones for the same ids and seed
    (the evaluation scores every contender on the customers the blend is tuned on)."""
    chosen = sorted(ids)
    if len(chosen) <= most:
        return chosen
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(chosen, most, replace=False).tolist())


def _sample(customers: np.ndarray, first: list[int], lines: int, seed: int):
    """Whole customers whose lines add up to about `lines`, `first` included."""
    ids, counts = np.unique(customers, return_counts=True)
    keep = np.isin(ids, first)
    budget = lines - counts[keep].sum()
    others = np.flatnonzero(~keep)
    np.random.default_rng(seed).shuffle(others)
    taken = others[np.cumsum(counts[others]) <= budget]
    return np.concatenate([ids[keep], ids[taken]])


def validation_targets(
    customers, items, days, inner, view: str
) -> dict[int, np.ndarray]:
    """Per customer who bought in both parts: the items that count as a hit
    (sorted). Vectorised: a big chain has millions of lines."""
    customers, items = np.asarray(customers, np.int64), np.asarray(items, np.int64)
    width = int(items.max()) + 1 if len(items) else 1
    before = np.unique(customers[inner] * width + items[inner])
    late = np.unique(customers[~inner] * width + items[~inner])
    late = late[np.isin(late // width, np.unique(before // width))]
    if view != "all":
        late = late[~np.isin(late, before)]
    if not len(late):
        return {}
    who = late // width
    bounds = np.flatnonzero(np.r_[True, who[1:] != who[:-1], True])
    return {
        int(who[lo]): late[lo:hi] % width
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    }


def histories(customers, items, days) -> dict[int, History]:
    """Per customer: her items with the last and first day and the number of days
    she bought each."""
    customers, items, days = map(np.asarray, (customers, items, days))
    if not len(days):
        return {}
    triples = unique_rows(customers, items, days)
    start = np.r_[
        True,
        (triples[1:, 0] != triples[:-1, 0]) | (triples[1:, 1] != triples[:-1, 1]),
    ]
    pair = np.cumsum(start) - 1
    times = np.bincount(pair)
    ends = np.r_[np.flatnonzero(start)[1:], len(triples)] - 1
    who, what = triples[start, 0], triples[start, 1]
    first, last = triples[start, 2], triples[ends, 2]
    bounds = np.flatnonzero(np.r_[True, who[1:] != who[:-1], True])
    found = {}
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        found[int(who[lo])] = History(
            what[lo:hi],
            last[lo:hi].astype(float),
            first[lo:hi].astype(float),
            times[lo:hi].astype(float),
        )
    return found


class Variants:
    """The blend fitted on the inner period with every variant of its sources."""

    def __init__(self, customers, items, days, baskets, n_items, settings) -> None:
        widest = replace(settings, neighbours=max(NEIGHBOURS + (settings.neighbours,)))
        self.blend = BlendedRecommender(widest).fit(
            customers, items, days, baskets, n_items, costly=False
        )
        self.columns: list[Column] = []
        self.similar: dict[int, object] = {}
        for neighbours in _configured_first(settings.neighbours, NEIGHBOURS):
            self.similar[neighbours] = _keep_top(self.blend.similarity_, neighbours)
            self.columns.append(Column("similar", (("neighbours", neighbours),)))
        self.columns.append(Column("rules"))
        self.ease: dict[float, object] = {}
        if fits_ease(n_items) and n_items:
            grid = (
                _configured_first(settings.ease_l2, EASE_L2)
                if n_items <= EASE_GRID_ITEMS
                else (settings.ease_l2,)
            )
            n_customers = int(np.max(customers)) + 1
            bought = binary_matrix(customers, items, (n_customers, n_items))
            for l2 in grid:
                self.ease[l2] = sparsify_rows(
                    ease_weights(bought, l2), settings.ease_kept
                )
                self.columns.append(Column("ease", (("ease_l2", l2),)))
        self.factors: dict[tuple[int, float], object] = {}
        if n_items and len(customers):
            grid = (
                _configured_first((settings.als_factors, settings.als_alpha), ALS_GRID)
                if len(customers) <= ALS_GRID_LINES
                else ((settings.als_factors, settings.als_alpha),)
            )
            n_customers = int(np.max(customers)) + 1
            bought = binary_matrix(customers, items, (n_customers, n_items))
            for factors, alpha in grid:
                self.factors[factors, alpha] = fit_factors(bought, factors, alpha=alpha)
                self.columns.append(
                    Column("als", (("als_factors", factors), ("als_alpha", alpha)))
                )
        self.popular = {}
        for recent in (settings.recent_days, 0):
            self.popular[recent] = recent_popularity(
                customers, items, days, n_items, recent
            )
            self.columns.append(Column("popular", (("recent_days", recent),)))
        self.columns.append(Column("again"))

    def scores_many(self, stacked: Stacked, today: int) -> np.ndarray:
        """Columns x customers x items."""
        own = {c.source for c in self.columns} - {"similar", "ease", "als", "popular"}
        base = self.blend.source_scores_many(stacked, today, own)
        rows, cols, n_rows = stacked.rows, stacked.cols, stacked.n_rows
        out = np.zeros(
            (len(self.columns), n_rows, self.blend.n_items_), dtype=np.float32
        )
        recent = self.blend.recent(stacked, today)
        for n, column in enumerate(self.columns):
            value = dict(column.changes)
            if column.source == "similar":
                matrix = self.similar[int(value["neighbours"])]
                out[n] = unit_rows(weighted_rows(recent, matrix))
            elif column.source == "ease":
                raw = weighted_rows(recent, self.ease[value["ease_l2"]])
                out[n] = unit_rows(np.maximum(raw, 0.0))
            elif column.source == "als":
                key = (int(value["als_factors"]), value["als_alpha"])
                raw = self.factors[key].scores_many(rows, cols, n_rows)
                out[n] = unit_rows(np.maximum(raw, 0.0))
            elif column.source == "popular":
                out[n] = self.popular[int(value["recent_days"])]
            else:
                out[n] = base[column.source]
        return out


def build_table(
    fitted: Variants,
    customers: Iterable[tuple[History, np.ndarray]],
    today: int,
    exclude_owned: bool,
    width: int = WIDTH,
) -> Table:
    """Each customer's candidates: the `width` best items of every column."""
    rows = []
    pairs = list(customers)
    batch = batch_size(fitted.blend.n_items_ * len(fitted.columns))
    for start in range(0, len(pairs), batch):
        part = pairs[start : start + batch]
        stacked = Stacked.of([history for history, _ in part])
        scores = fitted.scores_many(stacked, today)
        if exclude_owned:
            scores[:, stacked.rows, stacked.cols] = 0.0
        top = _top_positions(scores, width)
        positive = np.take_along_axis(scores, top, axis=2) > 0
        for n, (_, relevant) in enumerate(part):
            candidates = np.unique(top[:, n][positive[:, n]])
            rows.append(
                (
                    scores[:, n, candidates].T,
                    np.isin(candidates, relevant),
                    len(relevant),
                )
            )
    widest = max((len(r[1]) for r in rows), default=0)
    n_columns = len(fitted.columns)
    values = np.zeros((n_columns, len(rows), widest), dtype=np.float32)
    relevant = np.zeros((len(rows), widest), dtype=bool)
    for n, (part, hits, _) in enumerate(rows):
        values[:, n, : len(hits)] = part.T
        relevant[n, : len(hits)] = hits
    n_relevant = np.array([r[2] for r in rows], dtype=float)
    return Table(tuple(fitted.columns), values, relevant, n_relevant, len(rows))


def evaluate_weights(table: Table, weights: np.ndarray, k: int) -> dict[str, float]:
    """HitRate, Recall and NDCG at k of one weighting over the table's customers.
    Only the columns with a weight are read, and the top k is found by partition
    (ties to the lower candidate, as a stable sort would)."""
    if table.customers == 0 or table.values.shape[2] == 0:
        return {f"hit_rate@{k}": 0.0, f"recall@{k}": 0.0, f"ndcg@{k}": 0.0}
    combined = np.zeros(table.values.shape[1:], dtype=np.float32)
    for column in np.flatnonzero(weights):
        combined += np.float32(weights[column]) * table.values[column]
    order = top_k_rows(combined, k)
    shown = np.take_along_axis(combined, order, axis=1) > 0
    hit = np.take_along_axis(table.relevant, order, axis=1) & shown
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hit @ discounts[: hit.shape[1]]
    ideal = np.cumsum(discounts)[np.minimum(table.n_relevant, k).astype(int) - 1]
    return {
        f"hit_rate@{k}": float(hit.any(axis=1).mean()),
        f"recall@{k}": float((hit.sum(axis=1) / table.n_relevant).mean()),
        f"ndcg@{k}": float((dcg / ideal).mean()),
    }


@dataclass(frozen=True)
class Found:
    weights: np.ndarray  # per column of the table
    scores: dict[str, float]
    tried: int
    started_scores: dict[str, float]


def search(table: Table, start: Mapping[str, float], k: int) -> Found:
    """The best weighting over the table's columns (see the module docstring)."""
    columns = table.columns
    sources = list(dict.fromkeys(c.source for c in columns))
    active = (
        table.values.any(axis=(1, 2))
        if table.customers
        else np.zeros(len(columns), dtype=bool)
    )
    variants = {
        s: [n for n, c in enumerate(columns) if c.source == s and active[n]]
        for s in sources
    }
    sources = [s for s in sources if variants[s]]
    seen: dict[bytes, tuple[tuple[float, float], dict[str, float]]] = {}

    def scored(candidates: list[np.ndarray], pool) -> list:
        """Each weighting's (key, scores), those met before not scored again.
        Scored in threads: the sorting inside releases the GIL."""
        fresh = list({w.tobytes(): w for w in candidates if w.tobytes() not in seen})
        for memo, scores in zip(
            fresh,
            pool.map(lambda m: evaluate_weights(table, np.frombuffer(m), k), fresh),
            strict=True,
        ):
            seen[memo] = (
                (
                    round(scores[f"ndcg@{k}"], 12),
                    round(scores[f"recall@{k}"], 12),
                ),
                scores,
            )
        return [seen[w.tobytes()] for w in candidates]

    def with_source(weights, source, column, value) -> np.ndarray:
        changed = weights.copy()
        changed[variants[source]] = 0.0
        changed[column] = value
        return changed

    best = np.zeros(len(columns))
    for source in sources:  # the starting weighting, each in its configured variant
        best[variants[source][0]] = start.get(source, 0.0)
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        ((best_key, best_scores),) = scored([best], pool)
        started_scores = best_scores
        singles = []
        for n in (n for source in sources for n in variants[source]):
            singles.append(np.zeros(len(columns)))
            singles[-1][n] = 1.0
        for alone, (found, scores) in zip(singles, scored(singles, pool), strict=True):
            if found > best_key:
                best, best_key, best_scores = alone, found, scores
        for _ in range(ROUNDS):
            improved = False
            for source in sources:
                # a source's candidates replace all of its weights, so they do not
                # depend on which of them wins: scored together, then taken in order
                candidates = [
                    weights
                    for column in variants[source]
                    for value in WEIGHTS
                    if (weights := with_source(best, source, column, value)).any()
                    and not np.array_equal(weights, best)
                ]
                for weights, (found, scores) in zip(
                    candidates, scored(candidates, pool), strict=True
                ):
                    if found > best_key:
                        best, best_key, best_scores = weights, found, scores
                        improved = True
            if not improved:
                break
    tried = len(seen)
    return Found(best, best_scores, tried, started_scores)


def _configured_first(configured, grid) -> tuple:
    return (configured,) + tuple(v for v in grid if v != configured)


def _settings(settings: BlendSettings, columns, weights: np.ndarray) -> BlendSettings:
    changes: dict[str, float] = {source: 0.0 for source in SOURCES}
    for column, weight in zip(columns, weights.tolist(), strict=True):
        if weight > 0:
            changes[column.source] = weight
            changes.update(dict(column.changes))
    if "neighbours" in changes:
        changes["neighbours"] = int(changes["neighbours"])
    if "als_factors" in changes:
        changes["als_factors"] = int(changes["als_factors"])
    if "recent_days" in changes:
        changes["recent_days"] = int(changes["recent_days"])
    return replace(settings, **changes)


def _keep_top(matrix, k: int):
    coo = matrix.tocoo()
    keep = top_k_indices(coo.row, coo.col, coo.data, k)
    return sparse.csr_matrix(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape
    )


def _top_positions(scores: np.ndarray, width: int) -> np.ndarray:
    """Along the last axis, the positions of the `width` largest values (in no
    order); all positions when there are no more than `width`."""
    n = scores.shape[-1]
    if n <= width:
        return np.broadcast_to(np.arange(n), scores.shape)
    return np.argpartition(-scores, width - 1, axis=-1)[..., :width]
