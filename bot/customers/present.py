"""How customer facts read in Chinese: the fields that fill the bot's responses."""

from __future__ import annotations

import datetime as dt

from bot.customers.card import CustomerCard
from bot.knowledge.schema import Currency
from bot.locale.zh.money import money
from bot.timeutil import local_date


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else "无"


def listing(names, empty: str = "暂无") -> str:
    names = [name for name in names if name]
    return "、".join(names) if names else empty


CONSENT_LABELS = {
    "all": "接收营销和服务消息",
    "service_only": "只接收服务消息（已退订营销）",
    "none": "已退订全部消息，不能给她发提醒",
}


def card_fields(card: CustomerCard, currency: Currency) -> dict[str, str]:
    """Slots of the `say_customer_card` response."""
    if card.last_purchase is None:
        last = "尚未购买"
    else:
        counted = f"，截至{day(card.counted_to)}" if card.counted_to else ""
        days = card.days_since_last_purchase
        last = f"{day(card.last_purchase)}（{days}天前{counted}）"
    rfm = f"R{card.rfm.r} F{card.rfm.f} M{card.rfm.m}" if card.rfm else "无购买记录"
    return {
        "name": card.masked_name,
        "member_no": card.member_no,
        "phone": card.masked_phone,
        "level": card.level,
        "store": card.home_store or "未指定",
        "spend": money(card.lifetime_spend_fen, currency),
        "orders": str(card.order_count),
        "last_purchase": last,
        "top_categories": listing(card.top_categories),
        "value_label": card.value_label,
        "rfm": rfm,
        "consent": CONSENT_LABELS.get(card.consent, card.consent),
        "salutation": card.salutation or card.masked_name,
        "birthday": _birthday(card),
    }


def _birthday(card: CustomerCard) -> str:
    """'4月5日（还有11天）' when her birthday is soon, else ''."""
    if card.birthday is None:
        return ""
    days = card.days_to_birthday
    until = "就是今天" if days == 0 else f"还有{days}天"
    return f"{card.birthday.month}月{card.birthday.day}日（{until}）"


def shorten(text: str, limit: int = 24) -> str:
    """Echo at most `limit` characters of what someone typed."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _order_amount(order, currency: Currency) -> str:
    if order.fully_returned:
        return f"{money(order.total_fen, currency)}（已全部退货）"
    if order.returned_fen:
        back = money(order.returned_fen, currency)
        return f"{money(order.net_fen, currency)}（已退{back}）"
    return money(order.total_fen, currency)


def _line(line) -> str:
    text = f"{line.name}×{line.quantity}" if line.quantity > 1 else line.name
    if line.returned >= line.quantity:
        return f"{text}（已退）"
    if line.returned:
        return f"{text}（退{line.returned}件）"
    return text


def history_fields(view, tz, currency: Currency) -> dict[str, str]:
    """Slots of `say_customer_history` (view: a HistoryView)."""
    lines = [
        f"{local_date(o.ordered_at, tz)} {o.store or '线上'} "
        f"{_order_amount(o, currency)}：" + listing(_line(line) for line in o.lines)
        for o in view.orders
    ]
    return {
        "name": view.masked_name,
        "orders": str(view.order_count),
        "shown": str(len(view.orders)),
        "lines": "\n".join(lines),
    }
