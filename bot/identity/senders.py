"""Conversation ids of customer channels: the channel prefix plus the channel's user id.

Only the WeChat channel creates ids with its prefix; the REST (staff) channel refuses
them, so a staff conversation can never continue a customer's and vice versa.
"""

from __future__ import annotations

WECHAT_PREFIX = "wx:"
CUSTOMER_CHANNELS = frozenset({"wechat"})


def wechat_sender(openid: str) -> str:
    return WECHAT_PREFIX + openid


def openid_of(sender_id: str) -> str | None:
    if sender_id.startswith(WECHAT_PREFIX):
        return sender_id[len(WECHAT_PREFIX) :]
    return None


def reserved(sender_id: str) -> bool:
    return sender_id.startswith(WECHAT_PREFIX)
