"""Reads that care planning needs and the outbox it writes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot.care.routes import ASSOCIATE, Facts, Route
from bot.db import tables as t
from bot.db.net import LINE_KEPT
from bot.db.repositories import home_customers
from bot.db.wechat_store import WindowStore
from bot.timeutil import local_date, local_to_utc

_box = t.care_outbox
_MESSAGE = (
    _box.c.id,
    _box.c.idempotency_key,
    _box.c.customer_id,
    _box.c.trigger,
    _box.c.is_marketing,
    _box.c.body,
    _box.c.fields,
    _box.c.attempts,
)


class CareStore:
    def __init__(self, connection: Connection, tz: ZoneInfo) -> None:
        self._c = connection
        self._tz = tz

    def store_contacts(self) -> dict[int, tuple[str, str]]:
        """Per store: its name and the manager who signs general messages."""
        names = dict(self._c.execute(select(t.stores.c.id, t.stores.c.name)).all())
        managers = dict(
            self._c.execute(
                select(t.staff.c.store_id, func.min(t.staff.c.display_name))
                .where(t.staff.c.role == "manager", t.staff.c.active.is_(True))
                .group_by(t.staff.c.store_id)
            ).all()
        )
        return {sid: (name, managers.get(sid, "店长")) for sid, name in names.items()}

    def customer_ids(self) -> list[int]:
        return (
            self._c.execute(select(t.customers.c.id).order_by(t.customers.c.id))
            .scalars()
            .all()
        )

    def customers(self, as_of: dt.date, first_id: int, last_id: int) -> list[dict]:
        """Customers with ids in [first_id, last_id], each with her snapshot of the
        latest segmentation run on or before `as_of` (none before the first run)."""
        snap = t.segment_snapshots
        run = self._c.execute(
            select(func.max(t.segment_runs.c.as_of)).where(
                t.segment_runs.c.as_of <= as_of
            )
        ).scalar_one_or_none()
        c = t.customers
        query = (
            select(
                c.c.id,
                c.c.name,
                c.c.gender,
                c.c.birthday,
                c.c.home_store_id,
                c.c.marketing_consent,
                c.c.service_consent,
                snap.c.lifecycle,
                snap.c.value_tier,
                snap.c.strategy,
                snap.c.details,
                snap.c.recency_days,
                snap.c.as_of.label("snapshot_as_of"),
            )
            .outerjoin(snap, and_(snap.c.customer_id == c.c.id, snap.c.as_of == run))
            .where(c.c.id >= first_id, c.c.id <= last_id)
            .order_by(c.c.id)
        )
        return [dict(row._mapping) for row in self._c.execute(query)]

    def lines_between(
        self,
        first: dt.date,
        last: dt.date,
        customers: tuple[int, int],
        consumable_only: bool = False,
    ) -> list[dict]:
        """Order lines of local days `first`..`last` of the customers with ids in
        the range `customers`, with product, store and clerk."""
        start = local_to_utc(dt.datetime.combine(first, dt.time()), self._tz)
        end = local_to_utc(
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time()), self._tz
        )
        o, ol, p = t.orders, t.order_lines, t.products
        query = (
            select(
                o.c.id.label("order_id"),
                ol.c.id.label("line_id"),
                o.c.customer_id,
                o.c.ordered_at,
                p.c.id.label("product_id"),
                p.c.name.label("product"),
                p.c.subcategory,
                p.c.consumable,
                p.c.cycle_days,
                t.stores.c.name.label("store"),
                t.staff.c.display_name.label("clerk"),
            )
            .select_from(
                o.join(ol, ol.c.order_id == o.c.id)
                .join(p, p.c.id == ol.c.product_id)
                .outerjoin(t.stores, t.stores.c.id == o.c.store_id)
                .outerjoin(t.staff, t.staff.c.id == o.c.staff_id)
            )
            .where(
                o.c.customer_id >= customers[0],
                o.c.customer_id <= customers[1],
                o.c.ordered_at >= start,
                o.c.ordered_at < end,
                LINE_KEPT,
            )
        )
        if consumable_only:
            query = query.where(p.c.consumable.is_(True))
        rows = []
        for row in self._c.execute(query):
            record = dict(row._mapping)
            record["day"] = local_date(record.pop("ordered_at"), self._tz)
            rows.append(record)
        return rows

    def launches(self, as_of: dt.date) -> dict[str, dt.date]:
        """Latest launch date per category, up to `as_of`."""
        p = t.products
        rows = self._c.execute(
            select(p.c.category, func.max(p.c.launch_date))
            .where(p.c.launch_date <= as_of)
            .group_by(p.c.category)
        )
        return {category: day for category, day in rows if day}

    def existing_keys(self, customers: tuple[int, int]) -> frozenset[str]:
        box = t.care_outbox
        keys = self._c.execute(
            select(box.c.idempotency_key).where(
                box.c.customer_id >= customers[0], box.c.customer_id <= customers[1]
            )
        ).scalars()
        return frozenset(keys)

    def marketing_in_week(
        self, as_of: dt.date, customers: tuple[int, int]
    ) -> dict[int, int]:
        """Marketing messages per customer scheduled in the 7 local days to `as_of`."""
        midnight = dt.datetime.combine(as_of, dt.time())
        first = local_to_utc(midnight - dt.timedelta(days=6), self._tz)
        last = local_to_utc(midnight + dt.timedelta(days=1), self._tz)
        box = t.care_outbox
        rows = self._c.execute(
            select(box.c.customer_id, func.count())
            .where(
                box.c.is_marketing.is_(True),
                box.c.customer_id >= customers[0],
                box.c.customer_id <= customers[1],
                box.c.scheduled_at >= first,
                box.c.scheduled_at < last,
            )
            .group_by(box.c.customer_id)
        )
        return dict(rows.all())

    def add_messages(self, rows: list[dict]) -> int:
        """Insert, skipping any whose idempotency key exists; returns rows added."""
        if not rows:
            return 0
        dialect = postgresql if self._c.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(t.care_outbox).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
        added = 0
        for start in range(0, len(rows), 1000):
            batch = rows[start : start + 1000]
            count = self._c.execute(statement, batch).rowcount
            added += count if count >= 0 else len(batch)
        return added


class Outbox:
    """The dispatcher's side of the outbox: claim due messages, mark what happened.
    Each call is its own short transaction, so a crash loses at most a claim."""

    def __init__(self, engine) -> None:
        self._engine = engine

    def claim(
        self, token: str, now: dt.datetime, timeout: dt.timedelta, limit: int
    ) -> list[dict]:
        """Take up to `limit` due messages (and claims older than `timeout`)."""
        box = t.care_outbox
        due = or_(
            and_(box.c.status == "pending", box.c.scheduled_at <= now),
            and_(box.c.status == "sending", box.c.claimed_at < now - timeout),
        )
        with self._engine.begin() as conn:
            ids = select(box.c.id).where(due).order_by(box.c.scheduled_at, box.c.id)
            if conn.dialect.name == "postgresql":
                ids = ids.with_for_update(skip_locked=True)
            chosen = conn.execute(ids.limit(limit)).scalars().all()
            if not chosen:
                return []
            conn.execute(
                update(box)
                .where(box.c.id.in_(chosen), due)
                .values(
                    status="sending",
                    claim=token,
                    claimed_at=now,
                    attempts=box.c.attempts + 1,
                )
            )
            rows = conn.execute(
                select(*_MESSAGE).where(box.c.claim == token, box.c.status == "sending")
            )
            return [dict(row._mapping) for row in rows]

    def due(self, now: dt.datetime) -> list[dict]:
        """Pending messages due at `now`, in sending order (reads only)."""
        box = t.care_outbox
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(*_MESSAGE)
                .where(box.c.status == "pending", box.c.scheduled_at <= now)
                .order_by(box.c.scheduled_at, box.c.id)
            )
            return [dict(row._mapping) for row in rows]

    def facts(self, customer_id: int) -> Facts:
        """What routing needs to know of her now: WeChat account, consent, store,
        window and unused one-off subscriptions."""
        c = t.customers
        with self._engine.connect() as conn:
            row = conn.execute(
                select(
                    c.c.wechat_openid,
                    c.c.service_consent,
                    c.c.marketing_consent,
                    c.c.home_store_id,
                ).where(c.c.id == customer_id)
            ).one()
            windows = WindowStore(conn)
            openid = row.wechat_openid
            return Facts(
                openid=openid,
                service_consent=bool(row.service_consent),
                marketing_consent=bool(row.marketing_consent),
                has_store=row.home_store_id is not None,
                window=windows.get(openid) if openid else None,
                subscribed=windows.subscribed(openid) if openid else frozenset(),
            )

    def reserve_window(self, openid: str, now: dt.datetime, keep: int) -> bool:
        with self._engine.begin() as conn:
            return WindowStore(conn).reserve(openid, now, keep)

    def window_exhausted(self, openid: str) -> None:
        with self._engine.begin() as conn:
            WindowStore(conn).exhausted(openid)

    def consume_subscription(
        self, openid: str, template_id: str, now: dt.datetime
    ) -> bool:
        with self._engine.begin() as conn:
            return WindowStore(conn).consume(openid, template_id, now)

    def settle(self, message_id: int, token: str, route: Route) -> None:
        """A message no WeChat route takes: a task for her store's clerks
        (`associate`), or not sent (`none`), with the reason."""
        self._mark(
            message_id,
            token,
            status="task" if route.kind == ASSOCIATE else "skipped",
            route=route.kind,
            route_reason=route.reason,
        )

    def mark_sent(
        self,
        message_id: int,
        token: str,
        now: dt.datetime,
        route: Route | None = None,
    ) -> None:
        routed = (
            {
                "route": route.kind,
                "route_reason": route.reason,
                "template_id": route.template_id,
            }
            if route
            else {}
        )
        self._mark(
            message_id, token, status="sent", sent_at=now, last_error=None, **routed
        )

    def mark_failed(
        self, message_id: int, token: str, error: str, retry_at: dt.datetime | None
    ) -> None:
        """Back to pending at `retry_at`, or failed for good when it is None."""
        if retry_at is None:
            self._mark(message_id, token, status="failed", last_error=error[:500])
        else:
            self._mark(
                message_id,
                token,
                status="pending",
                scheduled_at=retry_at,
                last_error=error[:500],
            )

    def _mark(self, message_id: int, token: str, **values) -> None:
        box = t.care_outbox
        with self._engine.begin() as conn:
            conn.execute(
                update(box)
                .where(box.c.id == message_id, box.c.claim == token)
                .values(**values)
            )


class TaskStore:
    """Messages waiting for a clerk to send herself (status `task`)."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def waiting(self, store_id: int | None, now: dt.datetime, limit: int = 100):
        box, people = t.care_outbox, t.customers
        query = (
            select(
                box.c.id,
                people.c.name,
                people.c.member_no,
                box.c.trigger,
                box.c.body,
                box.c.route,
                box.c.route_reason,
            )
            .select_from(box.join(people, box.c.customer_id == people.c.id))
            .where(box.c.status == "task", box.c.scheduled_at <= now)
            .order_by(box.c.scheduled_at, box.c.id)
            .limit(limit)
        )
        if store_id is not None:
            query = query.where(people.c.home_store_id == store_id)
        return self._c.execute(query).all()

    def customer_of(self, task_id: int, store_id: int | None) -> int | None:
        """The task's customer, if it waits (in `store_id`'s store when given)."""
        box, people = t.care_outbox, t.customers
        query = (
            select(box.c.customer_id)
            .select_from(box.join(people, box.c.customer_id == people.c.id))
            .where(box.c.id == task_id, box.c.status == "task")
        )
        if store_id is not None:
            query = query.where(people.c.home_store_id == store_id)
        return self._c.execute(query).scalar_one_or_none()

    def finish(
        self, task_id: int, staff_id: int | None, now: dt.datetime, sent: bool
    ) -> None:
        values = (
            {"status": "sent", "sent_at": now}
            if sent
            else {"status": "skipped", "route_reason": "clerk_skipped"}
        )
        box = t.care_outbox
        self._c.execute(
            update(box)
            .where(box.c.id == task_id, box.c.status == "task")
            .values(staff_id=staff_id, **values)
        )


def count_planned(connection: Connection, store_id: int | None = None) -> int:
    """Care messages planned and not sent yet (pending, or a task for a clerk); of
    the customers of one home store when `store_id` is given."""
    box = t.care_outbox
    query = (
        select(func.count())
        .select_from(box)
        .where(box.c.status.in_(("pending", "task")))
    )
    if store_id is not None:
        query = query.where(box.c.customer_id.in_(home_customers(store_id)))
    return connection.execute(query).scalar_one()
