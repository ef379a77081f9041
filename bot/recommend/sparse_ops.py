"""Small scipy.sparse helpers shared by the recommenders."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy import sparse

GRAM_BLOCK = 2048  # items per block of X.T @ X: bounds memory on large catalogues


def top_k_indices(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, k: int):
    """Indices of each row's k largest values (ties broken by column)."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((cols, -values, rows))
    ranked = rows[order]
    starts = np.searchsorted(ranked, ranked, side="left")
    return order[(np.arange(len(ranked)) - starts) < k]


def gram_blocks(
    matrix: sparse.csr_matrix, block: int = GRAM_BLOCK
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """`matrix.T @ matrix` (items x items) in blocks of item rows, as (row, col,
    value) triples without the diagonal, so that only one block is ever dense in
    pairs."""
    transposed = matrix.T.tocsr()
    for start in range(0, transposed.shape[0], block):
        product = (transposed[start : start + block] @ matrix).tocoo()
        rows = product.row.astype(np.int64) + start
        off_diagonal = rows != product.col
        yield rows[off_diagonal], product.col[off_diagonal], product.data[off_diagonal]


def binary_matrix(rows: np.ndarray, columns: np.ndarray, shape) -> sparse.csr_matrix:
    """1 where (row, column) occurs at least once."""
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=shape
    )
    matrix.data[:] = 1.0
    return matrix


def unique_rows(*columns: np.ndarray) -> np.ndarray:
    """The distinct rows of non-negative integer columns, sorted, as an n x k array.
    Encoded as one int64 key per row and sorted once: `np.unique(axis=0)` on 19
    million rows takes minutes, this takes seconds."""
    columns = [np.asarray(c, dtype=np.int64) for c in columns]
    if not len(columns[0]):
        return np.zeros((0, len(columns)), dtype=np.int64)
    lows = [int(c.min()) for c in columns]
    spans = [int(c.max()) - low + 1 for c, low in zip(columns, lows, strict=True)]
    if float(np.prod([float(x) for x in spans])) >= 2**62:
        return np.unique(np.column_stack(columns), axis=0)
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, low, span in zip(columns, lows, spans, strict=True):
        key = key * span + (column - low)
    key = np.unique(key)
    out = np.empty((len(key), len(columns)), dtype=np.int64)
    for n in range(len(columns) - 1, -1, -1):
        out[:, n] = key % spans[n] + lows[n]
        key //= spans[n]
    return out
