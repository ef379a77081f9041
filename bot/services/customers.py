"""Customer identification use cases: look up, card, preferences, history.

Every call reads one customer's profile and so writes one audit row (who, which
customer, when, channel), also when the lookup fails.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.engine import Engine

from bot.customers.card import (
    CustomerCard,
    CustomerFacts,
    build_card,
    consent_state,
    days_to_birthday,
    next_level,
    reference_day,
    with_snapshot,
)
from bot.customers.identifiers import Identifier, IdentifierError, to_identifier
from bot.customers.masking import mask_name, mask_phone
from bot.customers.notes import Note
from bot.customers.value import RfmScale, build_scale
from bot.db.repositories import CustomerRepository, OrderView, PreferenceRow
from bot.db.segment_store import SegmentStore
from bot.db.uow import UnitOfWork
from bot.knowledge import Knowledge
from bot.services.common import audit, require_customer
from bot.timeutil import local_date, local_to_utc, utcnow

logger = logging.getLogger(__name__)
NO_SCALE = RfmScale((), (), (), 0)


@dataclass(frozen=True)
class Actor:
    """Who asks: the conversation, its channel and, when known, the staff member."""

    sender_id: str
    channel: str
    staff_username: str | None = None
    staff_id: int | None = None
    store_id: int | None = None

    def label(self) -> str:
        if self.staff_username:
            return f"staff:{self.staff_username}"
        return f"sender:{self.sender_id}"


class CustomerNotFound(LookupError):
    def __init__(self, identifier: Identifier) -> None:
        super().__init__(f"no customer with {identifier.kind} {identifier.value}")
        self.identifier = identifier


@dataclass(frozen=True)
class InsightView:
    """The latest segmentation snapshot of one customer, with its evidence."""

    masked_name: str
    snapshot: dict | None
    noted: tuple[PreferenceRow, ...] = ()
    price_band_fen: tuple[int, int] | None = None


@dataclass(frozen=True)
class BirthdayView:
    masked_name: str
    birthday: dt.date | None
    days_until: int | None


@dataclass(frozen=True)
class MembershipView:
    card: CustomerCard
    next_level: tuple[str, int] | None


@dataclass(frozen=True)
class NotedView:
    masked_name: str
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class HistoryView:
    masked_name: str
    order_count: int
    orders: tuple[OrderView, ...]


class CustomerService:
    def __init__(
        self,
        engine: Engine,
        knowledge: Knowledge,
        tz: ZoneInfo,
        clock: Callable[[], dt.datetime] = utcnow,
        scale_ttl_seconds: float = 600,
    ) -> None:
        self._engine = engine
        self._knowledge = knowledge
        self._tz = tz
        self._clock = clock
        self._scale = _ScaleCache(scale_ttl_seconds)

    def lookup(
        self, kind: str, text: str, actor: Actor, as_of: dt.date | None = None
    ) -> CustomerCard:
        """Find a customer by a typed phone or member number; audited either way.
        `as_of`: her card as it stood on that day (orders up to it, its snapshot)."""
        with UnitOfWork(self._engine) as uow:
            try:
                identifier = to_identifier(kind, text)
            except IdentifierError as error:
                audit(uow, self._clock(), actor, "lookup", None, {"result": error.code})
                uow.commit()
                raise
            customer_id = uow.customers.find_id(identifier.kind, identifier.value)
            detail = {"by": identifier.kind, "value": _masked(identifier)}
            if customer_id is None:
                audit(
                    uow,
                    self._clock(),
                    actor,
                    "lookup",
                    None,
                    {**detail, "result": "not_found"},
                )
                uow.commit()
                raise CustomerNotFound(identifier)
            card = self._card(uow.customers, customer_id, as_of)
            audit(
                uow,
                self._clock(),
                actor,
                "lookup",
                customer_id,
                {**detail, "result": "found"},
            )
            uow.commit()
            return card

    def card(self, customer_id: int, actor: Actor) -> CustomerCard:
        with UnitOfWork(self._engine) as uow:
            card = self._card(uow.customers, customer_id)
            audit(uow, self._clock(), actor, "segment", customer_id)
            uow.commit()
            return card

    def membership(self, customer_id: int, actor: Actor) -> MembershipView:
        """Her level, spend and what the next level takes."""
        with UnitOfWork(self._engine) as uow:
            card = self._card(uow.customers, customer_id)
            audit(uow, self._clock(), actor, "membership", customer_id)
            uow.commit()
        return MembershipView(
            card, next_level(card.lifetime_spend_fen, self._knowledge.membership)
        )

    def birthday(self, customer_id: int, actor: Actor) -> BirthdayView:
        """Her birthday as registered, and how many days until the next one."""
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            audit(uow, self._clock(), actor, "birthday", customer_id)
            uow.commit()
        if row.birthday is None:
            return BirthdayView(mask_name(row.name), None, None)
        return BirthdayView(
            mask_name(row.name),
            row.birthday,
            days_to_birthday(row.birthday, self._today()),
        )

    def insight(self, customer_id: int, actor: Actor, action: str) -> InsightView:
        """Segment, preferences or strategy (`action`) from the latest snapshot."""
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            view = InsightView(
                masked_name=mask_name(row.name),
                snapshot=SegmentStore(uow.connection).latest_for(
                    customer_id, self._today()
                ),
                noted=tuple(uow.customers.preferences(customer_id)),
                price_band_fen=_price_band(uow.customers.unit_prices(customer_id)),
            )
            audit(uow, self._clock(), actor, action, customer_id)
            uow.commit()
            return view

    def note_preferences(
        self, customer_id: int, actor: Actor, notes: list[Note]
    ) -> NotedView:
        """Keep what a clerk noted (likes, dislikes, sizes, free notes); audited."""
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            for note in notes:
                uow.customers.add_preference(
                    customer_id, note.kind, note.value, self._clock(), actor.label()
                )
            audit(
                uow,
                self._clock(),
                actor,
                "note_preference",
                customer_id,
                {"notes": [[n.kind, n.value] for n in notes]},
            )
            uow.commit()
        return NotedView(mask_name(row.name), tuple(notes))

    def history(self, customer_id: int, actor: Actor, limit: int = 5) -> HistoryView:
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            view = HistoryView(
                masked_name=mask_name(row.name),
                order_count=uow.customers.totals(customer_id).order_count,
                orders=tuple(uow.customers.recent_orders(customer_id, limit)),
            )
            audit(uow, self._clock(), actor, "history", customer_id)
            uow.commit()
            return view

    def _card(
        self,
        repo: CustomerRepository,
        customer_id: int,
        as_of: dt.date | None = None,
    ) -> CustomerCard:
        row = require_customer(repo, customer_id)
        before = (
            local_to_utc(
                dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()), self._tz
            )
            if as_of
            else None
        )
        totals = repo.totals(customer_id, before)
        top = self._knowledge.segments.top_categories
        facts = CustomerFacts(
            customer_id=row.id,
            member_no=row.member_no,
            name=row.name,
            phone=row.phone,
            home_store=row.home_store,
            joined_on=row.joined_on,
            lifetime_spend_fen=totals.spend_fen,
            order_count=totals.order_count,
            last_purchase=local_date(totals.last_ordered_at, self._tz)
            if totals.last_ordered_at
            else None,
            top_categories=tuple(
                s.name for s in repo.spend_by(customer_id, "category", top, before)
            ),
            consent=consent_state(row.marketing_consent, row.service_consent),
            gender=row.gender,
            birthday=row.birthday,
        )
        today = as_of or self._today()
        snapshot = SegmentStore(repo.connection).latest_for(customer_id, today)
        counted_to = reference_day(
            today, snapshot["as_of"] if snapshot else None, facts.last_purchase
        )
        # The quick scale (a scan of all orders) is only needed before the first
        # segmentation run; a snapshot already holds her scores and label.
        scale = NO_SCALE if snapshot else self._scale.get(self._build_scale)
        card = build_card(
            facts,
            scale,
            self._knowledge.membership,
            self._knowledge.segments,
            counted_to,
            self._knowledge.customer_service.birthday_soon_days,
            as_of or self._today(),
        )
        if counted_to != self._today():
            card = replace(card, counted_to=counted_to)
        return with_snapshot(card, snapshot, self._knowledge.segments)

    def _build_scale(self) -> RfmScale:
        """Over all buyers, on its own connection (may run in a background thread)."""
        today = self._today()
        with UnitOfWork(self._engine) as uow:
            rows = uow.customers.buyer_aggregates()
        recency = [
            max((today - local_date(last, self._tz)).days, 0) for last, _, _ in rows
        ]
        return build_scale(recency, [r[1] for r in rows], [r[2] for r in rows])

    def _today(self) -> dt.date:
        return local_date(self._clock(), self._tz)


class _ScaleCache:
    """The RFM scale changes slowly and costs a scan of all orders to build.

    The first call builds it; after the TTL the old scale keeps serving while one
    background thread builds the new one, so no request waits for a rebuild.
    """

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._first_build = threading.Lock()
        self._value: RfmScale | None = None
        self._built_at = 0.0
        self._refreshing = False

    def get(self, build: Callable[[], RfmScale]) -> RfmScale:
        with self._lock:
            value = self._value
            stale = time.monotonic() - self._built_at > self._ttl
            if value is not None and stale and not self._refreshing:
                self._refreshing = True
                threading.Thread(
                    target=self._refresh, args=(build,), daemon=True
                ).start()
        if value is not None:
            return value
        with self._first_build:
            if self._value is None:
                self._store(build())
            return self._value

    def _refresh(self, build: Callable[[], RfmScale]) -> None:
        try:
            self._store(build())
        except Exception:  # noqa: BLE001 (keep serving the old scale; log why)
            logger.exception("rebuilding the RFM scale failed; keeping the old one")
        finally:
            with self._lock:
                self._refreshing = False

    def _store(self, value: RfmScale) -> None:
        with self._lock:
            self._value = value
            self._built_at = time.monotonic()


def _masked(identifier: Identifier) -> str:
    return (
        mask_phone(identifier.value) if identifier.kind == "phone" else identifier.value
    )


def _price_band(prices: list[int]) -> tuple[int, int] | None:
    """The middle half of what she paid per item (25th to 75th percentile)."""
    if not prices:
        return None
    low, high = np.percentile(np.asarray(prices), [25, 75])
    return _whole_units(low), _whole_units(high)


def _whole_units(fen: float) -> int:
    return int(round(fen / 100)) * 100
