"""Choosing each recommender's settings on the shop's own history.

The training period is split in time once more: the last `validation_days` of it
become a validation period, scored exactly like the holdout (what a customer bought
then that she had not bought before). Every contender tries each setting of its
small grid there; the best by NDCG@k, Recall@k breaking ties, wins, and is refitted
on the whole training period. Every contender gets the same treatment: a grid of a
handful of settings, nothing more.

For the blend the grid is over its three weights, the components alone included
(only similar items, only rules, only popularity): its per-source scores are
computed once per validation customer and recombined for each weighting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import product

import numpy as np

from bot.recommend.blend import BlendedRecommender, BlendSettings
from bot.recommend.evaluation import Recommender, Split, evaluate

WEIGHTS = (0.0, 0.5, 1.0)
POPULAR = (0.05, 0.3, 1.0)


@dataclass(frozen=True)
class Choice:
    setting: object
    scores: dict[str, float]  # on the validation period


def best(
    candidates: Iterable[tuple[object, Recommender]],
    split: Split,
    catalogue: int,
    k: int,
) -> Choice:
    """The candidate with the highest NDCG@k on `split`, then Recall@k; the first
    of equals (grids list the simpler or default setting first)."""
    found: Choice | None = None
    for setting, recommend in candidates:
        scores = evaluate(recommend, split, catalogue, k)
        key = (scores[f"ndcg@{k}"], scores[f"recall@{k}"])
        if found is None or key > (
            found.scores[f"ndcg@{k}"],
            found.scores[f"recall@{k}"],
        ):
            found = Choice(setting, scores)
    if found is None:
        raise ValueError("no candidate to choose from")
    return found


def blend_grid(base: BlendSettings) -> list[BlendSettings]:
    """The default weighting first, then every weighting of the grid."""
    grid = [base]
    for similar, rules, popular in product(WEIGHTS, WEIGHTS, POPULAR):
        setting = replace(base, similar=similar, rules=rules, popular=popular)
        if setting not in grid:
            grid.append(setting)
    return grid


def blend_candidates(
    model: BlendedRecommender,
    grid: Sequence[BlendSettings],
    history: Callable[[int], tuple[np.ndarray, np.ndarray]],
    labels: np.ndarray,
    customers: Iterable[int],
    today: int,
    k: int = 10,
) -> Iterable[tuple[BlendSettings, Recommender]]:
    """One recommender per weighting. Each customer's source scores are computed
    once and every weighting's top `k` taken from them at once, so only the short
    lists are kept (memory does not grow with the catalogue)."""
    tops: dict[int, list[list[str]]] = {}
    for customer in customers:
        tops[customer] = _tops(model, grid, history(customer), labels, today, k)

    def ranked(n: int) -> Recommender:
        def top(customer: int, want: int) -> list[str]:
            if customer not in tops:
                tops[customer] = _tops(
                    model, grid, history(customer), labels, today, max(k, want)
                )
            return tops[customer][n][:want]

        return top

    for n, setting in enumerate(grid):
        yield setting, ranked(n)


def _tops(model, grid, bought, labels, today: int, k: int) -> list[list[str]]:
    owned, days = bought
    scores = model.source_scores(owned, days, today)
    found = []
    for setting in grid:
        score = (
            setting.similar * scores["similar"]
            + setting.rules * scores["rules"]
            + setting.popular * scores["popular"]
        )
        score[owned] = -np.inf
        found.append([labels[i] for i in _top_k(score, k) if score[i] > 0])
    return found


def _top_k(score: np.ndarray, k: int) -> np.ndarray:
    """The k best indices, best first, ties to the lower index: what a stable
    full sort would give, without sorting the whole catalogue."""
    if len(score) <= k:
        return np.argsort(-score, kind="stable")
    kth = -np.partition(-score, k - 1)[k - 1]
    above = np.flatnonzero(score > kth)
    ties = np.flatnonzero(score == kth)[: k - len(above)]
    head = np.concatenate([above, ties])
    return head[np.lexsort((head, -score[head]))]
