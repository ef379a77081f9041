"""The conversation summaries table: written as conversations happen, read by the
managers' list, CSV and charts. Repositories never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import case, delete, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from bot.conversations.summary import Summary
from bot.db import tables as t
from bot.identity.senders import openid_of

LOW_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Where:
    """Which summaries: a conversation with a user message between `start` and
    `end` (naive UTC, end excluded) overlaps them; `store_ids` None for every store."""

    start: dt.datetime
    end: dt.datetime
    store_ids: Sequence[int] | None = None
    channel: str | None = None
    store_id: int | None = None
    staff: str | None = None
    segment: str | None = None
    intent: str | None = None
    low_confidence: bool = False
    fallback: bool = False
    handoff: bool = False


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).replace(tzinfo=None)


def _epoch(at: dt.datetime) -> float:
    return at.replace(tzinfo=dt.timezone.utc).timestamp()


class SummaryStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self, sender_id: str, lock: bool = False) -> Summary | None:
        s = t.conversation_summaries
        query = select(s).where(s.c.sender_id == sender_id)
        if lock and self._c.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return None if row is None else _summary(row)

    def resolve(
        self, customer_ids: Sequence[int], openid: str | None
    ) -> tuple[int | None, int | None, str | None]:
        """(her id, her home store, her latest segment key) for the first customer
        in context, or the one bound to the WeChat openid."""
        people, snaps = t.customers, t.segment_snapshots
        found = None
        if customer_ids:
            found = self._c.execute(
                select(people.c.id, people.c.home_store_id).where(
                    people.c.id == customer_ids[0]
                )
            ).first()
        if found is None and openid:
            found = self._c.execute(
                select(people.c.id, people.c.home_store_id).where(
                    people.c.wechat_openid == openid
                )
            ).first()
        if found is None:
            return None, None, None
        segment = self._c.execute(
            select(snaps.c.segment)
            .where(snaps.c.customer_id == found.id)
            .order_by(snaps.c.as_of.desc())
            .limit(1)
        ).scalar()
        return found.id, found.home_store_id, segment

    def put(
        self,
        summary: Summary,
        store_id: int | None,
        customer_id: int | None,
        segment: str | None,
    ) -> None:
        values = {
            "channel": summary.channel[:32],
            "started_at": _utc(summary.started),
            "last_at": _utc(summary.last),
            "user_turns": summary.user_turns,
            "intents": " " + " ".join(summary.intents) + " " if summary.intents else "",
            "lowest_confidence": summary.lowest_confidence,
            "fallback": summary.fallback,
            "handoff": summary.handoff,
            "staff": summary.staff[:64] if summary.staff else None,
            "staff_id": summary.staff_id,
            "staff_store_id": summary.store_id,
            "store_id": store_id,
            "customer_id": customer_id,
            "customer_ids": " ".join(str(c) for c in summary.customer_ids),
            "segment": segment,
        }
        dialect = postgresql if self._c.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(t.conversation_summaries).values(
            sender_id=summary.sender_id, **values
        )
        self._c.execute(
            statement.on_conflict_do_update(index_elements=["sender_id"], set_=values)
        )
        if summary.intents:
            rows = [
                {"sender_id": summary.sender_id, "intent": intent[:128]}
                for intent in summary.intents
            ]
            self._c.execute(
                dialect.insert(t.conversation_intents)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["sender_id", "intent"])
            )

    def count(self, where: Where) -> int:
        s = t.conversation_summaries
        return self._c.execute(
            select(func.count()).select_from(s).where(*_conditions(where))
        ).scalar_one()

    def page(self, where: Where, offset: int = 0, limit: int | None = None):
        """Newest first, with the customer's name and the store's name."""
        s, people, stores = t.conversation_summaries, t.customers, t.stores
        query = (
            select(
                s,
                people.c.name.label("customer_name"),
                stores.c.name.label("store_name"),
            )
            .select_from(
                s.outerjoin(people, s.c.customer_id == people.c.id).outerjoin(
                    stores, s.c.store_id == stores.c.id
                )
            )
            .where(*_conditions(where))
            .order_by(s.c.started_at.desc(), s.c.sender_id)
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        return self._c.execute(query)

    def per_day(self, where: Where, offset_hours: float):
        """(local day, channel, conversations, with fallback, with handoff) by day of
        the first message; `offset_hours` is the business time zone's UTC offset."""
        s = t.conversation_summaries
        day = _local_day(self._c, s.c.started_at, offset_hours)
        return self._c.execute(
            select(
                day.label("day"),
                s.c.channel,
                func.count(),
                func.sum(case((s.c.fallback, 1), else_=0)),
                func.sum(case((s.c.handoff, 1), else_=0)),
            )
            .where(*_conditions(where))
            .group_by(day, s.c.channel)
            .order_by(day)
        ).all()

    def top_intents(self, where: Where, limit: int) -> list[tuple[str, int]]:
        """(intent, conversations) most frequent first."""
        s, i = t.conversation_summaries, t.conversation_intents
        n = func.count()
        return [
            (intent, int(count))
            for intent, count in self._c.execute(
                select(i.c.intent, n)
                .select_from(i.join(s, i.c.sender_id == s.c.sender_id))
                .where(*_conditions(where))
                .group_by(i.c.intent)
                .order_by(n.desc(), i.c.intent)
                .limit(limit)
            )
        ]

    def delete_senders(self, senders: Iterable[str]) -> int:
        wanted = list(senders)
        s = t.conversation_summaries
        done = 0
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            intents = t.conversation_intents
            self._c.execute(delete(intents).where(intents.c.sender_id.in_(part)))
            done += self._c.execute(delete(s).where(s.c.sender_id.in_(part))).rowcount
        return done

    def ended_before(self, cutoff: dt.datetime) -> int:
        s, i = t.conversation_summaries, t.conversation_intents
        ended = select(s.c.sender_id).where(s.c.last_at < cutoff)
        self._c.execute(delete(i).where(i.c.sender_id.in_(ended)))
        return self._c.execute(delete(s).where(s.c.last_at < cutoff)).rowcount

    def spanning(self, cutoff: dt.datetime) -> list[str]:
        """Conversations that began before `cutoff` and went on after it."""
        s = t.conversation_summaries
        return list(
            self._c.execute(
                select(s.c.sender_id).where(
                    s.c.started_at < cutoff, s.c.last_at >= cutoff
                )
            ).scalars()
        )


def _local_day(connection: Connection, column, offset_hours: float):
    if connection.dialect.name == "postgresql":
        return func.to_char(
            column + func.make_interval(0, 0, 0, 0, 0, 0, offset_hours * 3600),
            "YYYY-MM-DD",
        )
    return func.strftime("%Y-%m-%d", column, f"{offset_hours * 60:+.0f} minutes")


def _conditions(w: Where) -> list:
    s = t.conversation_summaries
    found = [s.c.started_at < w.end, s.c.last_at >= w.start]
    if w.store_ids is not None:
        found.append(s.c.store_id.in_(list(w.store_ids)))
    if w.channel:
        found.append(s.c.channel == w.channel)
    if w.store_id is not None:
        found.append(s.c.store_id == w.store_id)
    if w.staff:
        found.append(s.c.staff == w.staff)
    if w.segment:
        found.append(s.c.segment == w.segment)
    if w.intent:  # an alias: the intent counts join the same table
        i = t.conversation_intents.alias("wanted")
        found.append(
            exists().where(i.c.sender_id == s.c.sender_id, i.c.intent == w.intent)
        )
    if w.low_confidence:
        found.append(s.c.lowest_confidence < LOW_CONFIDENCE)
    if w.fallback:
        found.append(s.c.fallback)
    if w.handoff:
        found.append(s.c.handoff)
    return found


def _summary(row: Row) -> Summary:
    return Summary(
        sender_id=row.sender_id,
        channel=row.channel,
        started=_epoch(row.started_at),
        last=_epoch(row.last_at),
        user_turns=row.user_turns,
        intents=tuple(row.intents.split()),
        lowest_confidence=row.lowest_confidence,
        fallback=bool(row.fallback),
        handoff=bool(row.handoff),
        staff=row.staff,
        store_id=row.staff_store_id,
        staff_id=row.staff_id,
        customer_ids=tuple(int(c) for c in row.customer_ids.split()),
        openid=openid_of(row.sender_id),
    )
