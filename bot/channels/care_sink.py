"""Where dispatched care messages go when no messaging API is configured: a JSON-lines
file, one line per delivered message, deduplicated by idempotency key.

The key makes a retried delivery harmless: a dispatcher killed after writing a message
but before marking it sent will find the key here on its retry and only mark it.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path


class DeliveryError(RuntimeError):
    """The channel refused or failed a message; the dispatcher retries later."""


class FileSink:
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

    def deliver(self, key: str, customer_id: int, body: str) -> bool:
        """Write the message unless its key was delivered; True if written now."""
        with self._lock:
            if key in self._delivered:
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            record = {"key": key, "customer_id": customer_id, "body": body}
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            self._delivered.add(key)
            return True
