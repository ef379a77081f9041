"""A synthetic transaction log in the "Online Retail" layout, messy like a real one.

For tests and benchmarks of the recommender evaluation when no real log is at hand.
It is built to be hard in the ways real logs are, not to flatter any recommender:
Zipf-distributed item popularity and customer activity, tastes spread over a few
themes with a share of off-theme buys, items launched and retired during the year,
reorders of what a customer already has, a few huge wholesale baskets, and the noise
the reader must drop (cancellations, rows without a customer, postage codes, zero
prices). Numbers measured on it say nothing about a real shop; the evaluation is
meant to be run on real logs.

`KINDS` holds three shapes of clearly different shops, for checking that the
recommender's choice of weights adapts to each: fashion (small baskets, almost no
repeat purchases, a collection that turns over), wholesale gifts (big baskets of
many lines, frequent reorders) and grocery (weekly visits, most of a basket bought
before, a steep bestseller curve and a catalogue larger than EASE can hold).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
NOISE_CODES = ("POST", "DOT", "M", "BANK CHARGES", "AMAZONFEE")


@dataclass(frozen=True)
class LogShape:
    customers: int = 3000
    items: int = 2500
    themes: int = 40
    days: int = 365
    start: dt.date = dt.date(2010, 12, 1)
    off_theme_share: float = 0.25
    reorder_share: float = 0.3
    basket_log_mean: float = 1.8  # basket size ~ lognormal(mean, sigma) + 1
    basket_log_sigma: float = 0.9
    visit_scale: float = 2.0  # visits ~ 1 + pareto(1.5) x scale
    max_visits: int = 200
    popularity_exponent: float = 0.9  # Zipf
    launched_share: float = 0.3  # items launched during the year
    retired_share: float = 0.2


DEFAULT_SHAPE = LogShape()
KINDS = {
    "fashion": LogShape(
        customers=5000,
        items=3000,
        themes=60,
        off_theme_share=0.2,
        reorder_share=0.02,
        basket_log_mean=0.7,
        basket_log_sigma=0.6,
        visit_scale=2.5,
        launched_share=0.5,
        retired_share=0.5,
    ),
    "wholesale": LogShape(
        customers=1500,
        items=3000,
        themes=40,
        reorder_share=0.4,
        basket_log_mean=2.8,
        basket_log_sigma=0.7,
        visit_scale=3.0,
    ),
    "grocery": LogShape(
        customers=1500,
        items=60000,
        themes=20,
        off_theme_share=0.3,
        reorder_share=0.65,
        basket_log_mean=2.0,
        basket_log_sigma=0.5,
        visit_scale=10.0,
        max_visits=60,
        popularity_exponent=0.8,
        launched_share=0.1,
        retired_share=0.05,
    ),
}


def write_online_retail(
    path: Path, shape: LogShape = DEFAULT_SHAPE, seed: int = 0
) -> int:
    """Write the log to `path`; returns the number of data rows written."""
    rng = np.random.default_rng(seed)
    rows = list(_rows(rng, shape))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return len(rows)


def synthetic_rows(shape: LogShape = DEFAULT_SHAPE, seed: int = 0):
    """The rows `write_online_retail` writes, as dicts by column name (for
    `clean_rows`, without a file)."""
    rng = np.random.default_rng(seed)
    for row in _rows(rng, shape):
        yield dict(zip(HEADER, row, strict=True))


def _rows(rng: np.random.Generator, shape: LogShape):
    n_items = shape.items
    theme_of = rng.integers(0, shape.themes, n_items)
    popularity = 1.0 / np.arange(1, n_items + 1) ** shape.popularity_exponent
    rng.shuffle(popularity)
    launch = np.where(
        rng.random(n_items) < shape.launched_share,
        rng.integers(0, shape.days, n_items),
        0,
    )
    retire = np.where(
        rng.random(n_items) < shape.retired_share,
        launch + rng.integers(60, shape.days + 60, n_items),
        shape.days + 1,
    )
    price = np.round(rng.lognormal(1.0, 0.8, n_items), 2) + 0.1
    codes = [f"{20000 + i:05d}{'A' if i % 7 == 0 else ''}" for i in range(n_items)]
    invoice = 536365
    for customer in range(shape.customers):
        customer_id = 12346 + customer
        tastes = rng.choice(shape.themes, size=rng.integers(1, 4), replace=False)
        visits = min(shape.max_visits, 1 + int(rng.pareto(1.5) * shape.visit_scale))
        days = np.sort(rng.integers(0, shape.days, visits))
        owned: list[int] = []
        for day in days.tolist():
            invoice += 1
            live = (launch <= day) & (retire > day)
            basket = _basket(rng, shape, tastes, theme_of, popularity * live, owned)
            owned.extend(basket)
            timestamp = dt.datetime.combine(
                shape.start + dt.timedelta(days=day), dt.time(8 + day % 10, 26)
            )
            shown = None if rng.random() < 0.1 else customer_id
            for item in basket:
                quantity = int(rng.choice([1, 2, 3, 6, 12, 24]))
                yield _row(
                    invoice, codes[item], quantity, timestamp, price[item], shown
                )
                yield from _noise(
                    rng, invoice, codes[item], timestamp, price[item], shown
                )
            yield _row(invoice, "POST", 1, timestamp, 18.0, shown)
            if rng.random() < 0.25:
                yield _row(invoice, "DOT", 1, timestamp, 0.0, shown)


def _basket(rng, shape, tastes, theme_of, weights, owned) -> list[int]:
    size = int(min(300, rng.lognormal(shape.basket_log_mean, shape.basket_log_sigma)))
    size += 1
    reorders = rng.binomial(size, shape.reorder_share) if owned else 0
    off_theme = rng.binomial(size - reorders, shape.off_theme_share)
    on_theme = size - reorders - off_theme
    picks = set(rng.choice(owned, reorders).tolist()) if reorders else set()
    for pool, count in (
        (weights * np.isin(theme_of, tastes), on_theme),
        (weights, off_theme),
    ):
        cumulative = np.cumsum(pool)
        if count and cumulative[-1] > 0:
            draws = rng.random(count) * cumulative[-1]
            picks.update(np.searchsorted(cumulative, draws, side="right").tolist())
    return sorted(picks)


def _noise(rng, invoice, code, timestamp, price, customer_id):
    draw = rng.random()
    if draw < 0.02:
        yield _row(f"C{invoice}", code, -1, timestamp, price, customer_id)
    elif draw < 0.04:
        yield _row(invoice, code, 1, timestamp, 0.0, customer_id)


def _row(invoice, code, quantity, timestamp, price, customer_id=None):
    customer = "" if customer_id is None else str(customer_id)
    return [
        invoice,
        code,
        f"ITEM {code}",
        quantity,
        _date(timestamp),
        f"{price:.2f}",
        customer,
        "United Kingdom",
    ]


def _date(timestamp: dt.datetime) -> str:
    return f"{timestamp.month}/{timestamp.day}/{timestamp.year} {timestamp:%H:%M}"
