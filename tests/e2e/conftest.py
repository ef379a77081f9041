"""A real action server and a real Rasa server with the trained model, on loopback ports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bot.channels.wechat_simulator import WeChatSimulator
from bot.config import PROJECT_ROOT
from bot.runtime.servers import free_port, start_action_server, start_rasa_server
from tests.fakes.wechat import APPID, SECRET, FakeWeChatServer

MODEL = PROJECT_ROOT / "models" / "salesbot.tar.gz"
WECHAT_TOKEN = "e2e-token"
CONSOLE_SECRET = "e2e-console-secret"
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@dataclass(frozen=True)
class Bot:
    base_url: str
    database_url: str
    codes_path: Path
    wechat_api: FakeWeChatServer
    action_port: int
    env: dict
    rasa_port: int = 0

    def wechat(self, encrypted: bool = False) -> WeChatSimulator:
        """WeChat's side of the channel: plain, or safe mode (AES). What she does
        there is also told to the fake WeChat API, as WeChat itself would know."""
        return ObservedWeChat(
            self.wechat_api,
            f"{self.base_url}/webhooks/wechat/webhook",
            WECHAT_TOKEN,
            WECHAT_AES_KEY if encrypted else None,
            APPID,
        )

    def send_text(self):
        """`send(openid, text)` through WeChat with the token the servers share."""
        from sqlalchemy import create_engine

        from bot.outbound.wechat import WeChatOutbound, wechat_client
        from bot.outbound.wechat_token import shared_session

        engine = create_engine(self.database_url, future=True)
        session = shared_session(engine, None)
        client = wechat_client(APPID, SECRET, session, self.wechat_api.base)
        return WeChatOutbound(client).send_text

    def last_code(self, phone: str) -> str | None:
        """The latest verification code sent to `phone` (file code sender)."""
        if not self.codes_path.exists():
            return None
        codes = [
            json.loads(line)
            for line in self.codes_path.read_text(encoding="utf-8").splitlines()
        ]
        sent = [c["code"] for c in codes if c["phone"] == phone]
        return sent[-1] if sent else None

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
        return "\n".join(part.get("text", "") for part in self.turn(sender, message))

    def sql(self, query) -> list:
        """Rows of `query`, read on a connection of its own (not the servers')."""
        from sqlalchemy import create_engine

        engine = create_engine(self.database_url, future=True)
        try:
            with engine.connect() as conn:
                return conn.execute(query).all()
        finally:
            engine.dispose()

    def turn(self, sender: str, message: str) -> list[dict]:
        """Send one message; the bot's replies as Rasa sends them (with buttons)."""
        answer = self.post({"sender": sender, "message": message})
        assert answer.status_code == 200, answer.text
        return answer.json()


class ObservedWeChat(WeChatSimulator):
    def __init__(self, api: FakeWeChatServer, *args) -> None:
        super().__init__(*args)
        self.api = api

    def text(self, openid, content, msg_id=None):
        self.api.customer_did(openid, "message")
        return super().text(openid, content, msg_id)

    def media(self, openid, kind="image"):
        self.api.customer_did(openid, "message")
        return super().media(openid, kind)

    def event(self, openid, event):
        if event.lower() in ("subscribe", "click", "scan", "scancode_push"):
            self.api.customer_did(openid, "event")
        elif event.lower() == "unsubscribe":
            self.api.unfollow(openid)
        return super().event(openid, event)


@pytest.fixture(scope="session")
def wechat_api() -> Iterator[FakeWeChatServer]:
    """WeChat's API, with the templates the shop registered (knowledge/wechat.yml)."""
    from bot.knowledge import load_knowledge

    server = FakeWeChatServer()
    delivery = load_knowledge(PROJECT_ROOT / "knowledge").wechat
    for template in delivery.templates.values():
        kinds = {key: kind for key, (kind, _) in template.keywords().items()}
        server.register_template(template.template_id, kinds)
    for template in delivery.subscriptions.values():
        kinds = {key: kind for key, (kind, _) in template.keywords().items()}
        server.register_subscribe_template(template.template_id, kinds)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bot(demo_db, demo_model_dir, wechat_api, tmp_path_factory) -> Iterator[Bot]:
    if not MODEL.exists():
        pytest.fail(
            f"no trained model at {MODEL}: run `make model` (make test trains it)"
        )
    url, _ = demo_db
    logs = tmp_path_factory.mktemp("server-logs")
    action_port, rasa_port = free_port(), free_port()
    codes = logs / "codes.jsonl"
    tracker = f"sqlite:///{logs / 'tracker.db'}"
    env = {
        "SALESBOT_CONSOLE_SECRET": CONSOLE_SECRET,
        "SALESBOT_TRACKER_URL": tracker,
        "DATABASE_URL": url,
        "SALESBOT_TZ": "Asia/Shanghai",
        "SALESBOT_MODEL_DIR": str(demo_model_dir),
        "SALESBOT_CODE_SENDER": f"file:{codes}",
        "SALESBOT_WECHAT_TOKEN": WECHAT_TOKEN,
        "SALESBOT_WECHAT_AES_KEY": WECHAT_AES_KEY,
        "SALESBOT_WECHAT_APPID": APPID,
        "SALESBOT_WECHAT_SECRET": SECRET,
        "SALESBOT_WECHAT_API": wechat_api.base,
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
        tracker_url=tracker,
    )
    try:
        actions.wait_healthy(180)
        rasa.wait_healthy(300)
        yield Bot(
            f"http://127.0.0.1:{rasa_port}",
            url,
            codes,
            wechat_api,
            action_port,
            env,
            rasa_port,
        )
    finally:
        rasa.stop()
        actions.stop()


@pytest.fixture(scope="session")
def consoles_log(tmp_path_factory) -> Path:
    """Where the consoles' server writes its log."""
    return tmp_path_factory.mktemp("web-logs") / "web.log"


@pytest.fixture(scope="session")
def consoles(bot, consoles_log) -> Iterator[str]:
    """The consoles (`salesbot web`) beside the running bot; yields the base URL."""
    from bot.runtime.servers import start_web_server

    port = free_port()
    env = {**bot.env, "SALESBOT_RASA_URL": bot.base_url}
    web = start_web_server(port, env, consoles_log, PROJECT_ROOT)
    try:
        web.wait_healthy(60)
        yield f"http://127.0.0.1:{port}"
    finally:
        web.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, for the browser tests of one module."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import CHROMIUM

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()
