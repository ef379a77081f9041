"""Segment migration between two snapshots: a text table and a heatmap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.reports.fonts import use_cjk_font


def matrix(pairs: Sequence[tuple[str, str, int]], order: Sequence[str]) -> np.ndarray:
    """Counts: rows = segment before, columns = segment after, in `order`."""
    index = {key: i for i, key in enumerate(order)}
    counts = np.zeros((len(order), len(order)), dtype=int)
    for before, after, n in pairs:
        if before in index and after in index:
            counts[index[before], index[after]] += n
    return counts


def migration_table(pairs, order: Sequence[str], start: dt.date, end: dt.date) -> str:
    counts = matrix(pairs, order)
    used = [i for i in range(len(order)) if counts[i].sum() or counts[:, i].sum()]
    width = max(len(order[i]) for i in used) if used else 10
    lines = [f"segment migration {start} -> {end} (rows: before, columns: after)"]
    lines.append(" " * (width + 1) + " ".join(f"{order[i][:8]:>8}" for i in used))
    for i in used:
        cells = " ".join(f"{counts[i, j]:>8}" for j in used)
        lines.append(f"{order[i]:<{width}} {cells}")
    moved = int(counts.sum() - np.trace(counts))
    lines.append(f"{moved} of {int(counts.sum())} customers changed segment")
    return "\n".join(lines)


def save_migration_chart(
    pairs, order: Sequence[str], start: dt.date, end: dt.date, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_cjk_font(plt)
    counts = matrix(pairs, order)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(9, 7.5))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(order)), labels=order, rotation=45, ha="right")
    ax.set_yticks(
        range(len(order)),
        labels=[f"{k} ({counts[i].sum()})" for i, k in enumerate(order)],
    )
    for i in range(len(order)):
        for j in range(len(order)):
            if counts[i, j]:
                color = "white" if shares[i, j] > 0.5 else "black"
                ax.text(
                    j,
                    i,
                    counts[i, j],
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=color,
                )
    ax.set_xlabel(f"{end} 的客群")
    ax.set_ylabel(f"{start} 的客群（顾客数）")
    ax.set_title(f"客群迁移 {start} → {end}（每行的占比）")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
