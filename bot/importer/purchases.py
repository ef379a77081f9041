"""Read who bought on which day from a transaction file, for checks of the CLV model.

Two layouts: the whitespace-separated CDNOW layout of Fader and Hardie (customer id,
sample id, YYYYMMDD, units, amount) and any CSV with a header naming a customer and
a date column (salesbot's own export, the "Online Retail" layout, ...). Returns and
rows without a customer or with an unreadable date are left out and counted.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

CUSTOMER_COLUMNS = ("member_no", "customer_id", "customerid", "customer id", "phone")
DATE_COLUMNS = ("ordered_at", "invoicedate", "date", "order_date", "ordered_on")
QUANTITY_COLUMNS = ("quantity", "qty")
DATE_FORMATS = (
    "%Y%m%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
)


class PurchaseFileError(ValueError):
    """The file has no customer or no date column, or cannot be read."""


@dataclass
class Purchases:
    customers: list[str] = field(default_factory=list)
    days: list[int] = field(default_factory=list)  # date.toordinal()
    dropped: Counter = field(default_factory=Counter)


def read_purchases(path: Path) -> Purchases:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            handle.seek(0)
            if "," in first:
                return _from_csv(csv.DictReader(handle), path)
            return _from_columns(handle)
    except FileNotFoundError as exc:
        raise PurchaseFileError(f"{path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise PurchaseFileError(f"{path}: not UTF-8 text") from exc


def _from_columns(lines) -> Purchases:
    found = Purchases()
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        day = _day(parts[2]) if len(parts) >= 3 else None
        if day is None:
            found.dropped["bad_date"] += 1
            continue
        found.customers.append(parts[0])
        found.days.append(day)
    return found


def _from_csv(reader: csv.DictReader, path: Path) -> Purchases:
    names = {(n or "").strip().lower(): n for n in reader.fieldnames or ()}
    customer = next((names[c] for c in CUSTOMER_COLUMNS if c in names), None)
    date = next((names[c] for c in DATE_COLUMNS if c in names), None)
    quantity = next((names[c] for c in QUANTITY_COLUMNS if c in names), None)
    if customer is None or date is None:
        raise PurchaseFileError(
            f"{path}: needs a customer column ({', '.join(CUSTOMER_COLUMNS)}) and a "
            f"date column ({', '.join(DATE_COLUMNS)})"
        )
    found = Purchases()
    for row in reader:
        who = (row.get(customer) or "").strip()
        if not who:
            found.dropped["no_customer"] += 1
            continue
        if quantity and (row.get(quantity) or "").strip().startswith("-"):
            found.dropped["return"] += 1
            continue
        day = _day((row.get(date) or "").strip())
        if day is None:
            found.dropped["bad_date"] += 1
            continue
        found.customers.append(who)
        found.days.append(day)
    return found


def _day(text: str) -> int | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).toordinal()
        except ValueError:
            continue
    return None
