"""What the clerk's tablet shows beside the chat: the card of the customer in
context, her segment, preferences, the last suggestions (with their ids, for one-tap
outcomes) and her due care messages. Plain data for the web adapter; every part is
read through the services that audit it."""

from __future__ import annotations

from typing import Any

from bot.customers.present import card_fields
from bot.locale.zh.clv import basis_note
from bot.locale.zh.money import estimate
from bot.segments.explain import labels, preference_fields
from bot.services.customers import Actor


def panel(services, customer_id: int, actor: Actor) -> dict[str, Any]:
    card = services.customers.card(customer_id, actor)
    insight = services.customers.insight(customer_id, actor, "console_panel")
    snapshot = insight.snapshot
    found = labels(snapshot, services.knowledge.segments) if snapshot else None
    currency = services.knowledge.currency
    prefs = preference_fields(
        card.masked_name, snapshot, insight.noted, insight.price_band_fen, currency
    )
    last = services.recommendations.last_answer(customer_id, actor)
    care = services.care.followups(customer_id, actor)
    return {
        "customer_id": customer_id,
        "card": card_fields(card, currency),
        "segment": found,
        "clv": estimate(snapshot["clv_fen"], currency)
        if snapshot and snapshot.get("clv_fen")
        else None,
        "clv_basis": basis_note(((snapshot or {}).get("details") or {}).get("clv", {})),
        "preferences": {k: v for k, v in prefs.items() if k != "name"},
        "suggestions": [
            {
                "id": s.id,
                "name": s.name,
                "reason": s.reason,
                "outcome": s.outcome,
            }
            for s in last.items
        ],
        "care": [
            {
                "day": f"{item.day.month}月{item.day.day}日",
                "label": item.label(),
                "body": item.body,
            }
            for item in care.items[:5]
        ],
    }
