"""CSV import into a real database: rejects with reasons, all or nothing, reruns add nothing."""

import csv
import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.db import tables as t
from bot.importer.loader import ImportFileError, import_file, write_report
from tests.conftest import SHANGHAI
from tests.integration.importer.files import write

CUSTOMERS = """member_no,name,phone,gender,birthday,home_store,joined_on,marketing_consent,wechat_openid
M50000001,周小雨,139 1111 2222,女,1992-04-01,S01,2025-01-05,是,
M50000002,吴刚,13922223333,男,,S02,2025-02-01,0,
M50000003,郑爽,1392222333,女,,S01,2025-02-01,1,
M50000004,王五,13944445555,男,,S99,2025-02-01,1,
M50000001,重复,13955556666,女,,S01,2025-02-01,1,
"""

TRANSACTIONS = """order_no,line_no,ordered_at,member_no,phone,store,sku,quantity,unit_price,discount,channel
T1,1,2026-10-01 15:00,M50000001,,S01,SB00001,1,899.00,0,store
T1,2,2026-10-01 15:00,M50000001,,S01,SB00070,2,59.00,10,store
T2,1,2026-10-03 11:00,,13922223333,S02,SB00002,1,899.00,,wechat
T3,1,2026-10-04 11:00,M50000002,,S02,SB00003,0,899.00,,store
T4,1,2026-10-04 11:00,M50000002,,S02,NOPE,1,899.00,,store
T1,2,2026-10-01 15:00,M50000001,,S01,SB00070,2,59.00,10,store
T5,1,yesterday,M50000002,,S02,SB00003,1,899.00,,store
T6,1,2026-10-05 10:00,M59999999,,S02,SB00003,1,899.00,,store
"""


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_customers_import_with_rejected_rows_reported_by_line(shop, tmp_path):
    report = import_file(
        shop, "customers", write(tmp_path, "c.csv", CUSTOMERS), SHANGHAI
    )
    assert (report.rows, report.inserted) == (5, 2)
    assert [(r.line, r.field, r.code) for r in report.rejections] == [
        (4, "phone", "bad_phone"),
        (5, "home_store", "unknown_store"),
        (6, "member_no", "duplicate"),
    ]
    assert "实为10位" in report.rejections[0].message


def test_transactions_import_and_each_bad_line_says_why(shop, tmp_path):
    import_file(shop, "customers", write(tmp_path, "c.csv", CUSTOMERS), SHANGHAI)
    report = import_file(
        shop, "transactions", write(tmp_path, "t.csv", TRANSACTIONS), SHANGHAI
    )
    assert report.inserted == 3
    assert {r.line: r.code for r in report.rejections} == {
        5: "zero",
        6: "unknown_sku",
        7: "duplicate_line",
        8: "bad_date",
        9: "unknown_customer",
    }
    with shop.connect() as conn:
        total, ordered_at = conn.execute(
            select(t.orders.c.total_fen, t.orders.c.ordered_at).where(
                t.orders.c.order_no == "T1"
            )
        ).one()
    assert total == 89_900 + 2 * 5_900 - 1_000
    assert ordered_at == dt.datetime(2026, 10, 1, 7, 0)


def test_importing_the_same_files_again_adds_nothing(shop, tmp_path):
    customers, lines = (
        write(tmp_path, "c.csv", CUSTOMERS),
        write(tmp_path, "t.csv", TRANSACTIONS),
    )
    import_file(shop, "customers", customers, SHANGHAI)
    import_file(shop, "transactions", lines, SHANGHAI)
    before = [count(shop, table) for table in (t.customers, t.orders, t.order_lines)]
    again_c = import_file(shop, "customers", customers, SHANGHAI)
    again_t = import_file(shop, "transactions", lines, SHANGHAI)
    assert [
        count(shop, table) for table in (t.customers, t.orders, t.order_lines)
    ] == before
    assert (again_c.inserted, again_c.skipped_existing) == (0, 2)
    assert (again_t.inserted, again_t.skipped_existing) == (0, 3)


def test_a_changed_line_under_an_existing_order_is_rejected_not_overwritten(
    shop, tmp_path
):
    import_file(shop, "customers", write(tmp_path, "c.csv", CUSTOMERS), SHANGHAI)
    import_file(shop, "transactions", write(tmp_path, "t.csv", TRANSACTIONS), SHANGHAI)
    changed = (
        TRANSACTIONS.splitlines()[0]
        + "\nT1,1,2026-10-01 15:00,M50000001,,S01,SB00001,3,899.00,0,store\n"
    )
    report = import_file(
        shop, "transactions", write(tmp_path, "t2.csv", changed), SHANGHAI
    )
    assert [r.code for r in report.rejections] == ["conflict"]


def test_strict_mode_imports_nothing_when_any_row_is_rejected(shop, tmp_path):
    before = count(shop, t.customers)
    report = import_file(
        shop, "customers", write(tmp_path, "c.csv", CUSTOMERS), SHANGHAI, strict=True
    )
    assert report.rolled_back
    assert count(shop, t.customers) == before


def test_a_database_error_midway_leaves_the_database_as_it_was(shop, tmp_path):
    with shop.connect() as conn:
        openid = (
            conn.execute(
                select(t.customers.c.wechat_openid).where(
                    t.customers.c.wechat_openid.isnot(None)
                )
            )
            .scalars()
            .first()
        )
    assert openid
    rows = [
        f"M6{i:07d},顾客{i},,女,,S01,2025-01-01,1,{openid if i == 7000 else ''}"
        for i in range(1, 7001)
    ]
    path = write(
        tmp_path, "big.csv", CUSTOMERS.splitlines()[0] + "\n" + "\n".join(rows) + "\n"
    )
    before = count(shop, t.customers)
    with pytest.raises(ImportFileError, match="nothing was imported"):
        import_file(shop, "customers", path, SHANGHAI)
    assert count(shop, t.customers) == before


def test_products_import_validates_like_the_catalog(shop, tmp_path):
    text = (
        "sku,name,category,subcategory,brand,price,stock\n"
        "NEW1,云裳 针织背心,服装,针织衫,云裳,399.00,10\n"
        "NEW2,坏价格,服装,针织衫,云裳,-1,10\n"
        "SB00001,已存在,服装,大衣,云裳,899.00,1\n"
    )
    report = import_file(shop, "products", write(tmp_path, "p.csv", text), SHANGHAI)
    assert (report.inserted, report.skipped_existing) == (1, 1)
    assert [r.line for r in report.rejections] == [3]


def test_unreadable_files_are_refused_whole(shop, tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("姓名,手机\n张三,13911112222\n".encode("gbk"))
    with pytest.raises(ImportFileError, match="not UTF-8"):
        import_file(shop, "customers", gbk, SHANGHAI)
    with pytest.raises(ImportFileError, match="file not found"):
        import_file(shop, "customers", tmp_path / "missing.csv", SHANGHAI)
    with pytest.raises(ImportFileError, match="no header"):
        import_file(shop, "customers", write(tmp_path, "empty.csv", ""), SHANGHAI)


def test_the_rejection_report_keeps_line_reason_and_original_row(shop, tmp_path):
    report = import_file(
        shop, "customers", write(tmp_path, "c.csv", CUSTOMERS), SHANGHAI
    )
    target = tmp_path / "rejects.csv"
    write_report(report, target)
    with target.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["line"] for row in rows] == ["4", "5", "6"]
    assert rows[0]["phone"] == "1392222333"
    assert rows[1]["reason"] == "未知门店编码 S99"


INVOICES = """order_no,line_no,ordered_at,member_no,phone,store,sku,quantity,unit_price,discount,channel
T7,1,2026-10-06 15:00,M50000001,,S01,SB00001,1,899.00,0,store
T7,2,2026-10-06 15:01,M50000001,,S01,SB00002,1,899.00,0,store
T7,3,2026-10-06 15:01,M50000001,,S01,SB00003,1,899.00,0,wechat
T8,1,2026-10-06 16:00,M50000001,,S01,SB00004,1,100.00,0,store
T8,2,2026-10-06 16:00,M50000002,,S01,SB00005,1,100.00,0,store
"""


def test_an_invoice_is_read_as_its_first_line_says_and_only_contradictions_rejected(
    shop, tmp_path
):
    import_file(shop, "customers", write(tmp_path, "c.csv", CUSTOMERS), SHANGHAI)
    report = import_file(
        shop, "transactions", write(tmp_path, "i.csv", INVOICES), SHANGHAI
    )
    assert report.inserted == 4
    assert [(r.line, r.code) for r in report.rejections] == [(6, "customer_mismatch")]
    assert [(w.line, w.code) for w in report.warnings] == [
        (3, "header_differs"),
        (4, "header_differs"),
    ]
    assert report.warnings[0].message == "时间与第2行不同, 按第2行记入订单"
    assert report.warnings[1].message.startswith("时间/渠道与第2行不同")
    with shop.connect() as conn:
        order = conn.execute(
            select(
                t.orders.c.ordered_at, t.orders.c.channel, t.orders.c.total_fen
            ).where(t.orders.c.order_no == "T7")
        ).one()
        lines = conn.execute(
            select(func.count())
            .select_from(t.order_lines.join(t.orders))
            .where(t.orders.c.order_no == "T7")
        ).scalar_one()
    assert order == (dt.datetime(2026, 10, 6, 7, 0), "store", 3 * 89900)
    assert lines == 3
    warned = tmp_path / "warned.csv"
    write_report(report, warned, "warnings")
    with warned.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert [r[:3] for r in rows[1:]] == [
        ["3", "order_no", "header_differs"],
        ["4", "order_no", "header_differs"],
    ]


PRODUCTS_WITH_FEES = """sku,name,category,subcategory,brand,price,stock
SX00001,羊毛围巾,配饰,围巾,云裳,199.00,10
POST,POSTAGE,其他,其他,-,18.00,0
gift_0001_40,Gift Voucher 40,其他,其他,-,40.00,0
SX00002,快递邮费补差,其他,其他,-,10.00,0
SX00003,Coffee mug,家居,杯子,云裳,39.00,5
"""

LINES_WITH_FEES = """order_no,line_no,ordered_at,member_no,phone,store,sku,quantity,unit_price,discount,channel
T9,1,2026-10-07 15:00,M50000001,,S01,SB00001,1,899.00,0,store
T9,2,2026-10-07 15:00,M50000001,,S01,POST,1,18.00,0,store
T9,3,2026-10-07 15:00,M50000001,,S01,AMAZONFEE,1,5.00,0,store
"""


def test_postage_fees_and_vouchers_are_set_aside_not_imported(
    shop, tmp_path, knowledge
):
    rules = knowledge.imports
    products = import_file(
        shop,
        "products",
        write(tmp_path, "p.csv", PRODUCTS_WITH_FEES),
        SHANGHAI,
        rules=rules,
    )
    assert products.inserted == 2 and products.rejections == []
    assert products.set_aside == {"POST": 1, "/^gift_\\d+/": 1, "~邮费": 1}
    with shop.connect() as conn:
        skus = set(conn.execute(select(t.products.c.sku)).scalars())
    assert {"SX00001", "SX00003"} <= skus and not {"POST", "SX00002"} & skus
    import_file(shop, "customers", write(tmp_path, "c.csv", CUSTOMERS), SHANGHAI)
    lines = import_file(
        shop,
        "transactions",
        write(tmp_path, "t.csv", LINES_WITH_FEES),
        SHANGHAI,
        rules=rules,
    )
    assert (lines.inserted, lines.rejections) == (1, [])
    assert lines.set_aside == {"POST": 1, "AMAZONFEE": 1}
    with shop.connect() as conn:
        total = conn.execute(
            select(t.orders.c.total_fen).where(t.orders.c.order_no == "T9")
        ).scalar_one()
    assert total == 89900  # postage and fees are not spend
