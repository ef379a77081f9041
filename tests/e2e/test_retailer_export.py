"""A retailer's first hour, as a new user would spend it: `salesbot import` of an
export shaped like a real one (pounds, cancellations, fee codes, invoice lines a
minute apart, no line numbers, history that ended a year ago), then `salesbot
segment`, then `salesbot lookup`, each a real process on its own database. Every
rule of the importer is checked in the database with SQL of its own."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from bot.config import PROJECT_ROOT
from bot.db import tables as t
from bot.demo.export import FEES, ExportShape, pounds_knowledge, write_export

AS_OF = "2011-12-09"


class Shop:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = f"sqlite:///{root / 'shop.db'}"
        knowledge = root / "knowledge"
        pounds_knowledge(PROJECT_ROOT / "knowledge", knowledge)
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "SALESBOT_KNOWLEDGE": str(knowledge),
            "SALESBOT_TZ": "Europe/London",
        }
        self.engine = create_engine(self.url, future=True)

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli.main", *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Traceback" not in done.stderr
        return done.stdout

    def scalar(self, query):
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("retailer")
    shop = Shop(root)
    shop.facts = write_export(
        root / "export", ExportShape(customers=400, products=300), seed=7
    )
    shop.run("migrate")  # the one command that migrates, as a retailer starts
    shop.out = {
        kind: shop.run("import", kind, str(root / "export" / f"{kind}.csv"))
        for kind in ("products", "customers", "transactions")
    }
    shop.out["segment"] = shop.run("segment", "--as-of", AS_OF)
    return shop


def member(shop: Shop, member_no: str) -> int:
    return shop.scalar(
        select(t.customers.c.id).where(t.customers.c.member_no == member_no)
    )


def test_every_line_is_accounted_for_by_what_became_of_it(shop):
    facts, out = shop.facts, shop.out["transactions"]
    assert f"{facts.lines} rows read, {facts.sale_lines} imported" in out
    assert f"{facts.anonymous_lines} rejected" in out
    assert f"{facts.return_lines} return lines stored" in out
    assert f"{facts.fee_lines} non-merchandise rows set aside" in out
    assert shop.scalar(select(func.count()).select_from(t.order_lines)) == (
        facts.sale_lines
    )
    assert shop.scalar(select(func.count()).select_from(t.returns)) == (
        facts.return_lines
    )


def test_lines_a_minute_apart_stay_in_their_invoice_with_a_warning(shop):
    facts = shop.facts
    assert f"{facts.minute_apart_lines} with warnings" in shop.out["transactions"]
    warned = shop.root / "export" / "transactions.csv.warnings.csv"
    rows = warned.read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == facts.minute_apart_lines + 1
    assert all(",header_differs," in row for row in rows[1:])
    # one order per invoice: no invoice number split in two
    invoices = shop.scalar(select(func.count(func.distinct(t.orders.c.order_no))))
    assert shop.scalar(select(func.count()).select_from(t.orders)) == invoices


def test_fees_postage_and_vouchers_are_no_products_and_no_spend(shop):
    codes = [code for code, _, _ in FEES]
    assert "6 non-merchandise rows set aside" in shop.out["products"]
    assert (
        shop.scalar(
            select(func.count())
            .select_from(t.products)
            .where(t.products.c.sku.in_(codes))
        )
        == 0
    )


def test_a_huge_order_cancelled_in_full_is_no_purchase_and_no_top_level(shop):
    for member_no in shop.facts.wholesale_cancellers:
        customer = member(shop, member_no)
        full = shop.scalar(
            select(func.count())
            .select_from(t.orders)
            .where(t.orders.c.customer_id == customer, t.orders.c.fully_returned)
        )
        kept = shop.scalar(
            select(func.sum(t.orders.c.total_fen - t.orders.c.returned_fen)).where(
                t.orders.c.customer_id == customer
            )
        )
        assert full == 1
        card = shop.run("lookup", member_no)
        assert "level: 普通会员" in card
        assert "orders: 1" in card
        assert f"spend: £{kept / 100:,.2f}" in card


def test_days_since_the_last_purchase_count_to_the_data_not_today(shop):
    silent = shop.facts.silent[0]
    last = shop.scalar(
        select(func.max(t.orders.c.ordered_at)).where(
            t.orders.c.customer_id == member(shop, silent)
        )
    )
    days = (dt.date.fromisoformat(AS_OF) - last.date()).days
    assert f"（{days}天前，截至{AS_OF}）" in shop.run("lookup", silent)


def test_a_degenerate_clv_fit_is_not_used_and_the_silent_are_not_alive(shop):
    assert "CLV: BG/NBD fit not usable" in shop.out["segment"]
    for member_no in shop.facts.silent:
        row = shop.scalar(
            select(t.segment_snapshots.c.p_alive).where(
                t.segment_snapshots.c.customer_id == member(shop, member_no),
                t.segment_snapshots.c.as_of == dt.date.fromisoformat(AS_OF),
            )
        )
        assert row < 0.5
    details = shop.scalar(
        select(t.segment_snapshots.c.details).where(
            t.segment_snapshots.c.customer_id == member(shop, shop.facts.silent[0])
        )
    )
    assert details["clv"]["model"] == "rhythm"
    assert "no_dropout" in details["clv"]["problems"]


def test_importing_the_export_again_adds_and_nets_nothing(shop):
    back = select(func.sum(t.order_lines.c.returned_fen))
    before = (
        shop.scalar(select(func.count()).select_from(t.returns)),
        shop.scalar(back),
    )
    out = shop.run(
        "import", "transactions", str(shop.root / "export" / "transactions.csv")
    )
    assert ", 0 imported," in out
    assert (
        shop.scalar(select(func.count()).select_from(t.returns)),
        shop.scalar(back),
    ) == before


def test_clv_check_reads_the_export_and_draws_the_chart(shop):
    chart = shop.root / "clv.png"
    out = shop.run(
        "clv-check",
        "--transactions",
        str(shop.root / "export" / "transactions.csv"),
        "--calibration-end",
        "2011-08-31",
        "--chart",
        str(chart),
    )
    assert "holdout repeat purchases: actual" in out
    assert "return" in out.splitlines()[0]  # cancellations are left out and counted
    assert chart.stat().st_size > 10_000
