"""Conversation ids of customer channels: the channel prefix plus the channel's user id.

Only the WeChat channel creates ids with its prefix, only the clerks' console ids
with its own; the open REST channel refuses both, so no conversation can be continued
from a channel it did not start in.
"""

from __future__ import annotations

WECHAT_PREFIX = "wx:"
CONSOLE_PREFIX = "console:"
CUSTOMER_CHANNELS = frozenset({"wechat"})
CONSOLE_CHANNEL = "console"


def wechat_sender(openid: str) -> str:
    return WECHAT_PREFIX + openid


def openid_of(sender_id: str) -> str | None:
    if sender_id.startswith(WECHAT_PREFIX):
        return sender_id[len(WECHAT_PREFIX) :]
    return None


def reserved(sender_id: str) -> bool:
    return sender_id.startswith((WECHAT_PREFIX, CONSOLE_PREFIX))
