"""Import customers, products and transactions from a retailer's CSV files.

Invalid rows go to a rejection report (line number, field, reason, original row); the
valid rows are written in one transaction, so a failure leaves the database as it was.
Rows already in the database (same member number, SKU, or order number and line) are
skipped, so importing the same file twice adds nothing the second time.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from tqdm import tqdm

from bot.db import tables as t
from bot.db.bulk import insert_rows, next_id, product_row
from bot.importer.rows import (
    LineRecord,
    RowError,
    clean,
    parse_customer,
    parse_line,
)
from bot.knowledge.loader import KnowledgeError, parse_catalog_row
from bot.knowledge.schema import ImportRules, NonMerchandise
from bot.timeutil import local_to_utc, utcnow

KINDS = ("customers", "products", "transactions", "returns")
# Header fields a line of an invoice may repeat differently (a warning, not a reject).
HEADER_FIELDS = (("时间", "ordered_at"), ("门店", "store_id"), ("渠道", "channel"))
IN_CHUNK = 500
# Transaction lines are parsed, resolved and written this many at a time, so a file
# of any length is imported in bounded memory.
LINE_CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    field: str
    code: str
    message: str


@dataclass
class ImportReport:
    """What became of every row. Rejected and warned rows are kept by line number;
    `write_report` reads their text back from `source`."""

    kind: str
    source: Path | None = None
    rows: int = 0
    inserted: int = 0
    skipped_existing: int = 0
    rolled_back: bool = False
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)  # imported, but noted
    set_aside: Counter = field(default_factory=Counter)  # non-merchandise, by rule
    returns: int = 0  # return lines stored
    returned_fen: int = 0  # netted against the sales they undo

    def reject(self, line: int, error: RowError) -> None:
        self.rejections.append(Rejection(line, error.field, error.code, error.message))

    def warn(self, line: int, error: RowError) -> None:
        self.warnings.append(Rejection(line, error.field, error.code, error.message))

    def count_by_code(self, which: str = "rejections") -> Counter:
        return Counter(r.code for r in getattr(self, which))


class ImportFileError(ValueError):
    """The file as a whole cannot be read (missing, wrong encoding, no header)."""


def import_file(
    engine: Engine,
    kind: str,
    path: Path,
    tz: ZoneInfo,
    progress: bool = False,
    strict: bool = False,
    rules: ImportRules | None = None,
) -> ImportReport:
    """Import one file, streaming it; with `strict`, any rejected row rolls the whole
    file back. Products and lines that the non-merchandise rules name (postage,
    fees, vouchers) are set aside and counted, neither imported nor rejected;
    return lines are netted against the sales they undo."""
    if kind not in KINDS:
        raise ImportFileError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    rules = rules or ImportRules(non_merchandise=NonMerchandise())
    report = ImportReport(kind=kind, source=path)
    rows = _counting(_read(path), report)
    bar = tqdm(total=_count_lines(path), unit="rows", disable=not progress)
    handler = {
        "customers": _customers,
        "products": _products,
        "transactions": _transactions,
        "returns": _transactions,
    }[kind]
    try:
        with bar, engine.connect() as conn, conn.begin() as transaction:
            handler(conn, _ticking(rows, bar), report, tz, rules)
            if strict and report.rejections:
                transaction.rollback()
                report.rolled_back = True
    except IntegrityError as error:
        raise ImportFileError(
            f"{path}: the database refused the file, nothing was imported "
            f"({error.orig.__class__.__name__}: {error.orig})"
        ) from error
    return report


def _counting(rows: Iterator, report: ImportReport) -> Iterator:
    for item in rows:
        report.rows += 1
        yield item


def _ticking(rows: Iterator, bar) -> Iterator:
    for item in rows:
        bar.update()
        yield item


def _count_lines(path: Path) -> int | None:
    """Physical lines less the header: the progress bar's total (a quoted field
    may span lines, so it is an estimate)."""
    try:
        with path.open("rb") as handle:
            return max(sum(1 for _ in handle) - 1, 0)
    except OSError:
        return None


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
    warning) with line numbers and reasons and the row as the file had it, as CSV
    for Excel. The rows are read back from the source file in one streaming pass."""
    found: dict[int, list[Rejection]] = {}
    for r in getattr(report, which):
        found.setdefault(r.line, []).append(r)
    columns = _columns(report.source) if report.source is not None else []
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "field", "code", "reason", *columns])
        rows = _read(report.source) if report.source is not None and found else ()
        for line_no, raw in rows:
            if line_no in found:
                row = clean(raw)
                for r in found[line_no]:
                    writer.writerow(
                        [r.line, r.field, r.code, r.message]
                        + [row.get(c, "") for c in columns]
                    )


def _columns(source: Path) -> list[str]:
    with source.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    return list(clean({name: "" for name in header}))


def _customers(conn: Connection, rows, report: ImportReport, tz, rules) -> None:
    stores = _map(conn, t.stores.c.code, t.stores.c.id)
    records, seen_member, seen_phone = [], set(), set()
    for line_no, raw in rows:
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
            report.reject(line_no, error)
            continue
        seen_member.add(record.member_no)
        if record.phone:
            seen_phone.add(record.phone)
        records.append((line_no, record))
    existing = _existing(
        conn, t.customers.c.member_no, [r.member_no for _, r in records]
    )
    taken_phones = _existing(
        conn, t.customers.c.phone, [r.phone for _, r in records if r.phone]
    )
    new_rows, next_key, now = [], next_id(conn, t.customers), utcnow()
    for line_no, record in records:
        if record.member_no in existing:
            report.skipped_existing += 1
            continue
        if record.phone in taken_phones:
            report.reject(
                line_no, RowError("phone", "phone_taken", "手机号已属于另一位会员")
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


def _products(conn: Connection, rows, report: ImportReport, tz, rules) -> None:
    records, seen = [], set()
    for line_no, raw in rows:
        row = clean(raw)
        aside = rules.non_merchandise.reason(row.get("sku", ""), row.get("name", ""))
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
            report.reject(line_no, RowError("row", "invalid", reason))
            continue
        if product.sku in seen:
            report.reject(
                line_no,
                RowError("sku", "duplicate", f"文件内SKU重复 {product.sku}"),
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
    conn: Connection, rows, report: ImportReport, tz: ZoneInfo, rules
) -> None:
    """Sale lines are resolved and written LINE_CHUNK at a time; return lines are
    kept (compact records) and netted once every sale of the file is in."""
    cancelled = rules.returns.cancelled()
    as_returns = report.kind == "returns"
    invoices = _Invoices()
    sales: list[tuple[int, LineRecord]] = []
    returns: list[tuple[int, LineRecord]] = []
    for line_no, raw in rows:
        row = clean(raw)
        aside = rules.non_merchandise.reason(row.get("sku", ""))
        if aside:
            report.set_aside[aside] += 1
            continue
        try:
            record = invoices.numbered(line_no, parse_line(row, cancelled, as_returns))
        except RowError as error:
            report.reject(line_no, error)
            continue
        (returns if record.is_return else sales).append((line_no, record))
        if len(sales) >= LINE_CHUNK:
            _write_sales(conn, sales, invoices, report, tz)
            sales = []
    _write_sales(conn, sales, invoices, report, tz)
    _apply_returns(conn, returns, invoices, report, tz)


class _Invoices:
    """What the loader remembers of the invoices seen so far in the file: each
    one's line numbers (duplicates are rejected; unnumbered lines are numbered in
    file order) and its header (its first line, resolved)."""

    def __init__(self) -> None:
        self.lines: dict[str, dict[int, int]] = {}
        self.headers: dict[str, tuple[_ResolvedLine, int]] = {}

    def numbered(self, source_line: int, record: LineRecord) -> LineRecord:
        order_no = sys.intern(record.order_no)
        taken = self.lines.setdefault(order_no, {})
        number = record.line_no
        if number is None:
            number = len(taken) + 1
            while number in taken:
                number += 1
            record = replace(record, line_no=number)
        elif number in taken:
            raise RowError(
                "line_no",
                "duplicate_line",
                f"订单行重复 (与第{taken[number]}行相同的订单号和行号)",
            )
        taken[number] = source_line
        return record


def _write_sales(
    conn: Connection, parsed, invoices: _Invoices, report: ImportReport, tz
) -> None:
    if parsed:
        refs = _References.load(conn, [r for _, r in parsed])
        _write_orders(conn, refs.resolve(parsed, report, tz, invoices), report)


@dataclass(slots=True)
class _ResolvedLine:
    line_no: int
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
    original_order_no: str | None = None

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen - self.discount_fen


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
        self, parsed, report: ImportReport, tz: ZoneInfo, invoices: _Invoices
    ) -> list[_ResolvedLine]:
        """Lines with their customer, product and store ids. An invoice's first line
        is its header: a later line of another customer contradicts it and is
        rejected; one whose time, store or channel differs (real tills stamp each
        line) is imported under the first line's header, with a warning."""
        resolved = []
        for line_no, r in parsed:
            try:
                line = self._one(line_no, r, tz)
                first, first_no = invoices.headers.setdefault(
                    r.order_no, (line, line_no)
                )
                if first.customer_id != line.customer_id:
                    raise RowError(
                        "order_no",
                        "customer_mismatch",
                        f"同一订单号下是另一位顾客 (与第{first_no}行不同)",
                    )
            except RowError as error:
                report.reject(line_no, error)
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
                )
                line.ordered_at, line.store_id = first.ordered_at, first.store_id
                line.channel = first.channel
            resolved.append(line)
        return resolved

    def _one(self, line_no: int, r: LineRecord, tz: ZoneInfo) -> _ResolvedLine:
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
            r.original_order_no,
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
            order["total_fen"] += ln.amount_fen
        else:
            added_to[order_id] = added_to.get(order_id, 0) + ln.amount_fen
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
    report.inserted += len(new_lines)


@dataclass(slots=True)
class _Sold:
    """A sale line a return may be netted against: what of it is still kept."""

    line_id: int
    order_id: int
    order_no: str
    ordered_at: dt.datetime
    quantity: int
    net_fen: int


def _apply_returns(
    conn: Connection, parsed, invoices: _Invoices, report: ImportReport, tz
) -> None:
    """Store each return line and net it against the sale it undoes: the order the
    export names (`original_order_no`, or the invoice the negative line sits in),
    else her latest earlier purchase of the product, then older ones. A return
    with no such sale in the data is kept, with a warning, and nets nothing."""
    if not parsed:
        return
    refs = _References.load(conn, [r for _, r in parsed])
    lines = refs.resolve(parsed, report, tz, invoices)
    stored = _stored_returns(conn, {ln.order_no for ln in lines})
    fresh = []
    for ln in lines:
        if (ln.order_no, ln.line) in stored:
            report.skipped_existing += 1
        else:
            fresh.append(ln)
    sold = _sold(
        conn, {ln.customer_id for ln in fresh}, {ln.product_id for ln in fresh}
    )
    netted: dict[int, list[int]] = {}
    rows, key = [], next_id(conn, t.returns)
    for ln in sorted(fresh, key=lambda item: (item.ordered_at, item.line_no)):
        order_id, left = _net_one(
            ln, sold.get((ln.customer_id, ln.product_id), []), netted
        )
        if left:
            report.warn(
                ln.line_no,
                RowError(
                    "quantity",
                    "return_unmatched",
                    f"退货{left}件找不到此前可冲抵的购买 (可能购于数据开始之前), "
                    "已记为退货, 不计入消费",
                ),
            )
        rows.append(
            {
                "id": key + len(rows),
                "return_no": ln.order_no,
                "line_no": ln.line,
                "customer_id": ln.customer_id,
                "product_id": ln.product_id,
                "store_id": ln.store_id,
                "returned_at": ln.ordered_at,
                "quantity": ln.quantity,
                "amount_fen": ln.amount_fen,
                "matched_quantity": ln.quantity - left,
                "order_id": order_id,
            }
        )
    insert_rows(conn, t.returns, rows)
    _write_netting(conn, netted)
    report.returns += len(rows)
    report.returned_fen += sum(fen for _, fen in netted.values())


def _net_one(
    ln: _ResolvedLine, candidates: list[_Sold], netted: dict[int, list[int]]
) -> tuple[int | None, int]:
    """Net one return line; (the first order it was netted against, quantity left
    unmatched). Refunds are taken at the return's own price, never more than what
    is still kept of a sale line."""
    original = ln.original_order_no or ln.order_no
    earlier = [c for c in candidates if c.ordered_at <= ln.ordered_at and c.quantity]
    earlier.sort(key=lambda c: (c.order_no != original, -c.ordered_at.timestamp()))
    per_unit = ln.amount_fen / ln.quantity
    need, first = ln.quantity, None
    for sale in earlier:
        take = min(need, sale.quantity)
        if per_unit > 0:
            fen = min(sale.net_fen, round(per_unit * take))
        else:
            fen = round(sale.net_fen * take / sale.quantity)
        sale.quantity -= take
        sale.net_fen -= fen
        total = netted.setdefault(sale.line_id, [0, 0])
        total[0] += take
        total[1] += fen
        first = first if first is not None else sale.order_id
        need -= take
        if not need:
            break
    return first, need


def _sold(
    conn: Connection, customers: set[int], products: set[int]
) -> dict[tuple[int, int], list[_Sold]]:
    """Her sale lines of the returned products, with what is still kept of each."""
    ol, o = t.order_lines, t.orders
    found: dict[tuple[int, int], list[_Sold]] = {}
    for chunk in _chunks(sorted(customers)):
        query = (
            select(
                o.c.customer_id,
                ol.c.product_id,
                ol.c.id,
                o.c.id,
                o.c.order_no,
                o.c.ordered_at,
                ol.c.quantity - ol.c.returned_quantity,
                ol.c.quantity * ol.c.unit_price_fen
                - ol.c.discount_fen
                - ol.c.returned_fen,
            )
            .select_from(ol.join(o, ol.c.order_id == o.c.id))
            .where(o.c.customer_id.in_(chunk))
        )
        for row in conn.execute(query):
            if row[1] in products and row[6] > 0:
                found.setdefault((row[0], row[1]), []).append(_Sold(*row[2:]))
    return found


def _write_netting(conn: Connection, netted: dict[int, list[int]]) -> None:
    if not netted:
        return
    ol, o = t.order_lines, t.orders
    conn.execute(
        update(ol)
        .where(ol.c.id == bindparam("line_id"))
        .values(
            returned_quantity=ol.c.returned_quantity + bindparam("back"),
            returned_fen=ol.c.returned_fen + bindparam("fen"),
        ),
        [{"line_id": k, "back": q, "fen": f} for k, (q, f) in netted.items()],
    )
    orders = sorted(
        {
            order_id
            for chunk in _chunks(sorted(netted))
            for order_id in conn.execute(
                select(ol.c.order_id).where(ol.c.id.in_(chunk))
            ).scalars()
        }
    )
    back = (
        select(func.coalesce(func.sum(ol.c.returned_fen), 0))
        .where(ol.c.order_id == o.c.id)
        .scalar_subquery()
    )
    kept = exists().where(
        ol.c.order_id == o.c.id, ol.c.returned_quantity < ol.c.quantity
    )
    for chunk in _chunks(orders):
        conn.execute(
            update(o)
            .where(o.c.id.in_(chunk))
            .values(returned_fen=back, fully_returned=~kept)
        )


def _stored_returns(conn: Connection, numbers: set[str]) -> set[tuple[str, int]]:
    found = set()
    for chunk in _chunks(sorted(numbers)):
        found.update(
            conn.execute(
                select(t.returns.c.return_no, t.returns.c.line_no).where(
                    t.returns.c.return_no.in_(chunk)
                )
            ).all()
        )
    return {(a, b) for a, b in found}


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
