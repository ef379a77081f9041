"""Row validation for CSV imports: pure functions, one per file kind.

Each returns a record or raises `RowError(field, code, message)`; the loader turns
errors into lines of the rejection report.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from bot.customers.identifiers import (
    IdentifierError,
    normalise_member_no,
    normalise_phone,
)
from bot.knowledge.loader import yuan_to_fen

CUSTOMER_COLUMNS = (
    "member_no",
    "name",
    "phone",
    "gender",
    "birthday",
    "home_store",
    "joined_on",
    "marketing_consent",
    "wechat_openid",
)
TRANSACTION_COLUMNS = (
    "order_no",
    "line_no",
    "ordered_at",
    "member_no",
    "phone",
    "store",
    "sku",
    "quantity",
    "unit_price",
    "discount",
    "channel",
    "original_order_no",
)
_TRUE = {"1", "true", "yes", "y", "是", "同意"}
_FALSE = {"0", "false", "no", "n", "否", "不同意", ""}
_GENDERS = {"f": "F", "女": "F", "m": "M", "男": "M", "u": "U", "": "U", "未知": "U"}
_CHANNELS = {"store", "wechat", "online"}
_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
)


class RowError(ValueError):
    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CustomerRecord:
    member_no: str
    name: str
    phone: str | None
    gender: str
    birthday: dt.date | None
    home_store: str | None
    joined_on: dt.date
    marketing_consent: bool
    wechat_openid: str | None


@dataclass(frozen=True, slots=True)
class LineRecord:
    """A sale line, or (`is_return`) a return or cancellation line: its quantity is
    then what came back, as a positive count; `original_order_no` is the sale it
    undoes when the export says so. `line_no` is None when the export numbers no
    lines (the loader numbers them in file order)."""

    order_no: str
    line_no: int | None
    ordered_at: dt.datetime
    member_no: str | None
    phone: str | None
    store: str | None
    sku: str
    quantity: int
    unit_price_fen: int
    discount_fen: int
    channel: str
    is_return: bool = False
    original_order_no: str | None = None


def clean(row: dict[str, str | None]) -> dict[str, str]:
    return {
        (key or "").strip().lower(): unicodedata.normalize("NFKC", value or "").strip()
        for key, value in row.items()
    }


def parse_customer(row: dict[str, str]) -> CustomerRecord:
    name = _required(row, "name")
    if len(name) > 32:
        raise RowError("name", "too_long", "姓名超过32个字符")
    return CustomerRecord(
        member_no=_member_no(_required(row, "member_no")),
        name=name,
        phone=_phone(row.get("phone", "")) if row.get("phone") else None,
        gender=_choice(row, "gender", _GENDERS),
        birthday=_date(row, "birthday") if row.get("birthday") else None,
        home_store=row.get("home_store") or None,
        joined_on=_date(row, "joined_on"),
        marketing_consent=_flag(row, "marketing_consent"),
        wechat_openid=row.get("wechat_openid") or None,
    )


def parse_line(
    row: dict[str, str], cancelled: re.Pattern | None = None, returns: bool = False
) -> LineRecord:
    """A negative quantity, an order number that `cancelled` matches (the export's
    mark of a cancellation invoice) or a file of `returns` makes a return line."""
    member_no = _member_no(row["member_no"]) if row.get("member_no") else None
    phone = _phone(row["phone"]) if row.get("phone") else None
    if not member_no and not phone:
        raise RowError("member_no", "missing", "缺少会员号或手机号")
    order_no = _required(row, "order_no")
    quantity = _int(row, "quantity")
    if quantity == 0:
        raise RowError("quantity", "zero", "数量为0")
    is_return = (
        returns
        or quantity < 0
        or bool(cancelled is not None and cancelled.search(order_no))
    )
    quantity = abs(quantity)
    price = _money(row, "unit_price")
    discount = _money(row, "discount") if row.get("discount") else 0
    if price < 0 or discount < 0 or discount > price * quantity:
        raise RowError("unit_price", "bad_amount", "单价或折扣金额不合理")
    channel = (row.get("channel") or "store").lower()
    if channel not in _CHANNELS:
        raise RowError(
            "channel", "unknown", f"未知渠道 {channel} (store/wechat/online)"
        )
    line_no = _int(row, "line_no") if row.get("line_no") else None
    if line_no is not None and line_no <= 0:
        raise RowError("line_no", "not_positive", "行号必须为正数")
    return LineRecord(
        order_no=order_no,
        line_no=line_no,
        ordered_at=_datetime(row, "ordered_at"),
        member_no=member_no,
        phone=phone,
        store=row.get("store") or None,
        sku=_required(row, "sku"),
        quantity=quantity,
        unit_price_fen=price,
        discount_fen=discount,
        channel=channel,
        is_return=is_return,
        original_order_no=(row.get("original_order_no") or None) if is_return else None,
    )


def _required(row: dict[str, str], field: str) -> str:
    value = row.get(field, "")
    if not value:
        raise RowError(field, "missing", f"缺少必填字段 {field}")
    return value


def _member_no(text: str) -> str:
    try:
        return normalise_member_no(text)
    except IdentifierError as exc:
        raise RowError(
            "member_no", "bad_member_no", f"会员号格式错误: {text} (应为M加8位数字)"
        ) from exc


def _phone(text: str) -> str:
    try:
        return normalise_phone(text)
    except IdentifierError as exc:
        if exc.code == "phone_length":
            message = f"手机号应为11位数字, 实为{exc.detail}位: {text}"
        else:
            message = f"不是有效的中国大陆手机号: {text}"
        raise RowError("phone", "bad_phone", message) from exc


def _choice(row: dict[str, str], field: str, allowed: dict[str, str]) -> str:
    value = row.get(field, "").lower()
    if value not in allowed:
        raise RowError(field, "unknown", f"{field} 的值无法识别: {value}")
    return allowed[value]


def _flag(row: dict[str, str], field: str) -> bool:
    value = row.get(field, "").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise RowError(field, "unknown", f"{field} 应为 1/0 或 是/否: {value}")


def _int(row: dict[str, str], field: str) -> int:
    try:
        return int(_required(row, field))
    except ValueError as exc:
        raise RowError(
            field, "not_integer", f"{field} 不是整数: {row.get(field)}"
        ) from exc


def _money(row: dict[str, str], field: str) -> int:
    try:
        return yuan_to_fen(_required(row, field))
    except ValueError as exc:
        raise RowError(
            field, "bad_amount", f"{field} 不是金额: {row.get(field)}"
        ) from exc


def _date(row: dict[str, str], field: str) -> dt.date:
    return _datetime(row, field).date()


def _datetime(row: dict[str, str], field: str) -> dt.datetime:
    text = _required(row, field)
    for fmt in _DATETIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise RowError(field, "bad_date", f"无法解析的日期: {text}")
