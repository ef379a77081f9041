"""Small scipy.sparse helpers shared by the recommenders."""

from __future__ import annotations

import numpy as np
from scipy import sparse


def top_k_per_row(matrix: sparse.spmatrix, k: int) -> sparse.csr_matrix:
    """Keep each row's k largest values (ties broken by column), vectorised."""
    coo = sparse.coo_matrix(matrix)
    if coo.nnz == 0:
        return sparse.csr_matrix(coo.shape)
    order = np.lexsort((coo.col, -coo.data, coo.row))
    rows = coo.row[order]
    starts = np.searchsorted(rows, rows, side="left")
    keep = order[(np.arange(len(rows)) - starts) < k]
    return sparse.csr_matrix(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=coo.shape
    )


def binary_matrix(rows: np.ndarray, columns: np.ndarray, shape) -> sparse.csr_matrix:
    """1 where (row, column) occurs at least once."""
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=shape
    )
    matrix.data[:] = 1.0
    return matrix
