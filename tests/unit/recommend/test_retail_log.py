import pytest

from bot.recommend.retail_log import LogFormatError, read_online_retail

LOG = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
C536379,22423,REGENCY CAKESTAND 3 TIER,-1,12/1/2010 9:41,12.75,14527,United Kingdom
536414,22139,,56,12/1/2010 11:52,0,,United Kingdom
536370,POST,POSTAGE,3,12/1/2010 8:45,18,12583,France
536370,22728,ALARM CLOCK BAKELIKE PINK,24,12/1/2010 8:45,0,12583,France
536371,22086,PAPER CHAIN KIT,-80,12/1/2010 9:00,2.55,13748,United Kingdom
536372,22632,HAND WARMER RED,6,not a date,1.85,17850,United Kingdom
536373,BANK CHARGES,Bank Charges,1,12/1/2010 9:02,15,16029,United Kingdom
536374,84999,Gift Voucher 40.00,1,12/1/2010 9:03,40,16029,United Kingdom
581587,22138,BAKING SET 9 PIECE,3,2011-12-09 12:50:00,4.95,12680,France
"""


def test_a_real_log_is_cleaned_and_every_drop_has_a_reason(tmp_path, knowledge):
    path = tmp_path / "online_retail.csv"
    path.write_text(LOG, encoding="utf-8")
    log = read_online_retail(path, knowledge.imports)
    assert log.rows_read == 11
    assert list(log.items) == ["85123A", "71053", "22138"]
    assert dict(log.dropped) == {
        "cancelled invoice": 1,
        "no customer id": 1,
        "not merchandise": 3,  # by code (POST, BANK CHARGES) and by name
        "price not positive": 1,
        "quantity not positive": 1,
        "unreadable date": 1,
    }
    assert log.revenue[0] == pytest.approx(6 * 2.55)
    assert "3 kept, 8 dropped" in log.summary()


def test_a_file_in_another_layout_is_refused_whole(tmp_path, knowledge):
    path = tmp_path / "other.csv"
    path.write_text("order,sku\n1,A\n", encoding="utf-8")
    with pytest.raises(LogFormatError, match="missing columns InvoiceNo"):
        read_online_retail(path, knowledge.imports)


def as_excel(path, header, text):
    """The CSV rows above as a workbook with Excel's own cell types."""
    import csv
    import datetime as dt
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        cells = []
        for name, value in zip(header, row, strict=True):
            if name == "InvoiceDate" and value[:1].isdigit():
                for fmt in ("%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S"):
                    try:
                        value = dt.datetime.strptime(value, fmt)
                        break
                    except ValueError:
                        continue
            elif name in ("Quantity", "Price", "Customer ID") and value:
                value = float(value)
            elif name == "StockCode" and value.isdigit():
                value = int(value)
            cells.append(value)
        sheet.append(cells)
    workbook.save(path)


def test_the_published_excel_workbook_with_online_retail_ii_names_reads_the_same(
    tmp_path, knowledge
):
    header = [
        "Invoice",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "Price",
        "Customer ID",
        "Country",
    ]
    path = tmp_path / "online_retail_II.xlsx"
    as_excel(path, header, LOG)
    excel = read_online_retail(path, knowledge.imports)
    csv_path = tmp_path / "online_retail.csv"
    csv_path.write_text(LOG, encoding="utf-8")
    plain = read_online_retail(csv_path, knowledge.imports)
    assert list(excel.items) == list(plain.items)
    assert list(excel.customers) == list(plain.customers)
    assert list(excel.days) == list(plain.days)
    assert dict(excel.dropped) == dict(plain.dropped)


def test_a_file_that_only_looks_like_a_workbook_is_a_clear_error(tmp_path, knowledge):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(LogFormatError, match="not a readable Excel workbook"):
        read_online_retail(path, knowledge.imports)


def test_progress_is_reported_while_reading(tmp_path, knowledge):
    path = tmp_path / "big.csv"
    body = LOG.splitlines()[1]
    path.write_text(LOG.splitlines()[0] + "\n" + (body + "\n") * 25_000)
    seen = []
    log = read_online_retail(path, knowledge.imports, progress=seen.append)
    assert sum(seen) == 20_000 and log.rows_read == 25_000
