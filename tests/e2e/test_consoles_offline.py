"""A store network that drops: the tablet queues what the clerk types while it is
offline, says so, keeps the last card readable, and sends the message once when the
network is back; the server answers a repeated message id from the first answer
and never passes it to the assistant twice (checked in the tracker with SQL)."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, func, select, text

from bot.db import tables as t
from tests.e2e.browser import SHOTS, log_in, needs_chromium
from tests.e2e.test_consoles_security import Console

pytestmark = needs_chromium


def _said(bot, sender_prefix: str, message: str) -> int:
    """How many user turns with this text the tracker holds for the clerk."""
    tracker = create_engine(bot.env["SALESBOT_TRACKER_URL"], future=True)
    with tracker.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT data FROM events WHERE type_name = 'user' "
                "AND sender_id LIKE :prefix"
            ),
            {"prefix": sender_prefix + "%"},
        ).scalars()
        found = sum(1 for data in rows if json.loads(data).get("text") == message)
    tracker.dispose()
    return found


def test_a_message_typed_offline_is_sent_once_when_the_network_is_back(
    bot, consoles, browser
):
    clerk = log_in(browser, consoles, "s05c1")
    clerk.wait_for_selector("body[data-offline-ready=yes]", state="attached")
    clerk.fill("#text", "帮我查一下13800000000")
    clerk.press("#text", "Enter")
    clerk.wait_for_selector("#customer-card")
    card = clerk.inner_text("#customer-card")
    context = clerk.context
    context.set_offline(True)
    message = "她最近买了啥"
    clerk.fill("#text", message)
    clerk.press("#text", "Enter")
    clerk.wait_for_selector("#offline:not([hidden])")
    pending = clerk.locator(".msg.me.pending", has_text=message)
    assert pending.count() == 1
    assert clerk.inner_text("#customer-card") == card  # still readable
    clerk.screenshot(path=str(SHOTS / "console-offline.png"))
    assert _said(bot, "console:s05c1:", message) == 0
    clerk.reload()  # even a reload offline: the page, the card and the queue stay
    clerk.wait_for_selector("#customer-card")
    assert clerk.locator(".msg.me.pending", has_text=message).count() == 1
    context.set_offline(False)
    clerk.locator(".msg.me.pending").wait_for(state="detached", timeout=30_000)
    clerk.wait_for_selector("#offline[hidden]", state="attached")
    sent = clerk.locator(".msg.me", has_text=message)
    sent.locator("xpath=following-sibling::div[contains(@class,'bot')]").first.wait_for(
        timeout=30_000
    )
    assert _said(bot, "console:s05c1:", message) == 1
    with create_engine(bot.database_url, future=True).connect() as conn:
        kept = conn.execute(
            select(func.count())
            .select_from(t.console_messages.join(t.staff))
            .where(
                t.staff.c.username == "s05c1", t.console_messages.c.answer.isnot(None)
            )
        ).scalar_one()
    assert kept >= 2  # the lookup and the queued message, each answered once
    clerk.close()


def test_a_repeated_message_id_is_answered_from_the_first_answer(bot, consoles):
    console = Console(consoles, "s05c2")
    body = {"message": "她喜欢什么", "client_id": "tablet-0001-retry"}
    first = console.post("/api/say", body)
    again = console.post("/api/say", body)
    assert first.status_code == again.status_code == 200
    assert again.json()["replies"] == first.json()["replies"]
    assert again.json()["repeat"] is True
    assert _said(bot, "console:s05c2:", "她喜欢什么") == 1
    refused = console.post("/api/say", {"message": "x", "client_id": "<b>"})
    assert refused.status_code == 400 and "消息编号" in refused.json()["error"]
