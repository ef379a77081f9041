"""Outcome of care messages: sent, converted, and uplift against the holdout.

A message converts when its customer orders within `conversion_days` of it (sent at,
or for a holdout the time it would have gone out). Uplift is the conversion rate of
the messages sent minus that of the holdout of the same campaign, in points: the
holdout was picked at random per campaign, so the difference is the message's effect.
A message sent is replied to when its customer writes to the shop on WeChat (text,
picture, voice; not menu clicks or follow events) within `reply_hours` of it.
By route: how the messages sent went out (customer service, template, subscribe,
or by her clerk: an `associate` task the clerk marked sent).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.engine import Engine

from bot.db import tables as t
from bot.db.net import ORDER_KEPT
from bot.db.repositories import home_customers
from bot.timeutil import utcnow

REPLY_KINDS = ("text", "image", "voice", "video", "shortvideo", "location", "link")


@dataclass(frozen=True)
class OutcomeRow:
    group: str
    sent: int
    converted: int
    holdout: int
    holdout_converted: int
    replied: int = 0

    @property
    def reply_rate(self) -> float:
        return self.replied / self.sent if self.sent else 0.0

    @property
    def rate(self) -> float:
        return self.converted / self.sent if self.sent else 0.0

    @property
    def holdout_rate(self) -> float:
        return self.holdout_converted / self.holdout if self.holdout else 0.0

    @property
    def uplift(self) -> float | None:
        """Points of conversion the message added; None without both groups."""
        if not self.sent or not self.holdout:
            return None
        return 100 * (self.rate - self.holdout_rate)


@dataclass(frozen=True)
class CareOutcomes:
    days: int
    conversion_days: int
    reply_hours: int
    by: dict[str, tuple[OutcomeRow, ...]]


def care_outcomes(
    engine: Engine,
    conversion_days: int,
    days: int,
    now: dt.datetime | None = None,
    reply_hours: int = 48,
    store_id: int | None = None,
) -> CareOutcomes:
    """Of the messages due in the last `days` days; of the customers of one home
    store when `store_id` is given."""
    now = now or utcnow()
    box, orders, snap = t.care_outbox, t.orders, t.segment_snapshots
    inbound = t.inbound_messages
    moment = func.coalesce(box.c.sent_at, box.c.scheduled_at)

    def before_end(column, amount: int, unit: str):
        if engine.dialect.name == "postgresql":
            return column < moment + dt.timedelta(**{unit: amount})
        return column < func.datetime(moment, f"+{amount} {unit}")

    converted = exists().where(
        orders.c.customer_id == box.c.customer_id,
        ORDER_KEPT,
        orders.c.ordered_at >= moment,
        before_end(orders.c.ordered_at, conversion_days, "days"),
    )
    replied = exists().where(
        inbound.c.customer_id == box.c.customer_id,
        inbound.c.kind.in_(REPLY_KINDS),
        inbound.c.received_at >= moment,
        before_end(inbound.c.received_at, reply_hours, "hours"),
    )
    latest = select(func.max(snap.c.as_of)).scalar_subquery()
    query = (
        select(
            box.c.trigger,
            box.c.status,
            func.coalesce(snap.c.segment, "-"),
            func.coalesce(box.c.route, "-"),
            converted,
            replied,
        )
        .select_from(
            box.outerjoin(
                snap,
                and_(snap.c.customer_id == box.c.customer_id, snap.c.as_of == latest),
            )
        )
        .where(
            box.c.status.in_(("sent", "holdout")),
            box.c.scheduled_at >= now - dt.timedelta(days=days),
            box.c.scheduled_at <= now,
        )
    )
    if store_id is not None:
        query = query.where(box.c.customer_id.in_(home_customers(store_id)))
    counts: dict[str, dict[str, list[int]]] = {
        "trigger": {},
        "segment": {},
        "route": {},
    }
    with engine.connect() as conn:
        for trigger, status, segment, route, bought, answered in conn.execute(query):
            cell = 0 if status == "sent" else 2
            groups = [("trigger", trigger), ("segment", segment)]
            if status == "sent":  # the holdout took no route
                groups.append(("route", route))
            for grouping, key in groups:
                row = counts[grouping].setdefault(key, [0, 0, 0, 0, 0])
                row[cell] += 1
                row[cell + 1] += int(bool(bought))
                row[4] += int(status == "sent" and bool(answered))
    return CareOutcomes(
        days,
        conversion_days,
        reply_hours,
        {
            grouping: tuple(
                OutcomeRow(key, *values) for key, values in sorted(groups.items())
            )
            for grouping, groups in counts.items()
        },
    )
