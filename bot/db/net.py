"""Amounts net of returns, as SQL expressions every query shares.

A return is netted against the sale line it undoes (`returned_quantity`,
`returned_fen`); an order nothing of which was kept (`fully_returned`) is not a
purchase: it adds no spend, no visit and no favourite.
"""

from __future__ import annotations

from bot.db.tables import order_lines, orders

LINE_GROSS = (
    order_lines.c.quantity * order_lines.c.unit_price_fen - order_lines.c.discount_fen
)
LINE_NET = LINE_GROSS - order_lines.c.returned_fen
LINE_KEPT = order_lines.c.returned_quantity < order_lines.c.quantity
ORDER_NET = orders.c.total_fen - orders.c.returned_fen
ORDER_KEPT = orders.c.fully_returned.is_(False)
