"""Failed console logins per bucket (a client address), shared by every console
server: in the database, or in Redis when SALESBOT_REDIS_URL is set (falling back to
the database while Redis cannot be reached, so an outage never opens the door)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from bot.db import tables as t
from bot.db.redis_fallback import call_with_fallback
from bot.timeutil import utcnow


class LoginThrottle(Protocol):
    def allow(self, bucket: str) -> bool:
        """Fewer than `limit` failures in the last `window` seconds."""

    def failed(self, bucket: str) -> None:
        """Count one failure now."""


class SqlLoginThrottle:
    def __init__(
        self,
        engine: Engine,
        limit: int = 20,
        window: float = 300,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self.limit = limit
        self.window = dt.timedelta(seconds=window)
        self._clock = clock

    def allow(self, bucket: str) -> bool:
        failures = t.login_failures
        since = self._clock() - self.window
        with self._engine.connect() as conn:
            count = conn.execute(
                select(func.count()).where(
                    failures.c.bucket == bucket[:80], failures.c.failed_at > since
                )
            ).scalar_one()
        return count < self.limit

    def failed(self, bucket: str) -> None:
        failures = t.login_failures
        now = self._clock()
        with self._engine.begin() as conn:
            conn.execute(
                delete(failures).where(
                    failures.c.bucket == bucket[:80],
                    failures.c.failed_at <= now - self.window,
                )
            )
            conn.execute(insert(failures).values(bucket=bucket[:80], failed_at=now))


class RedisLoginThrottle:
    """One sorted set per bucket (failure id -> time), expiring with the window."""

    def __init__(
        self,
        redis,
        limit: int = 20,
        window: float = 300,
        clock: Callable[[], float] = time.time,
        prefix: str = "salesbot:login-failures",
    ) -> None:
        self._redis = redis
        self.limit = limit
        self.window = window
        self._clock = clock
        self._prefix = prefix

    def allow(self, bucket: str) -> bool:
        key = f"{self._prefix}:{bucket}"
        now = self._clock()
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", now - self.window)
        pipe.zcard(key)
        return pipe.execute()[1] < self.limit

    def failed(self, bucket: str) -> None:
        key = f"{self._prefix}:{bucket}"
        pipe = self._redis.pipeline()
        pipe.zadd(key, {uuid.uuid4().hex: self._clock()})
        pipe.expire(key, int(self.window) + 1)
        pipe.execute()


class FallbackThrottle:
    """`primary` (Redis) while it answers, else `fallback` (the database)."""

    def __init__(self, primary: LoginThrottle, fallback: LoginThrottle) -> None:
        self._primary = primary
        self._fallback = fallback

    def allow(self, bucket: str) -> bool:
        return self._call("allow", bucket)

    def failed(self, bucket: str) -> None:
        self._call("failed", bucket)

    def _call(self, name: str, bucket: str):
        return call_with_fallback(
            self._primary, self._fallback, name, bucket, what="login throttle"
        )


def login_throttle(engine: Engine, redis_url: str | None) -> LoginThrottle:
    database = SqlLoginThrottle(engine)
    if not redis_url:
        return database
    import redis

    client = redis.Redis.from_url(
        redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
    )
    return FallbackThrottle(RedisLoginThrottle(client), database)
