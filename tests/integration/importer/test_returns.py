"""Returns and cancellations in a retailer's export: stored, netted against the sale
they undo, and every figure (spend, orders, level, segments) counted net of them.
Checked with SQL of its own, not through the code under test."""

import datetime as dt

import pytest
from sqlalchemy import select

from bot.db import tables as t
from bot.importer.loader import import_file
from bot.services.customers import Actor, CustomerService
from bot.services.segmentation import run_segmentation
from tests.conftest import SHANGHAI
from tests.integration.importer.files import write

CUSTOMERS = """member_no,name,phone,gender,birthday,home_store,joined_on,marketing_consent,wechat_openid
M50000001,周小雨,13911112222,女,1992-04-01,S01,2025-01-05,是,
M50000002,吴刚,13922223333,男,,S02,2025-02-01,0,
"""

# Line numbers of the file are given in the comments the tests use.
EXPORT = """order_no,line_no,ordered_at,member_no,phone,store,sku,quantity,unit_price,discount,channel
T1,1,2026-10-01 15:00,M50000001,,S01,SB00001,1,899.00,0,store
T1,2,2026-10-01 15:00,M50000001,,S01,SB00070,2,59.00,0,store
T2,1,2026-10-03 11:00,M50000001,,S01,SB00070,1,59.00,0,store
BIG,1,2026-10-05 10:00,M50000002,,S02,SB00002,30,899.00,0,store
C9001,1,2026-10-06 12:00,M50000001,,S01,SB00070,-2,59.00,0,store
C9002,1,2026-10-06 12:00,M50000002,,S02,SB00002,-30,899.00,0,store
C9003,1,2026-10-06 12:00,M50000001,,S01,SB00003,-1,899.00,0,store
T4,1,2026-10-07 09:00,M50000001,,S01,SB00004,1,100.00,0,store
T4,2,2026-10-07 09:00,M50000001,,S01,SB00004,-1,100.00,0,store
"""
# line 2..10: T1/1, T1/2, T2, BIG, C9001, C9002, C9003 (line 8), T4/1, T4/2


@pytest.fixture()
def imported(shop, tmp_path, knowledge):
    import_file(shop, "customers", write(tmp_path, "c.csv", CUSTOMERS), SHANGHAI)
    report = import_file(
        shop,
        "transactions",
        write(tmp_path, "t.csv", EXPORT),
        SHANGHAI,
        rules=knowledge.imports,
    )
    return shop, report


def netting(engine) -> dict[tuple[str, int], tuple[int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                t.orders.c.order_no,
                t.order_lines.c.line_no,
                t.order_lines.c.returned_quantity,
                t.order_lines.c.returned_fen,
            ).select_from(t.order_lines.join(t.orders))
        ).all()
    return {(o, n): (q, f) for o, n, q, f in rows}


def orders(engine) -> dict[str, tuple[int, int, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                t.orders.c.order_no,
                t.orders.c.total_fen,
                t.orders.c.returned_fen,
                t.orders.c.fully_returned,
            )
        ).all()
    return {o: (total, back, bool(full)) for o, total, back, full in rows}


def test_return_lines_are_stored_and_netted_against_the_latest_earlier_sale(imported):
    engine, report = imported
    assert report.rejections == []
    assert (report.inserted, report.returns) == (5, 4)
    assert report.returned_fen == 2 * 5_900 + 30 * 89_900 + 10_000
    lines = netting(engine)
    # two scarves back: the one of T2 (her latest), then one of T1's two
    assert lines[("T2", 1)] == (1, 5_900)
    assert lines[("T1", 2)] == (1, 5_900)
    assert lines[("T1", 1)] == (0, 0)
    assert lines[("BIG", 1)] == (30, 30 * 89_900)
    assert lines[("T4", 1)] == (1, 10_000)  # the negative line of its own invoice
    found = orders(engine)
    assert found["T1"] == (89_900 + 2 * 5_900, 5_900, False)
    assert found["T2"] == (5_900, 5_900, True)
    assert found["BIG"] == (30 * 89_900, 30 * 89_900, True)
    assert found["T4"] == (10_000, 10_000, True)
    assert not {"C9001", "C9002", "C9003"} & set(found)  # returns are no orders


def test_a_return_with_no_sale_in_the_data_is_kept_with_a_warning(imported):
    engine, report = imported
    assert [(w.line, w.code) for w in report.warnings] == [(8, "return_unmatched")]
    with engine.connect() as conn:
        row = conn.execute(
            select(
                t.returns.c.quantity,
                t.returns.c.matched_quantity,
                t.returns.c.order_id,
                t.returns.c.amount_fen,
            ).where(t.returns.c.return_no == "C9003")
        ).one()
    assert tuple(row) == (1, 0, None, 89_900)


def test_a_fully_cancelled_big_order_is_no_purchase_and_no_level(imported, knowledge):
    engine, _ = imported
    service = CustomerService(engine, knowledge, SHANGHAI)
    big = service.lookup("member_no", "M50000002", Actor("s1", "rest"))
    assert (big.order_count, big.lifetime_spend_fen) == (0, 0)
    assert big.level == knowledge.membership.levels[0].name
    her = service.lookup("member_no", "M50000001", Actor("s1", "rest"))
    assert her.order_count == 1  # T2 and T4 came back whole
    assert her.lifetime_spend_fen == 89_900 + 5_900
    assert her.last_purchase == dt.date(2026, 10, 1)


def test_segmentation_counts_net_of_returns(imported, knowledge):
    engine, _ = imported
    run_segmentation(engine, knowledge, dt.date(2026, 10, 31), SHANGHAI)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                t.customers.c.member_no,
                t.segment_snapshots.c.frequency,
                t.segment_snapshots.c.monetary_fen,
            )
            .join(t.customers)
            .where(t.customers.c.member_no.in_(["M50000001", "M50000002"]))
        ).all()
    assert {m: (f, money) for m, f, money in rows} == {
        "M50000001": (1, 89_900 + 5_900),
        "M50000002": (0, 0),
    }


def test_importing_the_export_again_nets_nothing_twice(imported, tmp_path, knowledge):
    engine, _ = imported
    before = (netting(engine), orders(engine))
    again = import_file(
        engine,
        "transactions",
        tmp_path / "t.csv",
        SHANGHAI,
        rules=knowledge.imports,
    )
    assert (again.inserted, again.returns, again.skipped_existing) == (0, 0, 9)
    assert (netting(engine), orders(engine)) == before


RETURN_FILE = """order_no,line_no,ordered_at,member_no,phone,store,sku,quantity,unit_price,discount,channel,original_order_no
R1,1,2026-10-09 10:00,M50000001,,S01,SB00001,1,899.00,0,store,T1
"""


def test_a_return_file_nets_the_order_it_names_not_the_latest(
    imported, tmp_path, knowledge
):
    engine, _ = imported
    later = write(
        tmp_path,
        "t5.csv",
        EXPORT.splitlines()[0]
        + "\nT5,1,2026-10-08 10:00,M50000001,,S01,SB00001,1,899.00,0,store\n",
    )
    import_file(engine, "transactions", later, SHANGHAI, rules=knowledge.imports)
    report = import_file(
        engine,
        "returns",
        write(tmp_path, "r.csv", RETURN_FILE),
        SHANGHAI,
        rules=knowledge.imports,
    )
    assert (report.returns, report.warnings) == (1, [])
    lines = netting(engine)
    assert lines[("T1", 1)] == (1, 89_900)
    assert lines[("T5", 1)] == (0, 0)
    with engine.connect() as conn:
        linked = conn.execute(
            select(t.orders.c.order_no)
            .join(t.returns, t.returns.c.order_id == t.orders.c.id)
            .where(t.returns.c.return_no == "R1")
        ).scalar_one()
    assert linked == "T1"
