"""Accessibility of every console screen, checked with axe-core (vendored from the
npm registry, tests/e2e/vendor/): no serious or critical violation on the login
page, the clerk's workbench (tablet and phone, with a customer on the card), the
managers' list, a transcript and the dashboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.browser import TABLET, needs_chromium

pytestmark = needs_chromium

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 390, "height": 844}


def violations(page) -> list[str]:
    """Serious and critical axe violations of the page as it stands."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']}))"
        ".violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
    )
    return [
        f"{v['id']} ({v['impact']}): {', '.join(v['nodes'])}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def page_for(browser, consoles: str, username: str | None, viewport: dict):
    """A page whose CSP lets the test inject axe (the console's own CSP forbids
    any script it did not serve, rightly)."""
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{consoles}/login")
    if username:
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "demo1234")
        with page.expect_navigation():
            page.click("#login")
    return page


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_the_clerks_workbench_has_no_serious_violations(consoles, browser, viewport):
    page = page_for(browser, consoles, "s04c1", viewport)
    page.wait_for_selector("body[data-live=on]", state="attached")
    page.fill("#text", "帮我查一下13800000000")
    page.press("#text", "Enter")
    page.wait_for_selector("#customer-card", state="attached", timeout=30_000)
    assert violations(page) == []
    if viewport is PHONE:
        page.click("#tab-customer")
        assert violations(page) == []
    page.context.close()


def test_the_login_and_managers_pages_have_no_serious_violations(consoles, browser):
    page = page_for(browser, consoles, None, TABLET)
    assert violations(page) == []
    page.fill("input[name=username]", "hq")
    page.fill("input[name=password]", "demo1234")
    with page.expect_navigation():
        page.click("#login")
    for path in ("/manager", "/manager/dashboard"):
        page.goto(f"{consoles}{path}")
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path
    page.goto(f"{consoles}/manager")
    link = page.locator("table.log tbody tr a").first
    assert link.count(), "no conversation to open (the clerk's tests above make one)"
    with page.expect_navigation():
        link.click()
    assert violations(page) == [], "transcript"
    page.context.close()
