"""Where messages go: WeChat when the Official Account is configured, else JSON-lines
files under var/outbox (development: nothing leaves the machine).

`deliver` takes one routed message and returns True if it went out now, False if
its idempotency key had gone out before (a retry after a crash)."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.care.routes import CUSTOMER_SERVICE, SUBSCRIBE, TEMPLATE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    key: str
    customer_id: int
    openid: str | None
    route: str
    body: str
    template_id: str | None = None
    data: dict | None = None


class FileOutlet:
    """One JSON line per message, deduplicated by key: a dispatcher killed after
    writing a message but before marking it sent finds the key on its retry."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._delivered: set[str] = set()
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                for line in handle:
                    try:
                        self._delivered.add(json.loads(line)["key"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a line torn by a crash mid-write

    def delivered(self, key: str) -> bool:
        return key in self._delivered

    def deliver(self, message: Outgoing) -> bool:
        with self._lock:
            if message.key in self._delivered:
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            record = {
                "key": message.key,
                "customer_id": message.customer_id,
                "route": message.route,
                "body": message.body,
            }
            if message.template_id:
                record["template_id"] = message.template_id
                record["data"] = message.data
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            self._delivered.add(message.key)
            return True

    def close(self) -> None:
        pass


class WeChatOutlet:
    """Each route through its WeChat API (see outbound.wechat)."""

    def __init__(self, outbound) -> None:
        self._outbound = outbound

    def deliver(self, message: Outgoing) -> bool:
        if message.route == CUSTOMER_SERVICE:
            self._outbound.send_text(message.openid, message.body)
        elif message.route == TEMPLATE:
            self._outbound.send_template(
                message.openid, message.template_id, message.data
            )
        elif message.route == SUBSCRIBE:
            self._outbound.send_subscribe(
                message.openid, message.template_id, message.data
            )
        else:
            raise ValueError(f"route {message.route} is not a WeChat API")
        return True

    def close(self) -> None:
        self._outbound.close()


def file_text_sender(path: Path):
    """`send(openid, text)` into a JSON-lines file (development)."""
    lock = threading.Lock()

    def send(openid: str, text: str) -> None:
        with lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                record = {"openid": openid, "text": text}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    return send
