"""Read a transaction log in the common "Online Retail" layout, cleaned, saying what
was dropped and why.

Columns: InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
CustomerID, Country ("Online Retail II" names Invoice, Price and Customer ID are
accepted too), as CSV or as the published Excel workbook. Real logs hold cancelled
invoices ("C..." with negative quantities), rows without a customer, zero or negative
prices, postage and manual adjustment codes that are not products; those rows are
dropped and counted. What is a cancellation and what is not merchandise are the
deployment's import rules (knowledge/imports.yml), the same the importer applies.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.knowledge.schema import ImportRules, NonMerchandise

DATE_FORMATS = (
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
)
REQUIRED = (
    "InvoiceNo",
    "StockCode",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
)


class LogFormatError(ValueError):
    """The file is not in the Online Retail layout at all."""


@dataclass
class RetailLog:
    """Kept rows as aligned arrays; `dropped` counts rows per reason."""

    invoices: np.ndarray
    customers: np.ndarray
    items: np.ndarray
    days: np.ndarray
    quantity: np.ndarray
    revenue: np.ndarray
    rows_read: int = 0
    dropped: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        reasons = ", ".join(
            f"{reason} {count}" for reason, count in self.dropped.most_common()
        )
        return (
            f"{self.rows_read} rows read, {len(self.items)} kept, "
            f"{sum(self.dropped.values())} dropped ({reasons or 'none'})"
        )


# "Online Retail II" and some exports name three columns differently.
ALIASES = {"Invoice": "InvoiceNo", "Price": "UnitPrice", "Customer ID": "CustomerID"}
EXCEL = (".xlsx", ".xlsm")


def read_online_retail(
    path: Path,
    rules: ImportRules,
    progress: Callable[[int], None] = lambda n: None,
) -> RetailLog:
    """A CSV (UTF-8, any bytes that are not are replaced) or an Excel workbook
    (first sheet), as published; `progress` is told every 10,000 rows."""
    if path.suffix.lower() in EXCEL:
        return _read_excel(path, rules, progress)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        return clean_rows(_records(path, header, reader), rules, progress)


def _read_excel(
    path: Path, rules: ImportRules, progress: Callable[[int], None]
) -> RetailLog:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 (zip, XML or format errors alike)
        raise LogFormatError(
            f"{path}: not a readable Excel workbook ({error})"
        ) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = [str(cell or "") for cell in next(rows, ())]
        return clean_rows(_records(path, header, rows), rules, progress)
    finally:
        workbook.close()


def _records(path: Path, header: list[str], rows: Iterable) -> Iterator[dict]:
    names = [ALIASES.get(name.strip(), name.strip()) for name in header]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise LogFormatError(f"{path}: missing columns {', '.join(missing)}")
    for row in rows:
        yield dict(zip(names, row, strict=False))


def clean_rows(
    rows, rules: ImportRules, progress: Callable[[int], None] = lambda n: None
) -> RetailLog:
    kept: dict[str, list] = {
        k: [] for k in ("invoice", "customer", "item", "day", "qty", "rev")
    }
    dropped: Counter = Counter()
    cancelled = rules.returns.cancelled()
    read = 0
    for row in rows:
        read += 1
        if read % 10_000 == 0:
            progress(10_000)
        reason, values = _check(row, rules.non_merchandise, cancelled)
        if reason:
            dropped[reason] += 1
            continue
        for key, value in zip(kept, values, strict=True):
            kept[key].append(value)
    return RetailLog(
        invoices=np.array(kept["invoice"], dtype=object),
        customers=np.array(kept["customer"], dtype=np.int64),
        items=np.array(kept["item"], dtype=object),
        days=np.array(kept["day"], dtype=np.int64),
        quantity=np.array(kept["qty"], dtype=np.int64),
        revenue=np.array(kept["rev"], dtype=float),
        rows_read=read,
        dropped=dropped,
    )


def _check(
    row: dict[str, Any], aside: NonMerchandise, cancelled: re.Pattern | None
) -> tuple[str | None, tuple]:
    invoice = _text(row.get("InvoiceNo"))
    code = _text(row.get("StockCode")).upper()
    customer = _text(row.get("CustomerID"))
    if cancelled is not None and cancelled.search(invoice):
        return "cancelled invoice", ()
    if not customer:
        return "no customer id", ()
    if aside.reason(code, _text(row.get("Description"))):
        return "not merchandise", ()
    try:
        quantity = int(float(_text(row.get("Quantity"))))
        price = float(_text(row.get("UnitPrice")))
        customer_id = int(float(customer))
    except (TypeError, ValueError):
        return "unreadable number", ()
    if quantity <= 0:
        return "quantity not positive", ()
    if price <= 0:
        return "price not positive", ()
    day = _day(row.get("InvoiceDate"))
    if day is None:
        return "unreadable date", ()
    return None, (invoice, customer_id, code, day, quantity, quantity * price)


def _text(value: Any) -> str:
    """A cell as text: Excel gives numbers (17850.0) and None where CSV gives text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _day(value: Any) -> int | None:
    if isinstance(value, dt.datetime | dt.date):
        return value.toordinal()
    text = _text(value)
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().toordinal()
        except ValueError:
            continue
    return None
