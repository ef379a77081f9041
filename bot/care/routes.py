"""Which way a care message can reach her on WeChat, chosen when it is sent.

WeChat's rules (developers.weixin.qq.com, checked 2026-12; DOMAIN.md):
- customer-service messages only inside a window she opens: 5 within 48 hours of
  her message, 3 within 1 minute of a menu click, a follow or a QR scan;
- template messages are for service notices only: marketing is forbidden in them,
  and so in subscribe notices, which also need her one-off subscription;
- what no WeChat route may carry becomes a task for her clerk (who writes to her
  on WeCom or calls), or nothing, with the reason.
Pure: plain data in, a route out; the words people read live in locale/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MESSAGE_WINDOW = (dt.timedelta(hours=48), 5)
EVENT_WINDOW = (dt.timedelta(minutes=1), 3)
# Promotional by nature: WeChat forbids these in template and subscribe messages.
PROMOTIONAL = frozenset({"birthday", "win_back", "vip_perks", "new_arrival"})
MEDIA = frozenset({"image", "voice", "video", "shortvideo", "location", "link", "file"})
WINDOW_EVENTS = ("subscribe", "event:click", "event:scan")

CUSTOMER_SERVICE, TEMPLATE, SUBSCRIBE = "customer_service", "template", "subscribe"
ASSOCIATE, NONE = "associate", "none"
ROUTES = (CUSTOMER_SERVICE, TEMPLATE, SUBSCRIBE, ASSOCIATE, NONE)


def opens_window(kind: str) -> str | None:
    """'message' or 'event' for an inbound kind that opens her window, else None.
    (Menu link clicks and unfollows open nothing.)"""
    if kind == "text" or kind in MEDIA:
        return "message"
    if kind.startswith(WINDOW_EVENTS):
        return "event"
    return None


@dataclass(frozen=True)
class Window:
    """Her customer-service window: open until `closes_at`, `quota` messages."""

    kind: str
    opened_at: dt.datetime
    closes_at: dt.datetime
    quota: int
    used: int = 0

    def is_open(self, now: dt.datetime) -> bool:
        return now < self.closes_at

    def left(self, now: dt.datetime) -> int:
        return max(self.quota - self.used, 0) if self.is_open(now) else 0


def window_after(kind: str, at: dt.datetime) -> Window:
    length, quota = MESSAGE_WINDOW if kind == "message" else EVENT_WINDOW
    return Window(kind, at, at + length, quota)


def reopened(current: Window | None, kind: str, at: dt.datetime) -> Window:
    """Her window after a new interaction: a message opens a fresh one; a click or
    scan never shortens an open window that still has messages left."""
    fresh = window_after(kind, at)
    if (
        kind == "event"
        and current is not None
        and current.closes_at > fresh.closes_at
        and current.left(at) > 0
    ):
        return current
    return fresh


@dataclass(frozen=True)
class Facts:
    """What the dispatcher knows of her when a message is due."""

    openid: str | None
    service_consent: bool
    marketing_consent: bool
    has_store: bool
    window: Window | None = None
    subscribed: frozenset[str] = frozenset()  # template ids granted, unused


@dataclass(frozen=True)
class Route:
    kind: str
    reason: str
    template_id: str | None = None


def choose(
    trigger: str,
    is_marketing: bool,
    facts: Facts,
    now: dt.datetime,
    templates: dict[str, str],
    subscriptions: dict[str, str],
    keep_for_replies: int = 0,
) -> Route:
    """The route of one message. `templates` / `subscriptions`: trigger -> template
    id configured for it; `keep_for_replies`: window messages care never takes."""
    if not facts.service_consent or (is_marketing and not facts.marketing_consent):
        return Route(NONE, "no_consent")
    if not facts.openid:
        return to_associate(facts, "no_wechat")
    window = facts.window
    if window is not None and window.left(now) > keep_for_replies:
        return Route(CUSTOMER_SERVICE, "window_open")
    if trigger in PROMOTIONAL:
        return to_associate(facts, "marketing")
    template = subscriptions.get(trigger)
    if template and template in facts.subscribed:
        return Route(SUBSCRIBE, "subscribed", template)
    template = templates.get(trigger)
    if template:
        return Route(TEMPLATE, "service_notice", template)
    return to_associate(facts, "no_template")


def to_associate(facts: Facts, reason: str) -> Route:
    """A task for her clerk, or nothing when she has no store to follow her up."""
    return Route(ASSOCIATE, reason) if facts.has_store else Route(NONE, reason)
