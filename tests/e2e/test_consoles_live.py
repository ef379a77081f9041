"""Live updates on the clerk's tablet: a customer asking for a person (opened by
another process, straight in the shared database) reaches the open tablet at once,
pushed by server-sent events, with a badge; the tablet does not poll."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, func, select

from bot.config import PROJECT_ROOT
from bot.db import tables as t
from tests.e2e.browser import SHOTS, log_in, needs_chromium

pytestmark = needs_chromium


def test_a_new_handoff_reaches_the_open_tablet_at_once(bot, consoles, browser):
    from bot.knowledge import load_knowledge
    from bot.services.customers import Actor
    from bot.services.handoff import HandoffService

    clerk = log_in(browser, consoles, "s06c1")
    requests_made = []
    clerk.on("request", lambda r: requests_made.append(r.url))
    assert clerk.locator("#live-badge").is_hidden()
    engine = create_engine(bot.database_url, future=True)
    with engine.connect() as conn:
        customer_id = conn.execute(
            select(func.min(t.customers.c.id)).where(t.customers.c.home_store_id == 6)
        ).scalar_one()
    handoffs = HandoffService(engine, load_knowledge(PROJECT_ROOT / "knowledge"))
    before = len([u for u in requests_made if u.endswith("/api/handoffs")])
    opened = time.monotonic()
    handoff_id, _ = handoffs.open(
        Actor("wx:oLiveTest0001", "wechat"),
        "oLiveTest0001",
        customer_id,
        ["尺码不合适，想换"],
    )
    entry = clerk.locator(".handoff", has_text="尺码不合适，想换")
    entry.wait_for(state="attached", timeout=10_000)
    waited = time.monotonic() - opened
    assert waited < 5  # pushed, not found by a poll every 15 s
    assert clerk.locator("#live-badge").is_visible()
    assert (
        clerk.inner_text("#live-badge").endswith("1")
        or int(clerk.inner_text("#live-badge")) >= 1
    )
    fetched = [u for u in requests_made if u.endswith("/api/handoffs")]
    assert len(fetched) == before + 1  # one fetch, when told
    clerk.screenshot(path=str(SHOTS / "console-live-badge.png"))
    clerk.click("#sound-toggle")
    assert clerk.inner_text("#sound-toggle") == "提示音：关"
    clerk.reload()
    assert clerk.inner_text("#sound-toggle") == "提示音：关"  # remembered on the device
    handoffs.close(handoff_id, "s06c1")
    entry.wait_for(state="detached", timeout=10_000)  # closing is pushed too
    clerk.close()


def test_a_tablet_whose_stream_dropped_catches_up_when_it_is_back(
    bot, consoles, browser
):
    """Wi-Fi on the shop floor drops: what happened meanwhile is read again when the
    stream says hello, not left on the screen until the next change."""
    from bot.knowledge import load_knowledge
    from bot.services.customers import Actor
    from bot.services.handoff import HandoffService

    engine = create_engine(bot.database_url, future=True)
    with engine.connect() as conn:
        customer_id = conn.execute(
            select(t.customers.c.id)
            .where(t.customers.c.home_store_id == 6)
            .order_by(t.customers.c.id)
            .offset(1)
            .limit(1)
        ).scalar_one()
    handoffs = HandoffService(engine, load_knowledge(PROJECT_ROOT / "knowledge"))
    handoff_id, _ = handoffs.open(
        Actor("wx:oLiveTest0002", "wechat"),
        "oLiveTest0002",
        customer_id,
        ["颜色不喜欢，能退吗"],
    )
    stream = {"down": True}

    def events(route):
        if stream["down"]:
            route.abort()
        else:
            route.continue_()

    clerk = log_in(
        browser,
        consoles,
        "s06c1",
        prepare=lambda page: page.route("**/api/events", events),
        live=False,
    )
    entry = clerk.locator(".handoff", has_text="颜色不喜欢，能退吗")
    entry.wait_for(state="attached", timeout=10_000)  # shown without a stream
    assert clerk.get_attribute("body", "data-live") == "off"
    handoffs.close(handoff_id, "s06c1")  # while the tablet is offline
    stream["down"] = False
    clerk.wait_for_selector("body[data-live=on]", state="attached", timeout=15_000)
    assert entry.count() == 0
    clerk.close()
