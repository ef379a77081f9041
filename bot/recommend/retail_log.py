"""Read a transaction log in the common "Online Retail" layout, cleaned, saying what
was dropped and why.

Columns: InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
CustomerID, Country. Real logs hold cancelled invoices ("C..." with negative
quantities), rows without a customer, zero or negative prices, postage and manual
adjustment codes that are not products; those rows are dropped and counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Product codes in these logs start with five digits (85123A, 22423); POST, DOT, M,
# BANK CHARGES, AMAZONFEE, gift vouchers and the like do not.
PRODUCT_CODE = re.compile(r"^\d{5}")
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


def read_online_retail(path: Path) -> RetailLog:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
        if missing:
            raise LogFormatError(f"{path}: missing columns {', '.join(missing)}")
        return clean_rows(reader)


def clean_rows(rows) -> RetailLog:
    kept: dict[str, list] = {
        k: [] for k in ("invoice", "customer", "item", "day", "qty", "rev")
    }
    dropped: Counter = Counter()
    read = 0
    for row in rows:
        read += 1
        reason, values = _check(row)
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


def _check(row: dict[str, str]) -> tuple[str | None, tuple]:
    invoice = (row.get("InvoiceNo") or "").strip()
    code = (row.get("StockCode") or "").strip().upper()
    customer = (row.get("CustomerID") or "").strip()
    if invoice.upper().startswith("C"):
        return "cancelled invoice", ()
    if not customer:
        return "no customer id", ()
    if not PRODUCT_CODE.match(code):
        return "not a product code", ()
    try:
        quantity = int(float(row["Quantity"]))
        price = float(row["UnitPrice"])
        customer_id = int(float(customer))
    except (TypeError, ValueError):
        return "unreadable number", ()
    if quantity <= 0:
        return "quantity not positive", ()
    if price <= 0:
        return "price not positive", ()
    day = _day(row.get("InvoiceDate") or "")
    if day is None:
        return "unreadable date", ()
    return None, (invoice, customer_id, code, day, quantity, quantity * price)


def _day(text: str) -> int | None:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().toordinal()
        except ValueError:
            continue
    return None
