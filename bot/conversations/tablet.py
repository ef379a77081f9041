"""When a tablet's message starts a conversation of its own.

A clerk serves one customer after another on one tablet. Each customer gets her own
bot conversation: `下一位顾客` starts one, and so does naming a customer (a phone or
member number) once the conversation has gone quiet for a while or grown long.
Rasa reads and featurises a whole conversation every turn, so a tablet that kept
one conversation through a busy day got slower by the hour; and the customer before
is no context for the next one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.customers.identifiers import names_a_customer


@dataclass(frozen=True)
class TabletBound:
    idle_minutes: float
    max_turns: int


def starts_over(
    message: str, turns: int, quiet_for: dt.timedelta, bound: TabletBound
) -> bool:
    """`turns` clerk messages so far in the conversation, the last `quiet_for` ago."""
    if turns == 0 or not names_a_customer(message):
        return False
    quiet = quiet_for >= dt.timedelta(minutes=bound.idle_minutes)
    return quiet or turns >= bound.max_turns
