"""Rasa's REST channel with the request checked before Rasa sees it.

Rasa's own `RestInput` answers a JSON array with a 500, drops a missing message
silently and files requests without a sender under one shared "default"
conversation, where one clerk's customer in context would be visible to the next.
Here such requests get a 400 with the reason, and a body over MAX_BODY_BYTES a 413.
Rasa stores a message's metadata in the tracker with the message (it kept 2 MiB
for every 1 MiB sent, and a few 10 MiB turns made every later reply of that
conversation empty): nothing the REST client sends as metadata is kept, since the
bot reads none of it; the console keeps its staff member (bot/channels/console.py).
Same name, same URL:
POST /webhooks/rest/webhook {"sender": "...", "message": "...", "metadata": {...}}
"""

from __future__ import annotations

import re
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic import response
from sanic.request import Request

from bot.identity.senders import reserved

MAX_MESSAGE_CHARS = 1000
MAX_BODY_BYTES = 16 * 1024
SENDER = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")


def payload_problem(body: Any, own_prefix: str | None = None) -> str | None:
    """Why a webhook body is unacceptable, or None when it is fine; sender ids of
    other channels are refused unless they carry this channel's `own_prefix`."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not SENDER.match(sender):
        return "sender must be 1-64 characters of letters, digits and _ . : @ -"
    if reserved(sender) and not (own_prefix and sender.startswith(own_prefix)):
        return "sender ids starting with wx: or console: belong to other channels"
    if not isinstance(message, str) or not message.strip():
        return "message must be a non-empty string"
    if len(message) > MAX_MESSAGE_CHARS:
        return f"message is longer than {MAX_MESSAGE_CHARS} characters"
    if not isinstance(body.get("metadata", {}), dict):
        return "metadata must be a JSON object"
    return None


class ValidatedRestInput(RestInput):
    own_prefix: str | None = None

    @classmethod
    def name(cls) -> str:
        return "rest"

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """What of the sent metadata the bot needs: nothing, on this channel."""
        return None

    def blueprint(self, on_new_message):
        blueprint = super().blueprint(on_new_message)

        @blueprint.middleware("request")
        async def check(request: Request):
            if request.method != "POST":
                return None
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json(
                    {"error": f"the body is larger than {MAX_BODY_BYTES} bytes"},
                    status=413,
                )
            try:
                body = request.json
            except Exception:  # noqa: BLE001 (any parse failure is the client's)
                return response.json(
                    {"error": "the body is not valid JSON"}, status=400
                )
            problem = payload_problem(body, self.own_prefix)
            if problem:
                return response.json({"error": problem}, status=400)
            return None

        return blueprint
