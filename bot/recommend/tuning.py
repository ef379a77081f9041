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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse

from bot.recommend.als import fit_factors
from bot.recommend.blend import (
    SOURCES,
    BlendedRecommender,
    BlendSettings,
    History,
    recent_popularity,
)
from bot.recommend.ease import ease_weights, fits_ease, sparsify_rows
from bot.recommend.sparse_ops import binary_matrix, top_k_indices, unique_rows

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
    customers, items, days = map(np.asarray, (customers, items, days))
    if not len(days):
        return None
    cutoff = int(days.max()) - validation_days + 1
    inner = days < cutoff
    wanted = validation_targets(customers, items, days, inner, view)
    if not wanted:
        return None
    chosen = sample_customers(wanted, max_customers, seed)
    progress("fit")
    if max_lines is not None and inner.sum() > max_lines:
        inner &= np.isin(customers, _sample(customers[inner], chosen, max_lines, seed))
    fitted = Variants(
        customers[inner], items[inner], days[inner], baskets[inner], n_items, settings
    )
    progress("score")
    mine = np.isin(customers, chosen) & inner
    history = histories(customers[mine], items[mine], days[mine])
    table = build_table(
        fitted,
        ((history.get(c, History.empty()), wanted[c]) for c in chosen),
        cutoff - 1,
        exclude_owned=view == "new",
    )
    start = {s: settings.weight(s) for s in SOURCES}
    found = search(table, start, k)
    return Learned(
        _settings(settings, table.columns, found.weights),
        found.scores,
        len(chosen),
        found.tried,
        start,
        found.started_scores,
    )


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

    def scores(self, history: History, today: int) -> np.ndarray:
        """Columns x items for one customer."""
        base = self.blend.source_scores(
            history.owned, history.last_days, today, history.first_days, history.times
        )
        out = np.zeros((len(self.columns), self.blend.n_items_), dtype=np.float32)
        weight = self.blend.recency_weights(history.last_days, today)
        for n, column in enumerate(self.columns):
            value = dict(column.changes)
            if column.source == "similar":
                if len(history.owned):
                    matrix = self.similar[int(value["neighbours"])]
                    out[n] = _unit(np.asarray(matrix[history.owned].T @ weight).ravel())
            elif column.source == "ease":
                if len(history.owned):
                    matrix = self.ease[value["ease_l2"]]
                    raw = np.asarray(matrix[history.owned].T @ weight).ravel()
                    out[n] = _unit(np.maximum(raw, 0.0))
            elif column.source == "als":
                key = (int(value["als_factors"]), value["als_alpha"])
                raw = self.factors[key].scores(history.owned)
                out[n] = _unit(np.maximum(raw, 0.0))
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
    for history, relevant in customers:
        scores = fitted.scores(history, today)
        if exclude_owned and len(history.owned):
            scores[:, history.owned] = 0.0
        picks = [_top_positive(column, width) for column in scores if column.any()]
        candidates = np.unique(np.concatenate(picks)) if picks else np.zeros(0, int)
        rows.append(
            (scores[:, candidates].T, np.isin(candidates, relevant), len(relevant))
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
    order = _top_k_rows(combined, k)
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


def _top_k_rows(values: np.ndarray, k: int) -> np.ndarray:
    """Per row, the positions of the k largest values, best first, ties to the
    lower position: a stable sort's first k, found by partition."""
    width = values.shape[1]
    if width <= k:
        return np.argsort(-values, axis=1, kind="stable")
    kth = -np.partition(-values, k - 1, axis=1)[:, k - 1 : k]
    above = values > kth
    ties = values == kth
    room = k - above.sum(axis=1, keepdims=True)
    chosen = above | (ties & (np.cumsum(ties, axis=1) <= room))
    positions = np.nonzero(chosen)[1].reshape(len(values), k)  # ascending per row
    picked = np.take_along_axis(values, positions, axis=1)
    return np.take_along_axis(
        positions, np.argsort(-picked, axis=1, kind="stable"), axis=1
    )


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
    tried = 0

    def key(weights: np.ndarray) -> tuple[tuple[float, float], dict[str, float]]:
        nonlocal tried
        tried += 1
        scores = evaluate_weights(table, weights, k)
        return (
            round(scores[f"ndcg@{k}"], 12),
            round(scores[f"recall@{k}"], 12),
        ), scores

    def with_source(weights, source, column, value) -> np.ndarray:
        changed = weights.copy()
        changed[variants[source]] = 0.0
        changed[column] = value
        return changed

    best = np.zeros(len(columns))
    for source in sources:  # the starting weighting, each in its configured variant
        best[variants[source][0]] = start.get(source, 0.0)
    best_key, best_scores = key(best)
    started_scores = best_scores
    for n in (n for source in sources for n in variants[source]):
        alone = np.zeros(len(columns))
        alone[n] = 1.0
        found, scores = key(alone)
        if found > best_key:
            best, best_key, best_scores = alone, found, scores
    for _ in range(ROUNDS):
        improved = False
        for source in sources:
            for column in variants[source]:
                for value in WEIGHTS:
                    weights = with_source(best, source, column, value)
                    if not weights.any() or np.array_equal(weights, best):
                        continue
                    found, scores = key(weights)
                    if found > best_key:
                        best, best_key, best_scores = weights, found, scores
                        improved = True
        if not improved:
            break
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


def _top_positive(values: np.ndarray, width: int) -> np.ndarray:
    positive = np.flatnonzero(values > 0)
    if len(positive) <= width:
        return positive
    return positive[np.argpartition(-values[positive], width - 1)[:width]]


def _unit(values: np.ndarray) -> np.ndarray:
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else values
