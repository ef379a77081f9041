"""Failed logins per client address in the database and in Redis, shared by every
console server, and the database taking over while Redis cannot be reached."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.db import tables as t
from bot.db.engine import make_engine
from bot.db.login_throttle import (
    FallbackThrottle,
    RedisLoginThrottle,
    SqlLoginThrottle,
    login_throttle,
)
from bot.db.migrate import upgrade

NOW = dt.datetime(2026, 12, 3, 6, 0)


def exercise(make_throttle, clock):
    """Two throttles (two console servers) on one store: 3 failures in 300 s."""
    one, two = make_throttle(), make_throttle()
    for throttle in (one, two, one):
        assert throttle.allow("address:203.0.113.7")
        throttle.failed("address:203.0.113.7")
    assert not one.allow("address:203.0.113.7")
    assert not two.allow("address:203.0.113.7")  # the other server knows
    assert two.allow("address:203.0.113.8")
    clock.advance(301)
    assert one.allow("address:203.0.113.7")


class Clock:
    def __init__(self, start):
        self.now = start

    def advance(self, seconds):
        if isinstance(self.now, dt.datetime):
            self.now += dt.timedelta(seconds=seconds)
        else:
            self.now += seconds

    def __call__(self):
        return self.now


def test_failures_are_shared_through_the_database_and_expire(db):
    _, engine = db
    clock = Clock(NOW)
    exercise(lambda: SqlLoginThrottle(engine, 3, 300, clock), clock)
    SqlLoginThrottle(engine, 3, 300, clock).failed("address:203.0.113.7")
    with engine.connect() as conn:
        kept = conn.execute(
            select(func.count()).select_from(t.login_failures)
        ).scalar_one()
    assert kept == 1  # the expired ones were dropped with the new failure


@pytest.mark.postgres
def test_the_same_on_postgresql(pg_url):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    clock = Clock(NOW)
    try:
        exercise(lambda: SqlLoginThrottle(engine, 3, 300, clock), clock)
    finally:
        engine.dispose()


def test_failures_are_shared_through_redis(redis_client):
    clock = Clock(1_000_000.0)
    exercise(lambda: RedisLoginThrottle(redis_client, 3, 300, clock), clock)
    RedisLoginThrottle(redis_client, 3, 300, clock).failed("address:203.0.113.7")
    assert 0 < redis_client.ttl("salesbot:login-failures:address:203.0.113.7") <= 301


def test_the_database_counts_while_redis_is_down(db):
    _, engine = db
    throttle = login_throttle(engine, "redis://127.0.0.1:1/0")  # nothing listens
    assert isinstance(throttle, FallbackThrottle)
    for _ in range(20):
        assert throttle.allow("address:203.0.113.9")
        throttle.failed("address:203.0.113.9")
    assert not throttle.allow("address:203.0.113.9")
    assert not SqlLoginThrottle(engine).allow("address:203.0.113.9")
