"""The clerks' tablet console talks to the bot through this channel.

Only the console server knows the shared secret (`SALESBOT_CONSOLE_SECRET`, sent as
the `X-Salesbot-Console` header), so the staff member and store in the metadata come
from the console's login session, never from a browser. URL:
POST /webhooks/console/webhook {"sender": "console:...", "message": "...",
"metadata": {"staff": "s01c1", "store_id": 1}}
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from sanic import response
from sanic.request import Request

from bot.channels.rest import ValidatedRestInput
from bot.identity.senders import CONSOLE_PREFIX

SECRET_HEADER = "X-Salesbot-Console"


def console_metadata(sent: Any) -> dict[str, Any] | None:
    """{"staff": {"username", "id", "store_id"}} with the right types, else None."""
    staff = sent.get("staff") if isinstance(sent, dict) else None
    if not isinstance(staff, dict) or not isinstance(staff.get("username"), str):
        return None

    def number(value):
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return {
        "staff": {
            "username": staff["username"][:32],
            "id": number(staff.get("id")),
            "store_id": number(staff.get("store_id")),
        }
    }


class ConsoleInput(ValidatedRestInput):
    own_prefix = CONSOLE_PREFIX

    @classmethod
    def name(cls) -> str:
        return "console"

    @classmethod
    def from_credentials(cls, credentials):
        secret = (credentials or {}).get("secret") or os.environ.get(
            "SALESBOT_CONSOLE_SECRET"
        )
        return cls(secret)

    def __init__(self, secret: str | None) -> None:
        super().__init__()
        self.secret = secret

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Only the staff member the console server names, field by field."""
        return console_metadata((request.json or {}).get("metadata"))

    def blueprint(self, on_new_message):
        blueprint = super().blueprint(on_new_message)

        @blueprint.middleware("request")
        async def authenticate(request: Request):
            if request.method != "POST":
                return None
            given = request.headers.get(SECRET_HEADER, "")
            if not self.secret or not hmac.compare_digest(given, self.secret):
                return response.json({"error": "console only"}, status=403)
            return None

        return blueprint
