"""The short version of the fault benchmark (bench/cluster_load.py): clerks chat
through the cluster while PostgreSQL refuses connections, Redis is down, an action
server and a Rasa server are killed with `kill -9`. For each fault: nothing is lost
once it ends, during a database or Redis outage the clerk gets the apology (never
an empty reply or an error page), and the tracker, read with SQL of its own, holds
every answered turn once, in the order sent. It measures no time: the figures come
from `make bench-load`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bench.cluster_load import FAULTS, Bench, FaultRun, bench_cluster, counts, fault_run
from bot.runtime.cluster import HAPROXY
from tests.conftest import skip_without_postgres
from tests.e2e.conftest import MODEL

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.skipif(not HAPROXY.exists(), reason="no HAProxy: `make haproxy`"),
]


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> Iterator[Bench]:
    skip_without_postgres()
    with bench_cluster(tmp_path_factory.mktemp("faults"), 300, model=MODEL) as b:
        yield b


@pytest.fixture(scope="module")
def runs(bench) -> dict[str, FaultRun]:
    """Every fault once, in FAULTS' order (the kills last: they stay killed)."""
    return {
        fault: asyncio.run(fault_run(bench, fault, 6, 0.5, 5, 8, 10))
        for fault in FAULTS
    }


@pytest.mark.parametrize("fault", FAULTS)
def test_nothing_is_lost_once_the_fault_ends(runs, fault):
    run = runs[fault]
    assert counts(run.before()) == {"ok": len(run.before()), "polite": 0, "lost": 0}
    after = counts(run.after())
    lost = [
        (t.sent - run.end, t.ms, t.status) for t in run.after() if t.outcome == "lost"
    ]
    assert after["lost"] == 0 and after["ok"] >= 12, (after, lost)
    assert run.recovery() < 10
    assert run.tracker.good, (run.tracker.out_of_order, run.tracker.missing)


@pytest.mark.parametrize("fault", ["postgres", "redis", "action server"])
def test_an_outage_gets_the_apology_not_silence(runs, fault):
    assert counts(runs[fault].during())["lost"] == 0


def test_the_database_outage_was_felt(runs):
    assert counts(runs["postgres"].during())["polite"] > 0


def test_logins_go_on_while_redis_is_down(runs):
    logins = runs["redis"].logins
    assert len(logins) >= 15 and all(ok for _, ok in logins)
