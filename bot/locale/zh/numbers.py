"""Figures as people read them, rounded once, the same on every screen."""

from __future__ import annotations


def chance(p: float) -> str:
    """A probability or a share in whole percent, never a certainty it is not:
    0.998 -> '约99%', 0.003 -> '不到1%', 0.42 -> '42%'."""
    percent = round(p * 100)
    if p >= 0.99 or percent >= 100:
        return "约99%" if p < 1 else "100%"
    if p < 0.01:
        return "0%" if p <= 0 else "不到1%"
    return f"{max(percent, 1)}%"
