"""Conversation logs for managers: list with filters, masked transcripts, CSV,
corrections of misunderstood turns, retention.

A manager sees the conversations of her own store (the clerk's store on the console,
the customer's home store on WeChat); head office sees all. Names and phone numbers
are masked in everything shown or exported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.conversations.summary import Summary, Turn, summarize, transcript
from bot.customers.masking import mask_name, mask_text
from bot.db import tables as t
from bot.db.handoff_store import HandoffStore
from bot.db.staff_store import StaffStore
from bot.db.summary_store import SummaryStore, Where
from bot.db.tracker_store import TrackerStore
from bot.db.uow import UnitOfWork
from bot.services.common import audit
from bot.services.customers import Actor
from bot.timeutil import local_datetime, local_to_utc, utcnow


class NotYours(PermissionError):
    """The conversation belongs to another store."""


@dataclass(frozen=True)
class Viewer:
    staff_id: int
    username: str
    role: str
    store_id: int | None

    @property
    def head_office(self) -> bool:
        return self.role == "head_office"

    def actor(self) -> Actor:
        return Actor(
            f"console:{self.username}", "console", self.username, self.staff_id
        )


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date  # inclusive
    channel: str | None = None
    store_id: int | None = None
    staff: str | None = None
    segment: str | None = None
    intent: str | None = None
    low_confidence: bool = False
    fallback: bool = False
    handoff: bool = False


@dataclass(frozen=True)
class Row:
    sender_id: str
    channel: str
    started: dt.datetime
    turns: int
    intents: tuple[str, ...]
    customer: str
    segment: str
    store: str
    staff: str
    lowest_confidence: float | None
    fallback: bool
    handoff: bool


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    offset: int


@dataclass(frozen=True)
class TranscriptView:
    row: Row
    turns: tuple[Turn, ...]
    flagged: dict[int, str] = field(default_factory=dict)
    suggestions: tuple[tuple[str, str, str | None], ...] = ()  # product, kind, outcome


@dataclass(frozen=True)
class _People:
    names: dict[int, str]
    stores: dict[int, int | None]
    segments: dict[int, str]
    by_openid: dict[str, int]
    store_names: dict[int, str]


class ConversationLog:
    def __init__(
        self,
        engine: Engine,
        tracker: TrackerStore,
        tz: ZoneInfo,
        intents: Iterable[str],
        clock: Callable[[], dt.datetime] = utcnow,
        segment_names: dict[str, str] | None = None,
    ) -> None:
        self._engine = engine
        self._tracker = tracker
        self._tz = tz
        self._intents = frozenset(intents)
        self._clock = clock
        self._segment_names = segment_names or {}

    @property
    def tracker(self) -> TrackerStore:
        return self._tracker

    def stores(self, viewer: Viewer) -> list[tuple[int, str]]:
        """(id, name) of the stores this viewer may filter by: all for head office,
        her own otherwise."""
        with self._engine.connect() as conn:
            return StaffStore(conn).stores(
                None if viewer.head_office else viewer.store_id
            )

    def rows(
        self,
        viewer: Viewer,
        filters: Filters,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Row]:
        """The conversations this viewer may read that match, newest first (from
        the summaries the tracker store writes as conversations happen)."""
        return self.page(viewer, filters, offset, limit).rows

    def page(
        self,
        viewer: Viewer,
        filters: Filters,
        offset: int = 0,
        limit: int | None = None,
    ) -> Page:
        where = self.where(viewer, filters)
        with UnitOfWork(self._engine) as uow:
            if where is None:
                rows, total = [], 0
            else:
                store = SummaryStore(uow.connection)
                total = store.count(where)
                rows = [self._listed(r) for r in store.page(where, offset, limit)]
            audit(
                uow, self._clock(), viewer.actor(), "read_logs", None, {"n": len(rows)}
            )
            uow.commit()
        return Page(rows, total, offset)

    def where(self, viewer: Viewer, filters: Filters) -> Where | None:
        """The summaries' query for these filters as this viewer may see them; None
        when she may see none."""
        if not viewer.head_office and viewer.role != "manager":
            return None
        if not viewer.head_office and viewer.store_id is None:
            return None
        start = dt.datetime.combine(filters.start, dt.time())
        end = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time())
        segment = filters.segment
        by_name = {name: key for key, name in self._segment_names.items()}
        segment = by_name.get(segment, segment)
        return Where(
            start=local_to_utc(start, self._tz),
            end=local_to_utc(end, self._tz),
            store_ids=None if viewer.head_office else [viewer.store_id],
            channel=filters.channel,
            store_id=filters.store_id,
            staff=filters.staff,
            segment=segment,
            intent=filters.intent,
            low_confidence=filters.low_confidence,
            fallback=filters.fallback,
            handoff=filters.handoff,
        )

    def _listed(self, r) -> Row:
        segment = r.segment or "-"
        return Row(
            sender_id=r.sender_id,
            channel=r.channel,
            started=local_datetime(r.started_at, self._tz),
            turns=r.user_turns,
            intents=tuple(r.intents.split()),
            customer=mask_name(r.customer_name) if r.customer_name else "-",
            segment=self._segment_names.get(segment, segment),
            store=r.store_name or "-",
            staff=r.staff or "-",
            lowest_confidence=r.lowest_confidence,
            fallback=bool(r.fallback),
            handoff=bool(r.handoff),
        )

    def transcript(self, viewer: Viewer, sender_id: str) -> TranscriptView:
        summary, people, store_id, turns = self._readable(viewer, sender_id)
        customers = _customers(summary, people)
        with UnitOfWork(self._engine) as uow:
            flagged = dict(
                uow.connection.execute(
                    select(
                        t.nlu_corrections.c.event_id, t.nlu_corrections.c.correct_intent
                    ).where(t.nlu_corrections.c.sender_id == sender_id)
                ).all()
            )
            for customer_id in customers:
                audit(
                    uow, self._clock(), viewer.actor(), "read_transcript", customer_id
                )
            shown = _suggestions(uow, customers, summary)
            uow.commit()
        row = self._row(summary, people, store_id)
        return TranscriptView(row, turns, flagged, shown)

    def _readable(self, viewer: Viewer, sender_id: str):
        """(summary, people, store, masked turns) of a conversation this viewer may
        read; LookupError or NotYours otherwise."""
        events = self._tracker.events_of([sender_id]).get(sender_id, [])
        summary = summarize(sender_id, events)
        if summary is None:
            raise LookupError(f"no conversation {sender_id!r}")
        people = self._people([summary])
        store_id = self._store_of(summary, people)
        if not self._may_read(viewer, store_id):
            raise NotYours(sender_id)
        names = [
            people.names[c] for c in _customers(summary, people) if c in people.names
        ]
        turns = tuple(
            Turn(
                turn.event_id,
                turn.at,
                turn.author,
                mask_text(turn.text, names),
                turn.intent,
                turn.confidence,
                turn.actions,
            )
            for turn in transcript(events)
        )
        handed = self._handoff_turns(sender_id, names)
        turns = tuple(sorted((*turns, *handed), key=lambda turn: turn.at))
        return summary, people, store_id, turns

    def _handoff_turns(self, sender_id: str, names: list[str]) -> tuple[Turn, ...]:
        """What she wrote to the clerks and what they replied while her
        conversation waited in the handoff queue (the bot was silent then). The
        messages copied into the queue when it opened are already turns."""
        with self._engine.connect() as conn:
            rows = HandoffStore(conn).said_while_waiting(sender_id)
        return tuple(
            Turn(
                -row.id,
                row.at.replace(tzinfo=dt.timezone.utc).timestamp(),
                "clerk" if row.author == "staff" else "customer",
                mask_text(row.body, names),
                handoff=True,
            )
            for row in rows
        )

    def flag(
        self, viewer: Viewer, sender_id: str, event_id: int, correct_intent: str
    ) -> None:
        """Mark a user turn as misunderstood; `correct_intent` must be a known one.
        The turn is kept as the manager read it (masked)."""
        if not correct_intent:
            raise ValueError("请先选择正确的意图")
        if correct_intent not in self._intents:
            raise ValueError(f"没有这个意图：{correct_intent}")
        *_, turns = self._readable(viewer, sender_id)
        turn = next(
            (x for x in turns if x.event_id == event_id and x.author != "bot"),
            None,
        )
        if turn is None:
            raise LookupError("这段对话里没有这句话")
        if correct_intent == turn.intent:
            # written out as training data, it would teach the model nothing new
            raise ValueError("正确的意图和机器人的判断相同，不是理解错误")
        try:
            with UnitOfWork(self._engine) as uow:
                uow.connection.execute(
                    insert(t.nlu_corrections).values(
                        sender_id=sender_id,
                        event_id=event_id,
                        text=turn.text,
                        predicted_intent=turn.intent,
                        correct_intent=correct_intent,
                        staff_id=viewer.staff_id,
                        created_at=self._clock(),
                    )
                )
                audit(uow, self._clock(), viewer.actor(), "flag_turn", None)
                uow.commit()
        except IntegrityError:
            raise ValueError("这句话已经标记过了") from None

    def csv(self, viewer: Viewer, filters: Filters) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "conversation",
                "channel",
                "started",
                "turns",
                "intents",
                "customer",
                "segment",
                "store",
                "staff",
                "lowest_confidence",
                "fallback",
                "handoff",
            ]
        )
        for r in self.rows(viewer, filters):
            writer.writerow(
                [
                    r.sender_id,
                    r.channel,
                    f"{r.started:%Y-%m-%d %H:%M}",
                    r.turns,
                    " ".join(r.intents),
                    r.customer,
                    r.segment,
                    r.store,
                    r.staff,
                    "" if r.lowest_confidence is None else f"{r.lowest_confidence:.2f}",
                    int(r.fallback),
                    int(r.handoff),
                ]
            )
        return out.getvalue()

    def _may_read(self, viewer: Viewer, store_id: int | None) -> bool:
        if viewer.head_office:
            return True
        if viewer.role != "manager":
            return False
        return store_id is not None and store_id == viewer.store_id

    def _people(self, summaries: list[Summary]) -> _People:
        ids = {c for s in summaries for c in s.customer_ids}
        openids = {s.openid for s in summaries if s.openid}
        people, snaps = t.customers, t.segment_snapshots
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    people.c.id,
                    people.c.name,
                    people.c.home_store_id,
                    people.c.wechat_openid,
                ).where(people.c.id.in_(ids) | people.c.wechat_openid.in_(openids))
            ).all()
            found = {r.id for r in rows}
            latest = select(snaps.c.customer_id, snaps.c.segment, snaps.c.as_of).where(
                snaps.c.customer_id.in_(found)
            )
            segments: dict[int, tuple] = {}
            for customer_id, segment, as_of in conn.execute(latest):
                if customer_id not in segments or as_of > segments[customer_id][1]:
                    segments[customer_id] = (segment, as_of)
            stores = dict(conn.execute(select(t.stores.c.id, t.stores.c.name)).all())
        return _People(
            names={r.id: r.name for r in rows},
            stores={r.id: r.home_store_id for r in rows},
            segments={k: v[0] for k, v in segments.items()},
            by_openid={r.wechat_openid: r.id for r in rows if r.wechat_openid},
            store_names=stores,
        )

    @staticmethod
    def _store_of(summary: Summary, people: _People) -> int | None:
        if summary.store_id is not None:
            return summary.store_id
        for customer_id in _customers(summary, people):
            if people.stores.get(customer_id) is not None:
                return people.stores[customer_id]
        return None

    def _row(self, summary: Summary, people: _People, store_id: int | None) -> Row:
        customers = _customers(summary, people)
        first = customers[0] if customers else None
        segment = people.segments.get(first, "-") if first else "-"
        started = dt.datetime.fromtimestamp(summary.started, self._tz).replace(
            tzinfo=None
        )
        return Row(
            sender_id=summary.sender_id,
            channel=summary.channel,
            started=started,
            turns=summary.user_turns,
            intents=summary.intents,
            customer=mask_name(people.names[first]) if first in people.names else "-",
            segment=self._segment_names.get(segment, segment),
            store=people.store_names.get(store_id, "-") if store_id else "-",
            staff=summary.staff or "-",
            lowest_confidence=summary.lowest_confidence,
            fallback=summary.fallback,
            handoff=summary.handoff,
        )


def _suggestions(uow: UnitOfWork, customers: list[int], summary: Summary):
    """What this conversation suggested to its customers (same channel, and on the
    console the same clerk, while it ran), and what came of it (the clerk's one-tap
    outcomes land here). Another clerk's suggestions to her meanwhile are not shown."""
    if not customers:
        return ()
    log, products = t.recommendation_log, t.products
    start = dt.datetime.utcfromtimestamp(summary.started) - dt.timedelta(minutes=1)
    end = dt.datetime.utcfromtimestamp(summary.last) + dt.timedelta(minutes=1)
    rows = uow.connection.execute(
        select(products.c.name, log.c.kind, log.c.outcome)
        .select_from(log.join(products, log.c.product_id == products.c.id))
        .where(
            log.c.customer_id.in_(customers),
            log.c.shown_at >= start,
            log.c.shown_at <= end,
            log.c.channel == summary.channel,
            log.c.staff_id == summary.staff_id
            if summary.staff_id is not None
            else log.c.staff_id.is_(None),
        )
        .order_by(log.c.id)
    ).all()
    return tuple((name, kind, outcome) for name, kind, outcome in rows)


def _customers(summary: Summary, people: _People) -> list[int]:
    found = list(summary.customer_ids)
    if summary.openid and summary.openid in people.by_openid:
        found.append(people.by_openid[summary.openid])
    return found


def export_corrections(engine: Engine) -> tuple[str, int]:
    """The corrected turns as Rasa NLU training data (YAML), and how many."""
    rows = t.nlu_corrections
    with engine.connect() as conn:
        found = conn.execute(
            select(rows.c.correct_intent, rows.c.text).order_by(rows.c.id)
        ).all()
    by_intent: dict[str, list[str]] = {}
    for intent, text in found:
        if text.strip() and text not in by_intent.setdefault(intent, []):
            by_intent[intent].append(text)
    nlu = [
        {"intent": intent, "examples": "".join(f"- {x}\n" for x in texts)}
        for intent, texts in sorted(by_intent.items())
    ]
    document = {"version": "3.1", "nlu": nlu}
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False), len(found)
