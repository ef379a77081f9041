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

from bot.channels.wechat_api import WECHAT_API, wechat_client


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

    def delivered(self, key: str) -> bool:
        return key in self._delivered

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


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (no WeChat account bound, the user blocked us)."""

    permanent = True


class WeChatSink:
    """Customer-service messages (客服消息) of an Official Account through wechatpy.

    WeChat's API does not deduplicate, so delivered keys are kept in a ledger file
    written right after WeChat accepts a message: a crash between the two can repeat
    that one message, nothing else. `api_base` is WeChat's by default; a relay proxy
    (or a test server) can stand in.
    """

    # errcodes no retry fixes: bad openid, user refused, outside the 48-hour window
    PERMANENT = {40003, 43004, 45015, 45047, 48001}

    def __init__(
        self,
        appid: str,
        secret: str,
        openid_of,
        ledger: Path,
        api_base: str = WECHAT_API,
    ) -> None:
        self._client = wechat_client(appid, secret, api_base)
        self._openid_of = openid_of
        self._ledger = FileSink(ledger)

    def close(self) -> None:
        """Close the HTTP session wechatpy keeps."""
        self._client._http.close()

    def deliver(self, key: str, customer_id: int, body: str) -> bool:
        from wechatpy.exceptions import WeChatClientException

        if self._ledger.delivered(key):
            return False
        openid = self._openid_of(customer_id)
        if not openid:
            raise PermanentDeliveryError("no WeChat account bound to this customer")
        try:
            self._client.message.send_text(openid, body)
        except WeChatClientException as error:
            if error.errcode in self.PERMANENT:
                message = f"WeChat {error.errcode}: {error.errmsg}"
                raise PermanentDeliveryError(message) from None
            raise DeliveryError(f"WeChat {error.errcode}: {error.errmsg}") from None
        except OSError as error:
            raise DeliveryError(f"WeChat unreachable: {error}") from None
        self._ledger.deliver(key, customer_id, body)
        return True
