"""The consoles at the sizes of a shop floor: a phone (390x844), a tablet upright
(768x1024) and a 10-inch tablet lying down (1280x800). At each: nothing scrolls
sideways, the main controls are on screen and at least 44 px each way, and on
narrow screens the customer is a tab of her own. Screenshots to var/screenshots/."""

from __future__ import annotations

import pytest

from tests.e2e.browser import SHOTS, log_in, needs_chromium

pytestmark = needs_chromium

SIZES = {
    "phone": ({"width": 390, "height": 844}, "s03c1"),
    "portrait": ({"width": 768, "height": 1024}, "s03c2"),
    "tablet": ({"width": 1280, "height": 800}, "s03c3"),
}
NARROW = 900  # below this the workbench is one column


def sideways(page) -> int:
    """How far the page scrolls sideways (0: not at all)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def tappable(page, selector: str) -> None:
    """On screen, visible and at least 44 x 44 CSS pixels."""
    control = page.locator(selector).first
    box = None
    for _ in range(20):  # the card is re-drawn after each answer: wait it out
        control.wait_for(state="visible", timeout=10_000)
        box = control.bounding_box()
        if box is not None:
            break
        page.wait_for_timeout(250)
    assert box is not None, selector
    width = page.viewport_size["width"]
    assert box["height"] >= 44 and box["width"] >= 44, (selector, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_clerks_workbench_fits_the_screen(consoles, browser, size):
    viewport, clerk_name = SIZES[size]
    clerk = log_in(browser, consoles, clerk_name, viewport)
    narrow = viewport["width"] < NARROW
    for selector in ("#text", "#say button[type=submit]", ".quick button"):
        tappable(clerk, selector)
    assert sideways(clerk) == 0
    clerk.fill("#text", "帮我查一下13800000000")
    clerk.press("#text", "Enter")
    clerk.wait_for_selector("#customer-card", state="attached", timeout=30_000)
    clerk.click(".quick button[data-say='给她推荐点东西']")
    clerk.wait_for_selector("#suggestions .suggestion", state="attached")
    if narrow:
        tappable(clerk, "#tab-customer")
        assert not clerk.locator("#customer-card").is_visible()
        clerk.click("#tab-customer")
        assert not clerk.locator("#text").is_visible()
    else:
        assert not clerk.locator("#tab-customer").is_visible()
    assert clerk.locator("#customer-card").is_visible()
    assert "M00000001" in clerk.inner_text("#customer-card")
    tappable(clerk, "#suggestions .suggestion button")
    assert sideways(clerk) == 0
    clerk.screenshot(path=str(SHOTS / f"console-clerk-{size}.png"))
    if narrow:
        clerk.click("#tab-chat")
        tappable(clerk, "#text")
    clerk.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_managers_pages_fit_the_screen(consoles, browser, size):
    viewport, _ = SIZES[size]
    manager = log_in(browser, consoles, "s03m", viewport)
    manager.goto(f"{consoles}/manager")
    tappable(manager, ".filters button[type=submit]")
    assert sideways(manager) == 0
    manager.screenshot(path=str(SHOTS / f"console-manager-{size}.png"))
    manager.goto(f"{consoles}/manager/dashboard")
    manager.wait_for_load_state("networkidle")
    assert sideways(manager) == 0
    manager.close()
