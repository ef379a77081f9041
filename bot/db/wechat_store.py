"""WeChat delivery state every process shares: her customer-service window, her
one-off subscriptions, and the access token with its refresh lease."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from bot.care.routes import Window, reopened
from bot.db import tables as t


def _insert(connection: Connection, table):
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class WindowStore:
    """Runs inside the caller's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self, openid: str, lock: bool = False) -> Window | None:
        w = t.wechat_windows
        query = select(w).where(w.c.openid == openid)
        if lock and self._c.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self._c.execute(query).first()
        if row is None:
            return None
        return Window(row.kind, row.opened_at, row.closes_at, row.quota, row.used)

    def opened(self, openid: str, kind: str, at: dt.datetime) -> Window:
        """She did something that opens a window (`kind`: message or event)."""
        window = reopened(self.get(openid, lock=True), kind, at)
        values = {
            "kind": window.kind,
            "opened_at": window.opened_at,
            "closes_at": window.closes_at,
            "quota": window.quota,
            "used": window.used,
        }
        statement = _insert(self._c, t.wechat_windows).values(openid=openid, **values)
        self._c.execute(
            statement.on_conflict_do_update(index_elements=["openid"], set_=values)
        )
        return window

    def reserve(self, openid: str, now: dt.datetime, keep: int = 0) -> bool:
        """Take one customer-service message of her open window, leaving `keep`;
        atomic, so two processes never both take the last one."""
        w = t.wechat_windows
        taken = self._c.execute(
            update(w)
            .where(
                w.c.openid == openid, w.c.closes_at > now, w.c.used < w.c.quota - keep
            )
            .values(used=w.c.used + 1)
        ).rowcount
        return taken == 1

    def exhausted(self, openid: str) -> None:
        """WeChat refused a message in the window (45015/45047): trust WeChat."""
        w = t.wechat_windows
        self._c.execute(update(w).where(w.c.openid == openid).values(used=w.c.quota))

    def subscribed(self, openid: str) -> frozenset[str]:
        s = t.wechat_subscriptions
        rows = self._c.execute(
            select(s.c.template_id).where(s.c.openid == openid, s.c.used_at.is_(None))
        ).scalars()
        return frozenset(rows)

    def grant(self, openid: str, template_id: str, at: dt.datetime) -> None:
        self._c.execute(
            t.wechat_subscriptions.insert().values(
                openid=openid, template_id=template_id, granted_at=at
            )
        )

    def consume(self, openid: str, template_id: str, at: dt.datetime) -> bool:
        """Use one unused subscription of hers to the template; False if none."""
        s = t.wechat_subscriptions
        first = (
            select(s.c.id)
            .where(
                s.c.openid == openid,
                s.c.template_id == template_id,
                s.c.used_at.is_(None),
            )
            .order_by(s.c.id)
            .limit(1)
            .scalar_subquery()
        )
        used = self._c.execute(
            update(s).where(s.c.id == first, s.c.used_at.is_(None)).values(used_at=at)
        ).rowcount
        return used == 1


class SharedTokens:
    """Key -> value with an expiry, and a lease so one process refreshes at a time.
    Each call is its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, key: str, now: dt.datetime) -> tuple[str, dt.datetime] | None:
        k = t.shared_tokens
        with self._engine.connect() as conn:
            row = conn.execute(
                select(k.c.value, k.c.expires_at).where(k.c.key == key)
            ).first()
        if row is None or row.value is None or row.expires_at <= now:
            return None
        return row.value, row.expires_at

    def put(self, key: str, value: str, expires_at: dt.datetime) -> None:
        values = {"value": value, "expires_at": expires_at}
        with self._engine.begin() as conn:
            statement = _insert(conn, t.shared_tokens).values(key=key, **values)
            conn.execute(
                statement.on_conflict_do_update(index_elements=["key"], set_=values)
            )

    def delete(self, key: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(t.shared_tokens).where(t.shared_tokens.c.key == key))

    def lease(self, key: str, owner: str, now: dt.datetime, seconds: float) -> bool:
        """Hold the right to refresh `key` for `seconds`; False if another holds it."""
        k = t.shared_tokens
        lock = f"{key}:lease"
        with self._engine.begin() as conn:
            conn.execute(
                _insert(conn, k)
                .values(key=lock)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            taken = conn.execute(
                update(k)
                .where(
                    k.c.key == lock,
                    or_(
                        k.c.lease_until.is_(None),
                        k.c.lease_until <= now,
                        and_(k.c.lease_owner == owner),
                    ),
                )
                .values(
                    lease_owner=owner,
                    lease_until=now + dt.timedelta(seconds=seconds),
                )
            ).rowcount
        return taken == 1

    def release(self, key: str, owner: str) -> None:
        k = t.shared_tokens
        with self._engine.begin() as conn:
            conn.execute(
                update(k)
                .where(k.c.key == f"{key}:lease", k.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )
