"""Driving the consoles in Debian's Chromium through Playwright: shared helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

CHROMIUM = Path(os.environ.get("SALESBOT_CHROMIUM", "/usr/bin/chromium"))
SHOTS = PROJECT_ROOT / "var" / "screenshots"
SHOTS.mkdir(parents=True, exist_ok=True)
TABLET = {"width": 1280, "height": 800}

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium",
)


def log_in(
    browser,
    consoles: str,
    username: str,
    viewport: dict | None = None,
    prepare=None,
    live: bool = True,
):
    """A page logged in as `username`; `prepare(page)` runs before the first
    request (to route it); `live=False` does not wait for the tablet's stream."""
    page = browser.new_page(viewport=viewport or TABLET)
    if prepare is not None:
        prepare(page)
    page.goto(f"{consoles}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo1234")
    with page.expect_navigation():
        page.click("#login")
    if page.url.rstrip("/") == consoles:
        if not live:
            return page
        # the tablet keeps its live-update stream open, so the network is never
        # idle: wait for the stream to say hello and the lists to load after it
        page.wait_for_selector("body[data-live=on]", state="attached")
        page.wait_for_selector("#handoffs > *", state="attached")
        page.wait_for_selector("#tasks > *", state="attached")
    else:
        page.wait_for_load_state("networkidle")
    return page
