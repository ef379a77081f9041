"""One access token for every process, through wechatpy's session storage.

WeChat keeps one valid plain token per account: each process fetching its own
(`cgi-bin/token`) retires the others' within 5 minutes, and fetches are capped at
about 2,000 a day. So the token lives in the database (or Redis when
SALESBOT_REDIS_URL is set, falling back to the database while Redis does not
answer), one process at a time refreshes it under a lease, and the refresh uses
`cgi-bin/stable_token`, whose normal mode returns the token already issued instead
of retiring it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable

from wechatpy.session import SessionStorage

from bot.db.redis_fallback import call_with_fallback
from bot.db.wechat_store import SharedTokens
from bot.timeutil import utcnow

logger = logging.getLogger(__name__)
LEASE_SECONDS = 15
WAIT_SECONDS = 20
# Refresh this long before WeChat's expiry: inside its last 5 minutes stable_token
# already hands out the next token while the old one still works.
RENEW_BEFORE_SECONDS = 300


class DatabaseSession(SessionStorage):
    """wechatpy session storage in the `shared_tokens` table."""

    def __init__(
        self, tokens: SharedTokens, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self._tokens = tokens
        self._clock = clock

    def get(self, key, default=None):
        found = self._tokens.get(key, self._clock())
        return json.loads(found[0]) if found else default

    def set(self, key, value, ttl=None):
        seconds = ttl if ttl else 7200
        expires = self._clock() + dt.timedelta(seconds=seconds)
        self._tokens.put(key, json.dumps(value), expires)

    def delete(self, key):
        self._tokens.delete(key)

    def lease(self, key: str, owner: str, seconds: float) -> bool:
        return self._tokens.lease(key, owner, self._clock(), seconds)

    def release(self, key: str, owner: str) -> None:
        self._tokens.release(key, owner)


class RedisSession(SessionStorage):
    """The same, in Redis (wechatpy's RedisStorage layout), with a SET NX lease."""

    def __init__(self, redis, prefix: str = "salesbot:wechat") -> None:
        from wechatpy.session.redisstorage import RedisStorage

        self._redis = redis
        self._storage = RedisStorage(redis, prefix=prefix)
        self._prefix = prefix

    def get(self, key, default=None):
        return self._storage.get(key, default)

    def set(self, key, value, ttl=None):
        self._storage.set(key, value, ttl)

    def delete(self, key):
        self._storage.delete(key)

    def lease(self, key: str, owner: str, seconds: float) -> bool:
        name = f"{self._prefix}:{key}:lease"
        return bool(self._redis.set(name, owner, nx=True, px=int(seconds * 1000)))

    def release(self, key: str, owner: str) -> None:
        name = f"{self._prefix}:{key}:lease"
        held = self._redis.get(name)
        if held is not None and held.decode() == owner:
            self._redis.delete(name)


class FallbackSession(SessionStorage):
    """`primary` (Redis) while it answers, else `fallback` (the database). Two
    stores may then each hold a token for a while; both are valid, because the
    refresh asks `stable_token`, which hands out the token already issued."""

    def __init__(self, primary: SessionStorage, fallback: SessionStorage) -> None:
        self._primary = primary
        self._fallback = fallback

    def get(self, key, default=None):
        return self._call("get", key, default)

    def set(self, key, value, ttl=None):
        self._call("set", key, value, ttl)

    def delete(self, key):
        self._call("delete", key)

    def lease(self, key: str, owner: str, seconds: float) -> bool:
        return self._call("lease", key, owner, seconds)

    def release(self, key: str, owner: str) -> None:
        self._call("release", key, owner)

    def _call(self, name: str, *args):
        return call_with_fallback(
            self._primary, self._fallback, name, *args, what="WeChat token"
        )


def shared_session(engine, redis_url: str | None) -> SessionStorage:
    database = DatabaseSession(SharedTokens(engine))
    if not redis_url:
        return database
    import redis

    client = redis.Redis.from_url(
        redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
    )
    return FallbackSession(RedisSession(client), database)


def refresh_token(
    session,
    key: str,
    fetch: Callable[[], dict],
    rejected: str | None = None,
) -> str:
    """The shared token, fetched with `fetch` only when none is stored (or the
    stored one is `rejected`, i.e. WeChat just refused it), by one process at a time;
    the others wait for it."""
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        token = session.get(key)
        if token and token != rejected:
            return token
        if session.lease(key, owner, LEASE_SECONDS):
            try:
                token = session.get(key)
                if token and token != rejected:
                    return token
                result = fetch()
                seconds = int(result.get("expires_in", 7200))
                ttl = seconds - RENEW_BEFORE_SECONDS if seconds > 600 else seconds // 2
                session.set(key, result["access_token"], max(ttl, 1))
                logger.info("fetched a WeChat access token (valid %ss)", seconds)
                return result["access_token"]
            finally:
                session.release(key, owner)
        if time.monotonic() > deadline:
            raise TimeoutError("no WeChat access token: the refresh lease was held")
        time.sleep(0.05)
