"""The lock store the Rasa servers run with when there may be more than one: a
conversation is processed by one server at a time, whichever server got it.

Rasa processes a message inside `async with lock_store.lock(sender_id)`; its own
lock stores keep a ticket list that each server reads, changes and writes back, so
two servers can both believe they hold a conversation (Rasa's `RedisLockStore`
acquires without an atomic step: RasaHQ/rasa#11256, #9213), and the SQL tracker
store, which appends by event count, then loses or misplaces events.

Here the lock is a PostgreSQL session advisory lock on a 64-bit key of the
conversation id, taken with `pg_try_advisory_lock` (atomic in the database) on a
connection held for the whole turn. A server that dies loses its connection and
PostgreSQL releases its locks at once, so the other server carries on with the
conversation without waiting for a lease to run out. A waiting turn polls (5 ms,
doubling to 50 ms) instead of blocking a thread of the event loop's pool; after
`TICKET_LOCK_LIFETIME` seconds (Rasa's variable, default 60) it gives up with
Rasa's `LockError`, as Rasa's own stores do.

Configured in the endpoints that `bot.runtime.servers` writes when the tracker
store is PostgreSQL: `type: bot.runtime.lock_store.AdvisoryLockStore`, `url:` a
SQLAlchemy URL. SQLite needs no such lock: one server is all it supports.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

FIRST_WAIT = 0.005
LONGEST_WAIT = 0.05


def lock_key(conversation_id: str) -> int:
    """A stable signed 64-bit key (advisory locks take a bigint); the same in every
    process, unlike Python's salted `hash`."""
    digest = hashlib.blake2b(conversation_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLockStore(LockStore):
    """Only `lock` is used by Rasa 3.6 (agent, processor, server); the ticket
    methods of the base class have nothing to store here."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        url: str | None = None,
        pool_size: int = 5,
        max_overflow: int = 25,
    ) -> None:
        url = url or (endpoint_config.url if endpoint_config else None)
        if not url or not url.startswith("postgresql"):
            raise ValueError("AdvisoryLockStore needs a PostgreSQL URL (url:)")
        kwargs = endpoint_config.kwargs if endpoint_config else {}
        pool_size = int(kwargs.get("pool_size", pool_size))
        max_overflow = int(kwargs.get("max_overflow", max_overflow))
        self.engine: Engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
            future=True,
        )
        self.connections = pool_size + max_overflow
        self._loop_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = FIRST_WAIT,
    ) -> AsyncIterator[TicketLock]:
        key = lock_key(conversation_id)
        slots = self._slots()
        connection = await self._acquire(
            slots, key, conversation_id, lock_lifetime, wait_time_in_seconds
        )
        try:
            yield TicketLock(conversation_id)
        finally:
            try:
                await asyncio.to_thread(_release, connection, key)
            finally:
                slots.release()

    def _slots(self) -> asyncio.Semaphore:
        """One slot per connection of the pool, taken before a connection is: a
        thread then never waits for the pool, so the threads that release locks
        are never all stuck behind turns that wait for one."""
        loop = asyncio.get_running_loop()
        if loop not in self._loop_slots:
            self._loop_slots[loop] = asyncio.Semaphore(self.connections)
        return self._loop_slots[loop]

    async def _acquire(
        self,
        slots: asyncio.Semaphore,
        key: int,
        conversation_id: str,
        lifetime: float,
        first_wait: float,
    ) -> Connection:
        """The connection that holds the lock (its slot taken). A waiting turn
        holds no connection between tries, the first wait `first_wait`, each
        next one doubled up to `LONGEST_WAIT`."""
        deadline = time.monotonic() + lifetime
        wait = first_wait
        while True:
            await slots.acquire()
            trying = asyncio.ensure_future(
                asyncio.to_thread(_try_lock, self.engine, key)
            )
            try:
                connection = await asyncio.shield(trying)
            except asyncio.CancelledError:
                # the thread runs on: if it takes the lock, nobody will release it
                trying.add_done_callback(_drop_if_taken)
                slots.release()
                raise
            except BaseException:
                slots.release()
                raise
            if connection is not None:
                return connection
            slots.release()
            if time.monotonic() + wait > deadline:
                raise LockError(
                    f"Could not acquire lock for conversation_id '{conversation_id}' "
                    f"within {lifetime:g}s."
                )
            await asyncio.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT)

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return None

    def delete_lock(self, conversation_id: str) -> None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        return None


def _try_lock(engine: Engine, key: int) -> Connection | None:
    """A connection holding the lock, or None (the connection back in the pool)."""
    connection = engine.connect()
    try:
        taken = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
        ).scalar()
        connection.commit()  # no transaction stays open while the turn runs
    except BaseException:
        _drop(connection)
        raise
    if taken:
        return connection
    connection.close()
    return None


def _release(connection: Connection, key: int) -> None:
    """Unlock and give the connection back; if unlocking fails, end its session
    instead (PostgreSQL then releases the lock) rather than pool a connection that
    may still hold it."""
    try:
        released = connection.execute(
            text("SELECT pg_advisory_unlock(:key)"), {"key": key}
        ).scalar()
        connection.commit()
    except BaseException:
        _drop(connection)
        raise
    connection.close()
    if not released:
        logger.error("advisory lock %s was not held at release", key)


def _drop_if_taken(trying: asyncio.Future) -> None:
    if not trying.cancelled() and trying.exception() is None and trying.result():
        _drop(trying.result())


def _drop(connection: Connection) -> None:
    connection.invalidate()
    connection.close()
