"""`make run-cluster`'s cluster, started on PostgreSQL behind Debian's HAProxy:
conversations stick to one Rasa server by sender (REST and WeChat), different
senders spread over both, the consoles work through the balancer, and when the Rasa
server holding a conversation is killed with `kill -9`, the next message is answered
by the other one with the conversation's context read from the shared tracker."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator

import pytest
import requests

from bot.config import PROJECT_ROOT
from bot.runtime.cluster import HAPROXY, Fronts, start_cluster
from bot.runtime.demo import demo_steps, run_steps
from bot.runtime.servers import free_port
from tests.conftest import fresh_pg_database
from tests.e2e.conftest import MODEL, WECHAT_TOKEN

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.skipif(not HAPROXY.exists(), reason="no HAProxy: `make haproxy`"),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator:
    databases = fresh_pg_database("salesbot_cluster"), fresh_pg_database("salesbot_ct")
    database, tracker = (next(d) for d in databases)
    logs = tmp_path_factory.mktemp("cluster")
    env = {
        "DATABASE_URL": database,
        "SALESBOT_TRACKER_URL": tracker,
        "SALESBOT_MODEL_DIR": str(logs / "models"),
        "SALESBOT_CONSOLE_SECRET": "cluster",
        "SALESBOT_TZ": "Asia/Shanghai",
        "SALESBOT_WECHAT_TOKEN": WECHAT_TOKEN,
    }
    run_steps(demo_steps(300, "2026-11-20"), env, PROJECT_ROOT)
    fronts = Fronts(free_port(), free_port(), free_port(), free_port())
    running = start_cluster(MODEL, env, logs, PROJECT_ROOT, fronts)
    try:
        running.wait_healthy(300)
        yield running
    finally:
        running.stop()
        for generator in databases:
            generator.close()


def served(cluster) -> dict[str, int]:
    """Requests each Rasa server got, from HAProxy's statistics."""
    return {
        r["svname"]: int(r["stot"] or 0)
        for r in cluster.statistics()
        if r["pxname"] == "rasa" and r["svname"].startswith("rasa")
    }


def say(cluster, sender: str, message: str) -> list[str]:
    answer = requests.post(
        f"http://127.0.0.1:{cluster.fronts.rasa}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    return [m.get("text", "") for m in answer.json()]


def changed(before: dict, after: dict) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k)}


def test_a_conversation_sticks_to_one_server_and_senders_spread(cluster):
    sender = f"clerk-{uuid.uuid4().hex[:8]}"
    before = served(cluster)
    for _ in range(6):
        assert say(cluster, sender, "你好")
    assert list(changed(before, served(cluster)).values()) == [6]
    before = served(cluster)
    for n in range(20):
        say(cluster, f"spread-{uuid.uuid4().hex[:6]}-{n}", "你好")
    assert len(changed(before, served(cluster))) == 2  # both servers took some


def test_a_wechat_customer_sticks_by_openid(cluster):
    from bot.channels.wechat_simulator import WeChatSimulator

    wechat = WeChatSimulator(
        f"http://127.0.0.1:{cluster.fronts.rasa}/webhooks/wechat/webhook",
        WECHAT_TOKEN,
    )
    openid = f"oCluster{uuid.uuid4().hex[:10]}"
    before = served(cluster)
    for _ in range(4):
        assert wechat.text(openid, "你好").status == 200
    assert list(changed(before, served(cluster)).values()) == [4]


def test_the_consoles_log_in_through_the_balancer(cluster):
    base = f"http://127.0.0.1:{cluster.fronts.consoles}"
    session = requests.Session()
    session.get(f"{base}/login", timeout=10)
    answer = session.post(
        f"{base}/login",
        data={
            "username": "s01c1",
            "password": "demo1234",
            "csrf": session.cookies["salesbot_login_csrf"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302


def test_a_killed_server_hands_its_conversations_to_the_other(cluster):
    sender = f"failover-{uuid.uuid4().hex[:8]}"
    before = served(cluster)
    card = say(cluster, sender, "查13800000000")
    assert any("王" in line for line in card)
    (holder,) = changed(before, served(cluster))
    victim = cluster.rasa[int(holder.removeprefix("rasa")) - 1]
    os.killpg(victim.process.pid, signal.SIGKILL)
    victim.process.wait(10)
    # the next turn needs her in context: it comes from the shared tracker store
    answer = say(cluster, sender, "给她推荐点东西")
    assert any(line.startswith("给王") for line in answer), answer
