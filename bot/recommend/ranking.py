"""Ranking helpers shared by the recommenders: the k best of a score vector (ties
to the lower index: what a stable full sort would give, without sorting the whole
catalogue; item indices follow the sorted labels, so ties go to the lower label in
every recommender), and BLAS held to one thread while scoring."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits


def single_blas():
    """BLAS on one thread, as a context: scoring customers one by one is many
    small products and solves, which OpenBLAS's threads slow down (an ALS
    fold-in: 0.11 ms on one thread, 1.6 ms on two). Big products that pay for
    threads ask for them themselves (ease.py)."""
    return threadpool_limits(1, "blas")


def top_k(score: np.ndarray, k: int) -> np.ndarray:
    """The k best indices, best first, ties to the lower index: what a stable
    full sort would give, without sorting the whole catalogue."""
    if len(score) <= k:
        return np.argsort(-score, kind="stable")
    kth = -np.partition(-score, k - 1)[k - 1]
    above = np.flatnonzero(score > kth)
    ties = np.flatnonzero(score == kth)[: k - len(above)]
    head = np.concatenate([above, ties])
    return head[np.lexsort((head, -score[head]))]


def top_k_rows(values: np.ndarray, k: int) -> np.ndarray:
    """`top_k` of every row of a matrix: per row, the positions of the k
    largest values, best first, ties to the lower position. Only rows where the
    k-th value is tied beyond the room left pay for breaking the tie."""
    width = values.shape[1]
    if width <= k:
        return np.argsort(-values, axis=1, kind="stable")
    kth = np.partition(values, width - k, axis=1)[:, width - k : width - k + 1]
    chosen = values >= kth
    crowded = chosen.sum(axis=1) > k
    if crowded.any():
        part, bar = values[crowded], kth[crowded]
        above, ties = part > bar, part == bar
        room = k - above.sum(axis=1, keepdims=True)
        chosen[crowded] = above | (ties & (np.cumsum(ties, axis=1) <= room))
    positions = np.nonzero(chosen)[1].reshape(len(values), k)  # ascending per row
    picked = np.take_along_axis(values, positions, axis=1)
    return np.take_along_axis(
        positions, np.argsort(-picked, axis=1, kind="stable"), axis=1
    )
