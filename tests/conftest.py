"""Shared fixtures: knowledge, migrated databases (SQLite and PostgreSQL), demo data."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine, make_url

from bot.config import PROJECT_ROOT
from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.demo.generator import DemoConfig, generate
from bot.knowledge import Knowledge, load_knowledge
from bot.services.recommendations import train_recommender
from bot.services.segmentation import run_segmentation

DEMO_AS_OF = dt.date(2026, 11, 20)
DEMO_SEED = 7
DEMO_CUSTOMERS = 400
SHANGHAI = ZoneInfo("Asia/Shanghai")
PG_URL = os.environ.get(
    "SALESBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge(PROJECT_ROOT / "knowledge")


class Clock:
    """A clock a test sets and moves: `clock.now = ...`, `clock.advance(hours=2)`."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


def migrated_sqlite(path: Path) -> tuple[str, Engine]:
    url = f"sqlite:///{path}"
    upgrade(url)
    return url, make_engine(url)


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """An empty SQLite database built by the migrations."""
    url, engine = migrated_sqlite(tmp_path / "salesbot.db")
    yield url, engine
    engine.dispose()


def zone_at_local_hour(hour: int) -> str:
    """A fixed-offset zone whose local time now is about `hour` o'clock (for tests
    of the quiet hours that must not depend on when they run)."""
    offset = hour - dt.datetime.now(dt.timezone.utc).hour
    offset = (offset + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}"


def demo_config(customers: int = DEMO_CUSTOMERS, seed: int = DEMO_SEED) -> DemoConfig:
    return DemoConfig(customers=customers, seed=seed, as_of=DEMO_AS_OF, tz=SHANGHAI)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, knowledge: Knowledge) -> Iterator[tuple[str, Engine]]:
    """A segmented demo database shared by tests that only read (and audit)."""
    url, engine = migrated_sqlite(tmp_path_factory.mktemp("demo") / "demo.db")
    generate(engine, knowledge, demo_config(), progress=False)
    run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_model_dir(demo_db, knowledge: Knowledge, tmp_path_factory) -> Path:
    """A recommender model trained on the demo database."""
    root = tmp_path_factory.mktemp("models")
    train_recommender(demo_db[1], knowledge, SHANGHAI, root, DEMO_AS_OF)
    return root


def skip_without_postgres() -> None:
    """Skip the test when no PostgreSQL server answers at PG_URL."""
    admin = make_engine(PG_URL)
    try:
        with admin.connect():
            pass
    except Exception as error:  # noqa: BLE001 (any connection failure means: skip)
        pytest.skip(f"no PostgreSQL server at {PG_URL} ({type(error).__name__})")
    finally:
        admin.dispose()


def fresh_pg_database(prefix: str = "salesbot_test") -> Iterator[str]:
    """A new PostgreSQL database's URL, dropped afterwards; skips when no server
    answers. A generator for fixtures of any scope."""
    from bot.db.create import drop_database, ensure_database

    skip_without_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    ensure_database(url)
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards; skipped when no server answers."""
    yield from fresh_pg_database()


REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture()
def redis_client():
    """Redis database 15, emptied before and after; skipped when no server answers."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    yield client
    client.flushdb()
