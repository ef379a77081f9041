"""A first value label from RFM quintiles over the customer base.

The scale (quintile cut points) is computed once over all buyers and then used to
score one customer; the full segmentation engine (named RFM segments, CLV, lifecycle)
builds on the same inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

QUINTILES = (20, 40, 60, 80)


@dataclass(frozen=True)
class RfmScale:
    recency_cuts: tuple[float, ...]
    frequency_cuts: tuple[float, ...]
    monetary_cuts: tuple[float, ...]
    buyers: int


@dataclass(frozen=True)
class RfmScore:
    r: int
    f: int
    m: int

    @property
    def total(self) -> int:
        return self.r + self.f + self.m


def build_scale(
    recency_days: Sequence[int], frequency: Sequence[int], monetary: Sequence[int]
) -> RfmScale:
    """Quintile cut points of each measure over the buyers given."""
    if not len(recency_days):
        return RfmScale((), (), (), 0)
    return RfmScale(
        recency_cuts=_cuts(recency_days),
        frequency_cuts=_cuts(frequency),
        monetary_cuts=_cuts(monetary),
        buyers=len(recency_days),
    )


def _cuts(values: Sequence[int]) -> tuple[float, ...]:
    return tuple(float(v) for v in np.percentile(np.asarray(values), QUINTILES))


def score(
    recency_days: int, frequency: int, monetary: int, scale: RfmScale
) -> RfmScore:
    """1-5 per measure; recency is reversed (most recent = 5). Ties score alike."""
    if not scale.buyers:
        return RfmScore(3, 3, 3)
    r = 5 - sum(recency_days > cut for cut in scale.recency_cuts)
    f = 1 + sum(frequency > cut for cut in scale.frequency_cuts)
    m = 1 + sum(monetary > cut for cut in scale.monetary_cuts)
    return RfmScore(r, f, m)
