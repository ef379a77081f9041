"""Two Rasa servers on one PostgreSQL tracker store, the same conversation sent to
both at once: with the advisory lock store each message is processed whole by one
server before the next begins, so no event is lost, doubled or interleaved.

Without a lock store that holds across servers, a load run lost about half of the
user events this way (issue #17); the check here is on the tracker's rows, read
with SQL of its own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, text

from bot.config import PROJECT_ROOT
from bot.runtime.servers import free_port, start_action_server, start_rasa_server
from tests.conftest import fresh_pg_database
from tests.e2e.conftest import MODEL

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
ROUNDS = 200
GREETINGS = ("你好", "您好", "早上好", "下午好", "谢谢", "好的")


@pytest.fixture(scope="module")
def tracker_url() -> Iterator[str]:
    yield from fresh_pg_database("salesbot_replicas")


@pytest.fixture(scope="module")
def replicas(demo_db, demo_model_dir, tracker_url, tmp_path_factory) -> Iterator:
    url, _ = demo_db
    logs = tmp_path_factory.mktemp("replica-logs")
    env = {
        "SALESBOT_TRACKER_URL": tracker_url,
        "DATABASE_URL": url,
        "SALESBOT_TZ": "Asia/Shanghai",
        "SALESBOT_MODEL_DIR": str(demo_model_dir),
        "SALESBOT_CONSOLE_SECRET": "replicas",
    }
    action_port = free_port()
    actions = start_action_server(action_port, env, logs / "actions.log", PROJECT_ROOT)
    servers = [
        start_rasa_server(
            MODEL,
            free_port(),
            action_port,
            env,
            logs / f"rasa-{n}.log",
            PROJECT_ROOT,
            enable_api=True,
            tracker_url=tracker_url,
        )
        for n in (1, 2)
    ]
    try:
        actions.wait_healthy(180)
        for server in servers:
            server.wait_healthy(300)
        yield [server.health_url for server in servers]  # .../webhooks/rest/
    finally:
        for server in servers:
            server.stop()
        actions.stop()


def test_one_conversation_sent_to_two_servers_at_once(replicas, tracker_url):
    sender = f"replica-{uuid.uuid4().hex[:8]}"
    sent = []

    def send(url: str, message: str) -> list:
        answer = requests.post(
            url + "webhook", json={"sender": sender, "message": message}, timeout=120
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    with ThreadPoolExecutor(2) as pool:
        for n in range(ROUNDS):
            pair = [f"{GREETINGS[(n + m) % len(GREETINGS)]}{'!' * m}" for m in (0, 1)]
            pair = [f"{text_} #{n}-{m}" for m, text_ in enumerate(pair)]
            sent += pair
            replies = list(pool.map(send, replicas, pair))
            assert all(replies), f"round {n}: an empty reply {replies}"

    engine = create_engine(tracker_url, future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT type_name, action_name, data FROM events "
                "WHERE sender_id = :sender ORDER BY id"
            ),
            {"sender": sender},
        ).all()
    engine.dispose()
    said = [json.loads(r.data)["text"] for r in rows if r.type_name == "user"]
    assert len(said) == 2 * ROUNDS  # none lost
    assert sorted(said) == sorted(sent)  # none doubled
    for first, second in zip(sent[0::2], sent[1::2], strict=True):
        # the pair of a round may go either way, but rounds keep their order
        assert abs(said.index(first) - said.index(second)) == 1
    # every message is answered whole before the next one is taken in
    listening = True
    for row in rows:
        if row.type_name == "user":
            assert listening, "a message was taken in while another was processed"
            listening = False
        elif row.type_name == "action" and row.action_name == "action_listen":
            listening = True
    # each server reads the same conversation back
    trackers = [
        requests.get(
            url.replace("/webhooks/rest/", f"/conversations/{sender}/tracker"),
            timeout=30,
        )
        for url in replicas
    ]
    assert [t.status_code for t in trackers] == [200, 200]
    mine, theirs = (t.json() for t in trackers)
    assert mine["slots"] == theirs["slots"]
    assert len(mine["events"]) == len(rows)
