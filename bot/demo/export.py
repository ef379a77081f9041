"""A retailer's export as real ones come: salesbot's import layout, messy like life.

customers.csv, products.csv and transactions.csv of a wholesale gift shop that sells
in pounds and whose history ended long before today. It holds what the importer must
take as it is: cancellation invoices ("C" numbers, negative quantities) and negative
lines, invoices whose lines are stamped a minute apart, postage, bank charges, fees,
manual adjustments and gift vouchers, lines without a customer, no line numbers, a
few huge wholesale orders cancelled in full, and customers silent for most of a year.
Written as it is generated, so an export of millions of lines needs no memory.

`ExportFacts` names the customers each rule is about, so tests can check them.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.importer.rows import CUSTOMER_COLUMNS, TRANSACTION_COLUMNS

CATEGORIES = (
    ("Home", "Candles"),
    ("Home", "Storage"),
    ("Kitchen", "Mugs"),
    ("Kitchen", "Baking"),
    ("Gifts", "Cards"),
    ("Gifts", "Wrapping"),
    ("Garden", "Lights"),
    ("Toys", "Games"),
)
WORDS = ("VINTAGE", "HEART", "REGENCY", "RED", "WHITE", "SPOTTY", "RETRO", "JUMBO")
FEES = (
    ("POST", "POSTAGE", 18.0),
    ("DOT", "DOTCOM POSTAGE", 9.5),
    ("BANK CHARGES", "Bank Charges", 15.0),
    ("AMAZONFEE", "AMAZON FEE", 4.2),
    ("M", "Manual", 2.5),
    ("gift_0001_20", "Dotcomgiftshop Gift Voucher £20.00", 20.0),
)
FIRST_NAMES = ("Emma", "Oliver", "Amelia", "Harry", "Isla", "Jack", "Ava", "Noah")
LAST_NAMES = ("Clarke", "Patel", "Murphy", "Evans", "Walsh", "Hughes", "Reid", "Kaur")
CUSTOMER_HEADER = CUSTOMER_COLUMNS
PRODUCT_HEADER = ("sku", "name", "category", "subcategory", "brand", "price", "stock")
# as real exports: no line numbers, no link from a cancellation to its sale
LINE_HEADER = tuple(
    c for c in TRANSACTION_COLUMNS if c not in ("line_no", "original_order_no")
)


@dataclass(frozen=True)
class ExportShape:
    customers: int = 1500
    products: int = 800
    end: dt.date = dt.date(2011, 12, 9)  # the data ends here, long before today
    days: int = 365
    visits: float = 6.0  # mean invoices per regular customer
    cancel_share: float = 0.06  # invoices partly cancelled later
    no_customer_share: float = 0.03  # lines exported without a customer
    wholesale_cancellers: int = 3
    silent: int = 20  # bought early in the year, then nothing for 9+ months


@dataclass
class ExportFacts:
    lines: int = 0
    sale_lines: int = 0
    return_lines: int = 0
    fee_lines: int = 0
    anonymous_lines: int = 0
    minute_apart_lines: int = 0
    wholesale_cancellers: list[str] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)
    first_day: dt.date | None = None
    last_day: dt.date | None = None


def write_export(directory: Path, shape: ExportShape, seed: int = 0) -> ExportFacts:
    """Write the three files into `directory`; what they hold, counted."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    prices = np.round(rng.lognormal(1.0, 0.7, shape.products), 2) + 0.25
    codes = [
        f"{20000 + i:05d}{'A' if i % 9 == 0 else ''}" for i in range(shape.products)
    ]
    _write_products(directory / "products.csv", rng, codes, prices)
    members = [f"M{70000000 + i}" for i in range(shape.customers)]
    facts = ExportFacts(
        wholesale_cancellers=members[: shape.wholesale_cancellers],
        silent=members[
            shape.wholesale_cancellers : shape.wholesale_cancellers + shape.silent
        ],
    )
    start = shape.end - dt.timedelta(days=shape.days - 1)
    _write_customers(directory / "customers.csv", rng, members, start)
    with (directory / "transactions.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(LINE_HEADER)
        lines = _Lines(writer, facts)
        invoice = 536365
        for index, member in enumerate(members):
            for day, kind in _visits(rng, shape, index):
                invoice += 1
                when = dt.datetime.combine(
                    start + dt.timedelta(days=int(day)),
                    dt.time(8 + int(rng.integers(0, 10)), int(rng.integers(0, 59))),
                )
                basket = _basket(rng, shape.products, kind)
                lines.invoice(rng, str(invoice), when, member, basket, codes, prices)
                if kind == "wholesale":
                    later = when + dt.timedelta(days=2, hours=1)
                    lines.cancel(f"C{invoice}", later, member, basket, codes, prices)
                elif rng.random() < shape.cancel_share:
                    part = basket[: max(1, len(basket) // 3)]
                    later = when + dt.timedelta(days=int(rng.integers(1, 20)))
                    if later.date() <= shape.end:
                        lines.cancel(f"C{invoice}", later, member, part, codes, prices)
            if rng.random() < shape.no_customer_share * 10:
                invoice += 1
                when = dt.datetime.combine(shape.end, dt.time(12))
                lines.anonymous(str(invoice), when, codes, prices, rng)
    facts.first_day, facts.last_day = start, shape.end
    return facts


class _Lines:
    def __init__(self, writer, facts: ExportFacts) -> None:
        self._writer = writer
        self._facts = facts

    def _row(self, order_no, when, member, sku, quantity, price) -> None:
        self._writer.writerow(
            (
                order_no,
                when.strftime("%Y-%m-%d %H:%M"),
                member,
                "",
                "",
                sku,
                quantity,
                f"{price:.2f}",
                "",
                "online",
            )
        )
        self._facts.lines += 1

    def invoice(self, rng, order_no, when, member, basket, codes, prices) -> None:
        """Lines of one invoice; a long one is rung up over more than a minute."""
        for n, (item, quantity) in enumerate(basket):
            stamp = when + dt.timedelta(minutes=n // 12)
            if stamp != when:
                self._facts.minute_apart_lines += 1
            self._row(order_no, stamp, member, codes[item], quantity, prices[item])
            self._facts.sale_lines += 1
        if rng.random() < 0.6:
            sku, _, price = FEES[int(rng.integers(0, len(FEES)))]
            self._row(order_no, when, member, sku, 1, price)
            self._facts.fee_lines += 1

    def cancel(self, order_no, when, member, basket, codes, prices) -> None:
        for item, quantity in basket:
            self._row(order_no, when, member, codes[item], -quantity, prices[item])
            self._facts.return_lines += 1

    def anonymous(self, order_no, when, codes, prices, rng) -> None:
        for _ in range(int(rng.integers(1, 6))):
            item = int(rng.integers(0, len(codes)))
            self._row(order_no, when, "", codes[item], 1, prices[item])
            self._facts.anonymous_lines += 1


def _visits(rng, shape: ExportShape, index: int) -> list[tuple[int, str]]:
    """(day, kind) of her invoices: the first customers are wholesale cancellers
    (one small order, one huge one cancelled in full), then the silent ones."""
    if index < shape.wholesale_cancellers:
        return [(30, "small"), (60 + index, "wholesale")]
    if index < shape.wholesale_cancellers + shape.silent:
        first = int(rng.integers(0, 40))
        return [(first, "small"), (first + int(rng.integers(10, 40)), "small")]
    count = 1 + int(rng.poisson(shape.visits - 1))
    days = np.sort(rng.integers(0, shape.days, count))
    return [(int(day), "small") for day in days]


def _basket(rng, products: int, kind: str) -> list[tuple[int, int]]:
    size = 40 if kind == "wholesale" else 1 + int(min(60, rng.lognormal(2.0, 0.8)))
    items = rng.choice(products, size=min(size, products), replace=False)
    if kind == "wholesale":
        return [(int(item), 480) for item in items]
    return [(int(item), int(rng.choice([1, 2, 3, 6, 12, 24]))) for item in items]


def _write_products(path: Path, rng, codes: list[str], prices) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PRODUCT_HEADER)
        for n, (code, price) in enumerate(zip(codes, prices, strict=True)):
            category, sub = CATEGORIES[n % len(CATEGORIES)]
            words = rng.choice(WORDS, size=2, replace=False)
            name = f"{words[0]} {words[1]} {sub.upper().rstrip('S')}"
            writer.writerow((code, name, category, sub, "Own", f"{price:.2f}", 10))
        for sku, name, price in FEES:
            writer.writerow((sku, name, "Other", "Other", "-", f"{price:.2f}", 0))


def _write_customers(path: Path, rng, members: list[str], start: dt.date) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CUSTOMER_HEADER)
        for member in members:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            writer.writerow((member, name, "", "", "", "", start.isoformat(), 0, ""))


def pounds_knowledge(source: Path, target: Path) -> None:
    """A copy of the knowledge folder for this shop: currency and levels in pounds."""
    import shutil

    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    (target / "currency.yml").write_text(
        "code: GBP\nsymbol: £\nminor_units: 2\n", encoding="utf-8"
    )
    levels = (
        ("普通会员", 0),
        ("银卡会员", 500),
        ("金卡会员", 2000),
        ("钻石会员", 5000),
    )
    (target / "membership.yml").write_text(
        "currency: GBP\nlevels:\n"
        + "".join(f"  - {{name: {n}, min_spend: {m}}}\n" for n, m in levels),
        encoding="utf-8",
    )
