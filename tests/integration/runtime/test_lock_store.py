"""The advisory lock store on a real PostgreSQL: two stores stand for two Rasa
servers (each its own engine and connections, as two processes have)."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import create_engine, text

from bot.runtime.lock_store import AdvisoryLockStore, lock_key


def test_the_key_is_stable_and_spreads():
    assert lock_key("wx-abc") == lock_key("wx-abc")
    keys = {lock_key(f"clerk-{n}") for n in range(10_000)}
    assert len(keys) == 10_000
    assert all(-(2**63) <= key < 2**63 for key in keys)


def test_rasa_builds_it_from_the_endpoints(pg_url):
    store = LockStore.create(
        EndpointConfig(url=pg_url, type="bot.runtime.lock_store.AdvisoryLockStore")
    )
    assert isinstance(store, AdvisoryLockStore)


def test_it_refuses_sqlite():
    with pytest.raises(ValueError, match="PostgreSQL"):
        AdvisoryLockStore(url="sqlite:///var/x.db")


def test_one_conversation_is_never_in_two_servers_at_once(pg_url):
    stores = [AdvisoryLockStore(url=pg_url), AdvisoryLockStore(url=pg_url)]
    inside, most, order = 0, 0, []

    async def turn(n: int) -> None:
        nonlocal inside, most
        async with stores[n % 2].lock("same-sender", lock_lifetime=30):
            inside += 1
            most = max(most, inside)
            seen = len(order)
            await asyncio.sleep(0.002)  # the turn's own awaits (actions, DB)
            order.append(seen)  # read-modify-write across an await
            inside -= 1

    async def main():
        await asyncio.gather(*(turn(n) for n in range(200)))

    asyncio.run(main())
    assert most == 1
    assert order == list(range(200))  # no turn saw another's half-done state


def test_other_conversations_are_not_held_up(pg_url):
    store = AdvisoryLockStore(url=pg_url)

    async def main():
        async with store.lock("busy", lock_lifetime=30):
            started = time.monotonic()
            async with store.lock("someone-else", lock_lifetime=30):
                return time.monotonic() - started

    assert asyncio.run(main()) < 1.0


def test_a_held_conversation_times_out_with_rasas_error(pg_url):
    first, second = AdvisoryLockStore(url=pg_url), AdvisoryLockStore(url=pg_url)

    async def main():
        async with first.lock("stuck", lock_lifetime=30):
            with pytest.raises(LockError):
                async with second.lock("stuck", lock_lifetime=0.3):
                    pass

    asyncio.run(main())


def test_a_killed_server_releases_its_conversations_at_once(pg_url):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import asyncio, sys\n"
            "from bot.runtime.lock_store import AdvisoryLockStore\n"
            "async def main():\n"
            f"    async with AdvisoryLockStore(url={pg_url!r}).lock('held', 600):\n"
            "        print('held', flush=True)\n"
            "        await asyncio.sleep(600)\n"
            "asyncio.run(main())\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        store = AdvisoryLockStore(url=pg_url)

        async def blocked():
            with pytest.raises(LockError):
                async with store.lock("held", lock_lifetime=0.5):
                    pass

        asyncio.run(blocked())
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        started = time.monotonic()

        async def taken():
            async with store.lock("held", lock_lifetime=10):
                return time.monotonic() - started

        assert asyncio.run(taken()) < 2.0
    finally:
        holder.kill()
        holder.wait(10)
        holder.stdout.close()


def test_no_lock_is_left_behind(pg_url):
    store = AdvisoryLockStore(url=pg_url)

    async def main():
        for n in range(20):
            try:
                async with store.lock(f"c{n % 3}", lock_lifetime=5):
                    if n % 4 == 0:
                        raise RuntimeError("the turn failed")
            except RuntimeError:
                pass

    asyncio.run(main())
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        held = conn.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        ).scalar()
    engine.dispose()
    store.engine.dispose()
    assert held == 0


def test_a_turn_cancelled_while_waiting_leaves_no_lock(pg_url):
    first, second = AdvisoryLockStore(url=pg_url), AdvisoryLockStore(url=pg_url)

    async def waiting():
        async with second.lock("contested", lock_lifetime=30):
            pass

    async def main():
        async with first.lock("contested", lock_lifetime=30):
            waiter = asyncio.ensure_future(waiting())
            await asyncio.sleep(0.2)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
        async with first.lock("contested", lock_lifetime=1):
            return True

    assert asyncio.run(main())


def test_the_servers_endpoints_name_it_on_postgresql_only(pg_url, tmp_path):
    import yaml
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.utils import number_of_sanic_workers

    from bot.runtime.servers import lock_store_yaml

    config = yaml.safe_load(lock_store_yaml(pg_url))["lock_store"]
    endpoint = EndpointConfig(url=config.pop("url"), **config)
    store = LockStore.create(endpoint)
    assert isinstance(store, AdvisoryLockStore)
    assert number_of_sanic_workers(endpoint) >= 1  # Rasa accepts it for workers
    assert lock_store_yaml(f"sqlite:///{tmp_path / 't.db'}") == ""
    assert isinstance(LockStore.create(None), InMemoryLockStore)
