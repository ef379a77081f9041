"""Shopper personas behind the demo data, so that segments come out meaningful.

Each persona fixes how often a customer buys, over which window, how big her baskets
are and what she picks. `assign_personas` is pure and seeded, so a test can ask which
persona any demo customer was generated from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Persona:
    key: str
    label: str
    share: float
    orders_per_year: float
    min_orders: int
    max_orders: int
    extra_lines: float
    joined_days: tuple[int, int]
    last_order_days: tuple[int, int]
    pick: str
    promo_discount: float


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "loyal_high",
        "忠实高消费",
        0.12,
        10.0,
        6,
        40,
        1.1,
        (400, 1100),
        (1, 30),
        "premium",
        0.0,
    ),
    Persona(
        "regular", "普通常客", 0.10, 3.5, 3, 12, 0.6, (300, 1100), (10, 90), "any", 0.1
    ),
    Persona("new", "新客", 0.12, 0.0, 1, 2, 0.5, (1, 60), (1, 60), "any", 0.1),
    Persona(
        "lapsed", "流失老客", 0.15, 4.0, 3, 10, 0.6, (500, 1100), (240, 500), "any", 0.1
    ),
    Persona(
        "discount",
        "促销敏感",
        0.18,
        4.5,
        3,
        14,
        0.6,
        (200, 1100),
        (5, 120),
        "promo",
        0.25,
    ),
    Persona(
        "new_arrival",
        "新品爱好者",
        0.13,
        5.0,
        3,
        16,
        0.6,
        (200, 1100),
        (3, 60),
        "new",
        0.0,
    ),
    Persona(
        "one_off",
        "一次性顾客",
        0.20,
        0.0,
        1,
        1,
        0.4,
        (120, 1100),
        (120, 700),
        "any",
        0.1,
    ),
)

BY_KEY = {persona.key: persona for persona in PERSONAS}


def assign_personas(count: int, seed: int) -> np.ndarray:
    """Persona index per customer (0-based customer order), deterministic in seed."""
    rng = np.random.default_rng([seed, 7])
    shares = np.array([persona.share for persona in PERSONAS])
    assigned = rng.choice(len(PERSONAS), size=count, p=shares / shares.sum())
    if count:
        assigned[0] = 0
    if count > 1:
        assigned[1] = 1
    return assigned
