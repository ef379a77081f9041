"""The Official Account's outbound API (customer-service messages) through wechatpy.

Used by the channel for replies that miss WeChat's 5-second window, by clerks'
handoff replies and by the care dispatcher. `api_base` is WeChat's by default; a
relay proxy (or a test server) can stand in.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from bot import config
from bot.config import PROJECT_ROOT

logger = logging.getLogger(__name__)
WECHAT_API = "https://api.weixin.qq.com/cgi-bin/"


def wechat_client(appid: str, secret: str, api_base: str = WECHAT_API):
    """A wechatpy client whose calls (token included) go to `api_base`."""
    from wechatpy import WeChatClient

    base = api_base if api_base.endswith("/") else api_base + "/"

    class Client(WeChatClient):
        API_BASE_URL = base

        def fetch_access_token(self):
            return self._fetch_access_token(
                url=f"{base}token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                },
            )

    return Client(appid, secret)


def text_sender(
    appid: str | None, secret: str | None, api_base: str | None
) -> Callable[[str, str], None]:
    """`send(openid, text)`: WeChat's customer-service API when credentials are set,
    else a JSON-lines file under var/outbox (development: nothing leaves here)."""
    if appid and secret:
        client = wechat_client(appid, secret, api_base or WECHAT_API)
        return lambda openid, text: client.message.send_text(openid, text)
    path = PROJECT_ROOT / "var" / "outbox" / "wechat-replies.jsonl"
    logger.warning("WeChat API not configured: replies are written to %s", path)
    return _file_sender(path)


def default_text_sender() -> Callable[[str, str], None]:
    credentials = config.wechat_credentials()
    if credentials is None:
        return text_sender(None, None, None)
    return text_sender(*credentials)


def _file_sender(path: Path) -> Callable[[str, str], None]:
    lock = threading.Lock()

    def send(openid: str, text: str) -> None:
        with lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                record = {"openid": openid, "text": text}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    return send
