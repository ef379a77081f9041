"""Import customers, products and transactions from a retailer's CSV files.

Invalid rows go to a rejection report (line number, field, reason, original row); the
valid rows are written in one transaction, so a failure leaves the database as it was.
Rows already in the database (same member number, SKU, or order number and line) are
skipped, so importing the same file twice adds nothing the second time.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from tqdm import tqdm

from bot.db import tables as t
from bot.db.bulk import insert_rows, next_id, product_row
from bot.importer.rows import (
    RowError,
    clean,
    parse_customer,
    parse_line,
)
from bot.knowledge.loader import KnowledgeError, parse_catalog_row
from bot.knowledge.schema import NonMerchandise
from bot.timeutil import local_to_utc, utcnow

KINDS = ("customers", "products", "transactions")
# Header fields a line of an invoice may repeat differently (a warning, not a reject).
HEADER_FIELDS = (("时间", "ordered_at"), ("门店", "store_id"), ("渠道", "channel"))
IN_CHUNK = 500


@dataclass(frozen=True)
class Rejection:
    line: int
    field: str
    code: str
    message: str
    row: dict[str, str]


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    inserted: int = 0
    skipped_existing: int = 0
    rolled_back: bool = False
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)  # imported, but noted
    set_aside: Counter = field(default_factory=Counter)  # non-merchandise, by rule

    def reject(self, line: int, error: RowError, row: dict[str, str]) -> None:
        self.rejections.append(
            Rejection(line, error.field, error.code, error.message, row)
        )

    def warn(self, line: int, error: RowError, row: dict[str, str]) -> None:
        self.warnings.append(
            Rejection(line, error.field, error.code, error.message, row)
        )


class ImportFileError(ValueError):
    """The file as a whole cannot be read (missing, wrong encoding, no header)."""


def import_file(
    engine: Engine,
    kind: str,
    path: Path,
    tz: ZoneInfo,
    progress: bool = False,
    strict: bool = False,
    non_merchandise: NonMerchandise | None = None,
) -> ImportReport:
    """Import one file; with `strict`, any rejected row rolls the whole file back.
    Products and lines that `non_merchandise` names (postage, fees, vouchers) are
    set aside and counted, neither imported nor rejected."""
    if kind not in KINDS:
        raise ImportFileError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    rows = list(_read(path))
    report = ImportReport(kind=kind, rows=len(rows))
    handler = {
        "customers": _customers,
        "products": _products,
        "transactions": _transactions,
    }[kind]
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            rules = non_merchandise or NonMerchandise()
            handler(conn, rows, report, tz, _progress(progress, len(rows)), rules)
            if strict and report.rejections:
                transaction.rollback()
                report.rolled_back = True
    except IntegrityError as error:
        raise ImportFileError(
            f"{path}: the database refused the file, nothing was imported "
            f"({error.orig.__class__.__name__}: {error.orig})"
        ) from error
    return report


def _progress(enabled: bool, total: int) -> Callable[[Iterator], Iterator]:
    return lambda items: tqdm(items, total=total, unit="rows", disable=not enabled)


def _read(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise ImportFileError(f"{path}: empty file or no header row")
            yield from enumerate(reader, start=2)
    except FileNotFoundError as exc:
        raise ImportFileError(f"{path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc


def write_report(report: ImportReport, path: Path, which: str = "rejections") -> None:
    """The rejected rows (or, `which="warnings"`, the rows imported with a
    warning) with line numbers and reasons, as CSV for Excel."""
    found = getattr(report, which)
    columns = sorted({key for r in found for key in r.row})
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "field", "code", "reason", *columns])
        for r in found:
            writer.writerow(
                [
                    r.line,
                    r.field,
                    r.code,
                    r.message,
                    *(r.row.get(c, "") for c in columns),
                ]
            )


def _customers(
    conn: Connection, rows, report: ImportReport, tz, progress, rules
) -> None:
    stores = _map(conn, t.stores.c.code, t.stores.c.id)
    records, seen_member, seen_phone = [], set(), set()
    for line_no, raw in progress(rows):
        row = clean(raw)
        try:
            record = parse_customer(row)
            if record.home_store and record.home_store not in stores:
                raise RowError(
                    "home_store", "unknown_store", f"未知门店编码 {record.home_store}"
                )
            if record.member_no in seen_member:
                raise RowError(
                    "member_no", "duplicate", f"文件内会员号重复 {record.member_no}"
                )
            if record.phone and record.phone in seen_phone:
                raise RowError("phone", "duplicate", "文件内手机号重复")
        except RowError as error:
            report.reject(line_no, error, row)
            continue
        seen_member.add(record.member_no)
        if record.phone:
            seen_phone.add(record.phone)
        records.append((line_no, row, record))
    existing = _existing(
        conn, t.customers.c.member_no, [r.member_no for _, _, r in records]
    )
    taken_phones = _existing(
        conn, t.customers.c.phone, [r.phone for _, _, r in records if r.phone]
    )
    new_rows, next_key, now = [], next_id(conn, t.customers), utcnow()
    for line_no, row, record in records:
        if record.member_no in existing:
            report.skipped_existing += 1
            continue
        if record.phone in taken_phones:
            report.reject(
                line_no, RowError("phone", "phone_taken", "手机号已属于另一位会员"), row
            )
            continue
        new_rows.append(_customer_row(next_key + len(new_rows), record, stores, now))
    insert_rows(conn, t.customers, new_rows)
    report.inserted = len(new_rows)


def _customer_row(
    key: int, record, stores: dict[str, int], now: dt.datetime
) -> dict[str, Any]:
    return {
        "id": key,
        "member_no": record.member_no,
        "name": record.name,
        "phone": record.phone,
        "gender": record.gender,
        "birthday": record.birthday,
        "wechat_openid": record.wechat_openid,
        "home_store_id": stores.get(record.home_store) if record.home_store else None,
        "joined_on": record.joined_on,
        "marketing_consent": record.marketing_consent,
        "consent_updated_at": now if record.marketing_consent else None,
        "created_at": now,
    }


def _products(
    conn: Connection, rows, report: ImportReport, tz, progress, rules
) -> None:
    records, seen = [], set()
    for line_no, raw in progress(rows):
        row = clean(raw)
        aside = rules.reason(row.get("sku", ""), row.get("name", ""))
        if aside:
            report.set_aside[aside] += 1
            continue
        row.setdefault("price_tier", "1")
        row["price_tier"] = row["price_tier"] or "1"
        for optional in ("launch_date", "tags", "cycle_days", "color", "consumable"):
            row.setdefault(optional, "")
        try:
            product = parse_catalog_row(Path("products"), line_no, row)
        except KnowledgeError as error:
            reason = str(error).split(": ", 1)[-1]
            report.reject(line_no, RowError("row", "invalid", reason), row)
            continue
        if product.sku in seen:
            report.reject(
                line_no,
                RowError("sku", "duplicate", f"文件内SKU重复 {product.sku}"),
                row,
            )
            continue
        seen.add(product.sku)
        records.append(product)
    existing = _existing(conn, t.products.c.sku, [p.sku for p in records])
    start = next_id(conn, t.products)
    fresh = [p for p in records if p.sku not in existing]
    report.skipped_existing = len(records) - len(fresh)
    insert_rows(
        conn, t.products, [product_row(start + i, p) for i, p in enumerate(fresh)]
    )
    report.inserted = len(fresh)


def _transactions(
    conn: Connection, rows, report: ImportReport, tz: ZoneInfo, progress, rules
) -> None:
    parsed, seen = [], {}
    for line_no, raw in progress(rows):
        row = clean(raw)
        aside = rules.reason(row.get("sku", ""))
        if aside:
            report.set_aside[aside] += 1
            continue
        try:
            record = parse_line(row)
            key = (record.order_no, record.line_no)
            if key in seen:
                raise RowError(
                    "line_no",
                    "duplicate_line",
                    f"订单行重复 (与第{seen[key]}行相同的订单号和行号)",
                )
        except RowError as error:
            report.reject(line_no, error, row)
            continue
        seen[key] = line_no
        parsed.append((line_no, row, record))
    refs = _References.load(conn, [r for _, _, r in parsed])
    _write_orders(conn, refs.resolve(parsed, report, tz), report)


@dataclass
class _ResolvedLine:
    line_no: int
    row: dict[str, str]
    order_no: str
    line: int
    customer_id: int
    store_id: int | None
    ordered_at: dt.datetime
    channel: str
    product_id: int
    quantity: int
    unit_price_fen: int
    discount_fen: int


@dataclass
class _References:
    skus: dict[str, int]
    stores: dict[str, int]
    members: dict[str, int]
    phones: dict[str, int]

    @classmethod
    def load(cls, conn: Connection, records) -> _References:
        return cls(
            skus=_map(
                conn, t.products.c.sku, t.products.c.id, {r.sku for r in records}
            ),
            stores=_map(conn, t.stores.c.code, t.stores.c.id),
            members=_map(
                conn,
                t.customers.c.member_no,
                t.customers.c.id,
                {r.member_no for r in records if r.member_no},
            ),
            phones=_map(
                conn,
                t.customers.c.phone,
                t.customers.c.id,
                {r.phone for r in records if r.phone},
            ),
        )

    def resolve(
        self, parsed, report: ImportReport, tz: ZoneInfo
    ) -> list[_ResolvedLine]:
        """Lines with their customer, product and store ids. An invoice's first line
        is its header: a later line of another customer contradicts it and is
        rejected; one whose time, store or channel differs (real tills stamp each
        line) is imported under the first line's header, with a warning."""
        resolved, headers = [], {}
        for line_no, row, r in parsed:
            try:
                line = self._one(line_no, row, r, tz)
                first, first_no = headers.setdefault(r.order_no, (line, line_no))
                if first.customer_id != line.customer_id:
                    raise RowError(
                        "order_no",
                        "customer_mismatch",
                        f"同一订单号下是另一位顾客 (与第{first_no}行不同)",
                    )
            except RowError as error:
                report.reject(line_no, error, row)
                continue
            differs = [
                label
                for label, name in HEADER_FIELDS
                if getattr(first, name) != getattr(line, name)
            ]
            if differs:
                report.warn(
                    line_no,
                    RowError(
                        "order_no",
                        "header_differs",
                        f"{'/'.join(differs)}与第{first_no}行不同, "
                        f"按第{first_no}行记入订单",
                    ),
                    row,
                )
            resolved.append(line)
        return resolved

    def _one(self, line_no: int, row, r, tz: ZoneInfo) -> _ResolvedLine:
        if r.sku not in self.skus:
            raise RowError("sku", "unknown_sku", f"未知SKU {r.sku}")
        if r.store and r.store not in self.stores:
            raise RowError("store", "unknown_store", f"未知门店编码 {r.store}")
        customer_id = (
            self.members.get(r.member_no) if r.member_no else self.phones.get(r.phone)
        )
        if customer_id is None:
            raise RowError(
                "member_no", "unknown_customer", "找不到该会员 (请先导入顾客)"
            )
        return _ResolvedLine(
            line_no,
            row,
            r.order_no,
            r.line_no,
            customer_id,
            self.stores.get(r.store) if r.store else None,
            local_to_utc(r.ordered_at, tz),
            r.channel,
            self.skus[r.sku],
            r.quantity,
            r.unit_price_fen,
            r.discount_fen,
        )


def _write_orders(
    conn: Connection, lines: list[_ResolvedLine], report: ImportReport
) -> None:
    existing_orders = _map(
        conn, t.orders.c.order_no, t.orders.c.id, {ln.order_no for ln in lines}
    )
    existing_lines = _existing_lines(conn, list(existing_orders.values()))
    order_key, line_key = next_id(conn, t.orders), next_id(conn, t.order_lines)
    new_orders, new_lines, added_to = {}, [], {}
    for ln in lines:
        order_id = existing_orders.get(ln.order_no)
        if order_id is not None and (order_id, ln.line) in existing_lines:
            if existing_lines[(order_id, ln.line)] == (
                ln.product_id,
                ln.quantity,
                ln.unit_price_fen,
                ln.discount_fen,
            ):
                report.skipped_existing += 1
            else:
                report.reject(
                    ln.line_no,
                    RowError("line_no", "conflict", "与已导入的同一订单行内容不同"),
                    ln.row,
                )
            continue
        if order_id is None:
            order = new_orders.get(ln.order_no)
            if order is None:
                order = new_orders[ln.order_no] = {
                    "id": order_key + len(new_orders),
                    "order_no": ln.order_no,
                    "customer_id": ln.customer_id,
                    "store_id": ln.store_id,
                    "staff_id": None,
                    "ordered_at": ln.ordered_at,
                    "total_fen": 0,
                    "channel": ln.channel,
                }
            order_id = order["id"]
            order["total_fen"] += ln.quantity * ln.unit_price_fen - ln.discount_fen
        else:
            added_to[order_id] = (
                added_to.get(order_id, 0)
                + ln.quantity * ln.unit_price_fen
                - ln.discount_fen
            )
        new_lines.append(
            {
                "id": line_key + len(new_lines),
                "order_id": order_id,
                "line_no": ln.line,
                "product_id": ln.product_id,
                "quantity": ln.quantity,
                "unit_price_fen": ln.unit_price_fen,
                "discount_fen": ln.discount_fen,
            }
        )
    insert_rows(conn, t.orders, list(new_orders.values()))
    insert_rows(conn, t.order_lines, new_lines)
    for order_id, amount in added_to.items():
        conn.execute(
            update(t.orders)
            .where(t.orders.c.id == order_id)
            .values(total_fen=t.orders.c.total_fen + amount)
        )
    report.inserted = len(new_lines)


def _existing_lines(
    conn: Connection, order_ids: list[int]
) -> dict[tuple[int, int], tuple]:
    found = {}
    for chunk in _chunks(order_ids):
        for row in conn.execute(
            select(
                t.order_lines.c.order_id,
                t.order_lines.c.line_no,
                t.order_lines.c.product_id,
                t.order_lines.c.quantity,
                t.order_lines.c.unit_price_fen,
                t.order_lines.c.discount_fen,
            ).where(t.order_lines.c.order_id.in_(chunk))
        ):
            found[(row[0], row[1])] = tuple(row[2:])
    return found


def _map(conn: Connection, key, value, only: set | None = None) -> dict:
    if only is None:
        return dict(conn.execute(select(key, value)).all())
    found = {}
    for chunk in _chunks(sorted(only)):
        found.update(conn.execute(select(key, value).where(key.in_(chunk))).all())
    return found


def _existing(conn: Connection, column, values: list) -> set:
    return set(_map(conn, column, column, set(values)))


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]
