"""A real action server and a real Rasa server with the trained model, on loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from bot.config import PROJECT_ROOT
from bot.runtime.servers import free_port, start_action_server, start_rasa_server

MODEL = PROJECT_ROOT / "models" / "salesbot.tar.gz"


@dataclass(frozen=True)
class Bot:
    base_url: str
    database_url: str

    @property
    def webhook(self) -> str:
        return f"{self.base_url}/webhooks/rest/webhook"

    def post(self, body, **kwargs) -> requests.Response:
        return requests.post(self.webhook, json=body, timeout=60, **kwargs)

    def parse(self, text: str) -> dict:
        """What the NLU makes of a text (Rasa's /model/parse)."""
        answer = requests.post(
            f"{self.base_url}/model/parse", json={"text": text}, timeout=60
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def say(self, sender: str, message: str) -> str:
        """Send one message; the bot's replies joined by newlines."""
        answer = self.post({"sender": sender, "message": message})
        assert answer.status_code == 200, answer.text
        return "\n".join(part.get("text", "") for part in answer.json())


@pytest.fixture(scope="session")
def bot(demo_db, demo_model_dir, tmp_path_factory) -> Iterator[Bot]:
    if not MODEL.exists():
        pytest.fail(
            f"no trained model at {MODEL}: run `make model` (make test trains it)"
        )
    url, _ = demo_db
    logs = tmp_path_factory.mktemp("server-logs")
    action_port, rasa_port = free_port(), free_port()
    env = {
        "DATABASE_URL": url,
        "SALESBOT_TZ": "Asia/Shanghai",
        "SALESBOT_MODEL_DIR": str(demo_model_dir),
    }
    actions = start_action_server(action_port, env, logs / "actions.log", PROJECT_ROOT)
    rasa = start_rasa_server(
        MODEL,
        rasa_port,
        action_port,
        env,
        logs / "rasa.log",
        PROJECT_ROOT,
        enable_api=True,
    )
    try:
        actions.wait_healthy(180)
        rasa.wait_healthy(300)
        yield Bot(f"http://127.0.0.1:{rasa_port}", url)
    finally:
        rasa.stop()
        actions.stop()
