"""Choosing each recommender's settings on the shop's own history.

The training period is split in time once more: the last `validation_days` of it
become a validation period, scored exactly like the holdout (what a customer bought
then that she had not bought before). Every contender tries each setting of its
small grid there; the best by NDCG@k, Recall@k breaking ties, wins, and is refitted
on the whole training period. Every baseline gets the same treatment: a grid of a
handful of settings, nothing more. The blend's weights are chosen the same way, on
the same period, by the search of tuning.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.recommend.evaluation import Recommender, Split, evaluate


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
        found = better(
            found, Choice(setting, evaluate(recommend, split, catalogue, k)), k
        )
    if found is None:
        raise ValueError("no candidate to choose from")
    return found


def better(found: Choice | None, candidate: Choice, k: int) -> Choice:
    """`candidate` if it scores strictly higher than `found` (NDCG@k, then
    Recall@k), else `found`: the first of equals stays."""
    if found is None or _key(candidate.scores, k) > _key(found.scores, k):
        return candidate
    return found


def _key(scores: dict[str, float], k: int) -> tuple[float, float]:
    return scores[f"ndcg@{k}"], scores[f"recall@{k}"]
