"""Where verification codes go: pluggable by `SALESBOT_CODE_SENDER`.

- `log` (default, development): the code is written to the server log.
- `file:PATH`: one JSON line per code (tests and local demos read it).
- `module:function`: any callable `(phone, code) -> None`, e.g. an SMS gateway.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from bot.customers.masking import mask_phone

logger = logging.getLogger("salesbot.codes")
_lock = threading.Lock()


def log_sender(phone: str, code: str) -> None:
    logger.warning(
        "verification code for %s: %s (development sender)", mask_phone(phone), code
    )


def file_sender(path: Path) -> Callable[[str, str], None]:
    def send(phone: str, code: str) -> None:
        record = {"phone": phone, "code": code, "at": dt.datetime.utcnow().isoformat()}
        with _lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

    return send


def code_sender(spec: str | None = None) -> Callable[[str, str], None]:
    """The sender named by `spec` (default: the environment, else `log`)."""
    spec = spec or os.environ.get("SALESBOT_CODE_SENDER", "log")
    if spec == "log":
        return log_sender
    if spec.startswith("file:"):
        return file_sender(Path(spec[len("file:") :]))
    module, _, name = spec.partition(":")
    if not name:
        raise ValueError(
            f"SALESBOT_CODE_SENDER={spec!r}: use log, file:PATH or module:function"
        )
    return getattr(importlib.import_module(module), name)
