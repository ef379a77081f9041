import datetime as dt
import re

import pytest

from bot.importer.rows import RowError, clean, parse_customer, parse_line


def customer_row(**changes):
    row = {
        "member_no": "M00100001",
        "name": "赵敏",
        "phone": "139 1234 5678",
        "gender": "女",
        "birthday": "1990-05-01",
        "home_store": "S01",
        "joined_on": "2025/03/08",
        "marketing_consent": "是",
        "wechat_openid": "",
    }
    return clean({**row, **changes})


def line_row(**changes):
    row = {
        "order_no": "A1001",
        "line_no": "1",
        "ordered_at": "2026-10-01 14:30",
        "member_no": "M00100001",
        "phone": "",
        "store": "S01",
        "sku": "SB00001",
        "quantity": "2",
        "unit_price": "899.00",
        "discount": "100",
        "channel": "",
    }
    return clean({**row, **changes})


def test_a_valid_customer_row_is_normalised():
    record = parse_customer(customer_row())
    assert record.phone == "13912345678"
    assert record.gender == "F"
    assert record.joined_on == dt.date(2025, 3, 8)
    assert record.marketing_consent is True
    assert record.wechat_openid is None


@pytest.mark.parametrize(
    "changes, field, code",
    [
        ({"phone": "1391234567"}, "phone", "bad_phone"),
        ({"member_no": "123"}, "member_no", "bad_member_no"),
        ({"name": ""}, "name", "missing"),
        ({"joined_on": "next tuesday"}, "joined_on", "bad_date"),
        ({"gender": "x"}, "gender", "unknown"),
        ({"marketing_consent": "maybe"}, "marketing_consent", "unknown"),
    ],
)
def test_customer_rows_are_rejected_with_field_and_reason(changes, field, code):
    with pytest.raises(RowError) as error:
        parse_customer(customer_row(**changes))
    assert (error.value.field, error.value.code) == (field, code)
    assert error.value.message


def test_a_valid_transaction_line_keeps_money_in_fen():
    record = parse_line(line_row())
    assert (record.quantity, record.unit_price_fen, record.discount_fen) == (
        2,
        89900,
        10000,
    )
    assert record.ordered_at == dt.datetime(2026, 10, 1, 14, 30)
    assert record.channel == "store"


@pytest.mark.parametrize(
    "changes, field, code",
    [
        ({"quantity": "0"}, "quantity", "zero"),
        ({"quantity": "-1", "unit_price": "-5"}, "unit_price", "bad_amount"),
        ({"quantity": "1.5"}, "quantity", "not_integer"),
        ({"ordered_at": "2026-13-45"}, "ordered_at", "bad_date"),
        ({"unit_price": "abc"}, "unit_price", "bad_amount"),
        ({"discount": "5000"}, "unit_price", "bad_amount"),
        ({"member_no": "", "phone": ""}, "member_no", "missing"),
        ({"channel": "fax"}, "channel", "unknown"),
        ({"line_no": "0"}, "line_no", "not_positive"),
    ],
)
def test_transaction_lines_are_rejected_with_field_and_reason(changes, field, code):
    with pytest.raises(RowError) as error:
        parse_line(line_row(**changes))
    assert (error.value.field, error.value.code) == (field, code)


def test_a_negative_line_or_a_cancellation_invoice_is_a_return_of_that_many():
    cancelled = re.compile(r"^C\d+$")
    negative = parse_line(line_row(quantity="-2"))
    assert (negative.is_return, negative.quantity) == (True, 2)
    invoice = parse_line(line_row(order_no="C536379", quantity="-1"), cancelled)
    assert (invoice.is_return, invoice.quantity) == (True, 1)
    marked = parse_line(line_row(order_no="C536380"), cancelled)
    assert marked.is_return  # the export marks the invoice, whatever its sign
    assert not parse_line(line_row(order_no="C536380")).is_return  # no rule: a sale
    assert not parse_line(
        line_row(order_no="CN2026", quantity="1"), cancelled
    ).is_return
    returned = parse_line(line_row(original_order_no="T1"), returns=True)
    assert (returned.is_return, returned.original_order_no) == (True, "T1")
    assert parse_line(line_row(original_order_no="T1")).original_order_no is None


def test_an_export_without_line_numbers_leaves_them_to_the_loader():
    assert parse_line(line_row(line_no="")).line_no is None


def test_clean_folds_full_width_text_and_header_case():
    assert clean({" Quantity ": "２"}) == {"quantity": "2"}
