"""How customer facts read in Chinese: the fields that fill the bot's responses."""

from __future__ import annotations

import datetime as dt

from bot.customers.card import CustomerCard
from bot.timeutil import local_date


def yuan(fen: int) -> str:
    """12345600 -> '¥123,456'; fen are shown only when there are any."""
    if fen % 100:
        return f"¥{fen / 100:,.2f}"
    return f"¥{fen // 100:,}"


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


def card_fields(card: CustomerCard) -> dict[str, str]:
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
        "spend": yuan(card.lifetime_spend_fen),
        "orders": str(card.order_count),
        "last_purchase": last,
        "top_categories": listing(card.top_categories),
        "value_label": card.value_label,
        "rfm": rfm,
        "consent": CONSENT_LABELS.get(card.consent, card.consent),
    }


def shorten(text: str, limit: int = 24) -> str:
    """Echo at most `limit` characters of what someone typed."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def history_fields(view, tz) -> dict[str, str]:
    """Slots of `say_customer_history` (view: a HistoryView)."""
    lines = [
        f"{local_date(o.ordered_at, tz)} {o.store or '线上'} {yuan(o.total_fen)}："
        + listing(
            f"{line.name}×{line.quantity}" if line.quantity > 1 else line.name
            for line in o.lines
        )
        for o in view.orders
    ]
    return {
        "name": view.masked_name,
        "orders": str(view.order_count),
        "shown": str(len(view.orders)),
        "lines": "\n".join(lines),
    }
