"""The action server killed while a clerk chats: the Rasa server answers with the
domain's polite service error instead of nothing (Rasa 3.6.21 answered `[]`), keeps
it in the conversation, and the next turn after a restart is served normally."""

from __future__ import annotations

import json
import signal
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

from bot.config import PROJECT_ROOT
from bot.runtime.servers import free_port, start_action_server, start_rasa_server
from tests.e2e.conftest import MODEL

pytestmark = pytest.mark.e2e
POLITE = "抱歉，系统暂时查不到数据，请稍后再试。如果一直这样，请联系门店店长。"


def test_a_dead_action_server_gets_a_polite_reply(demo_db, demo_model_dir, tmp_path):
    url, _ = demo_db
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    env = {
        "SALESBOT_TRACKER_URL": tracker,
        "DATABASE_URL": url,
        "SALESBOT_TZ": "Asia/Shanghai",
        "SALESBOT_MODEL_DIR": str(demo_model_dir),
        "SALESBOT_CONSOLE_SECRET": "down",
    }
    action_port = free_port()

    def actions():
        server = start_action_server(
            action_port, env, tmp_path / "actions.log", PROJECT_ROOT
        )
        server.wait_healthy(180)
        return server

    action_server = actions()
    rasa = start_rasa_server(
        MODEL,
        free_port(),
        action_port,
        env,
        tmp_path / "rasa.log",
        PROJECT_ROOT,
        tracker_url=tracker,
    )
    sender = f"down-{uuid.uuid4().hex[:8]}"

    def say(message: str) -> list[str]:
        answer = requests.post(
            rasa.health_url + "webhook",
            json={"sender": sender, "message": message},
            timeout=120,
        )
        assert answer.status_code == 200, answer.text
        return [m.get("text", "") for m in answer.json()]

    try:
        rasa.wait_healthy(300)
        served = say("查13800000000")
        assert served and POLITE not in served  # the card, from the action server
        action_server.process.send_signal(signal.SIGKILL)
        action_server.process.wait(10)
        assert say("查13800000001") == [POLITE]
        action_server = actions()
        again = say("查13800000000")
        assert again and POLITE not in again
    finally:
        rasa.stop()
        action_server.stop()
    engine = create_engine(tracker, future=True)
    with engine.connect() as conn:
        said = [
            json.loads(row[0]).get("text")
            for row in conn.execute(
                text(
                    "SELECT data FROM events WHERE sender_id = :s AND type_name = 'bot'"
                    " ORDER BY id"
                ),
                {"s": sender},
            )
        ]
    engine.dispose()
    assert said.count(POLITE) == 1  # kept in her conversation
