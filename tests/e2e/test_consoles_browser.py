"""The consoles in a real browser (Playwright driving Debian's Chromium) against the
running servers: a clerk logs in, looks a customer up, sees the card, taps "she
bought it" on a suggestion; her manager then finds the conversation and the sale.
Screenshots of the main screens go to var/screenshots/ (`make screenshots` copies
them to docs/ for the README; the tests never touch tracked files)."""

from __future__ import annotations

import re
import time

from sqlalchemy import create_engine, func, select

from bot.config import PROJECT_ROOT
from bot.db import tables as t
from tests.e2e.browser import SHOTS, log_in, needs_chromium

pytestmark = needs_chromium


def newest_suggestion(page) -> int:
    """The id of the newest suggestion on the card (0 for none)."""
    ids = page.eval_on_selector_all(
        "#suggestions .suggestion", "rows => rows.map(r => Number(r.dataset.id))"
    )
    return max(ids, default=0)


def test_clerk_sells_and_the_manager_sees_it(bot, consoles, browser):
    clerk = log_in(browser, consoles, "s01c4")
    assert clerk.url.rstrip("/") == consoles
    clerk.screenshot(path=str(SHOTS / "console-login-done.png"))
    clerk.click("#new-customer")
    clerk.fill("#text", "帮我查一下13800000000")
    clerk.press("#text", "Enter")
    clerk.wait_for_selector("#customer-card")
    assert "M00000001" in clerk.inner_text("#customer-card")
    before = newest_suggestion(clerk)
    clerk.click("button[data-say=给她推荐点东西]")
    answer = clerk.locator(".msg.bot", has_text="个性化推荐")
    answer.wait_for()
    product = re.search(r"1\. (.+?)（", answer.inner_text()).group(1)
    # the card refreshes after the answer: wait until it shows this answer's items
    deadline = time.monotonic() + 30
    while newest_suggestion(clerk) <= before and time.monotonic() < deadline:
        time.sleep(0.1)
    first = clerk.locator("#suggestions .suggestion").first
    assert product in first.inner_text()
    suggestion_id = int(first.get_attribute("data-id"))
    first.locator("button.bought").click()
    clerk.wait_for_selector(f'.suggestion[data-id="{suggestion_id}"] .tag')
    assert "已购买" in clerk.inner_text(f'.suggestion[data-id="{suggestion_id}"]')
    clerk.screenshot(path=str(SHOTS / "console-clerk.png"))
    engine = create_engine(bot.database_url, future=True)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                t.recommendation_log.c.outcome, t.recommendation_log.c.staff_id
            ).where(t.recommendation_log.c.id == suggestion_id)
        ).one()
        clerk_id = conn.execute(
            select(t.staff.c.id).where(t.staff.c.username == "s01c4")
        ).scalar_one()
    assert tuple(row) == ("bought", clerk_id)

    manager = log_in(browser, consoles, "s01m")
    assert manager.url.endswith("/manager")
    manager.select_option("select[name=channel]", "console")
    with manager.expect_navigation():
        manager.click("form.filters button[type=submit]")
    rows = manager.locator("table.log tbody tr", has_text="s01c4")
    assert rows.count() >= 1
    manager.screenshot(path=str(SHOTS / "console-manager.png"))
    with manager.expect_navigation():
        rows.first.locator("a").click()
    text = manager.inner_text("ol.transcript")
    assert "lookup_customer" in text and "recommend_products" in text
    assert "13800000000" not in text and "138****0000" in text
    assert product.split()[0] in text
    sold = manager.locator("section.shown tr", has_text=product).first
    assert "已购买" in sold.inner_text()
    manager.screenshot(path=str(SHOTS / "console-transcript.png"), full_page=True)
    check_the_dashboard(manager, consoles, bot.database_url)


def _day_total(row) -> int:
    """The conversations of a row of the per-day table: its channel columns (after
    the day, before the two rates)."""
    cells = row.locator("td").all()[1:-2]
    return sum(int(cell.inner_text()) for cell in cells)


CHARTS = ("conversations", "recommendations", "care", "segments", "migration")


def check_the_dashboard(manager, consoles: str, database_url: str) -> None:
    """Every chart is drawn (a canvas) or says why it is empty; the migration
    chart never compares a snapshot with itself; a day in the conversations' data
    table drills down to exactly that day's conversations of her store."""
    manager.goto(f"{consoles}/manager/dashboard")
    for name in CHARTS:
        manager.wait_for_selector(
            f"section[data-chart={name}]:is([data-state=drawn],[data-state=empty])"
        )
    states = {
        name: manager.get_attribute(f"section[data-chart={name}]", "data-state")
        for name in CHARTS
    }
    assert states["conversations"] == "drawn" and states["recommendations"] == "drawn"
    assert manager.locator("section[data-chart=conversations] canvas").count() >= 3
    with create_engine(database_url).connect() as conn:
        runs = conn.execute(select(func.count()).select_from(t.segment_runs)).scalar()
    migration = manager.locator("section[data-chart=migration]")
    if runs < 2:
        assert states["migration"] == "empty"
        assert "只有一次分群快照" in migration.inner_text()
    else:
        assert states["migration"] == "drawn"
    for name, state in states.items():
        if state == "empty":  # says why, in Chinese
            why = manager.inner_text(f"section[data-chart={name}] .empty")
            assert re.search(r"[\u4e00-\u9fff]", why), (name, why)
    manager.screenshot(path=str(SHOTS / "console-dashboard.png"), full_page=True)
    section = manager.locator("section[data-chart=conversations]")
    section.locator("details.data summary").first.click()
    table = section.locator("details.data table").last
    busiest = max(table.locator("tbody tr").all(), key=_day_total)
    expected = _day_total(busiest)
    day = busiest.locator("a").inner_text()
    with manager.expect_navigation():
        busiest.locator("a").click()
    assert f"start={day}" in manager.url and f"end={day}" in manager.url
    listed = manager.inner_text("#listed")
    assert f"共 {expected} 段对话" in listed, (listed, expected)


def test_a_manager_flags_a_misunderstood_turn(bot, consoles, browser):
    from tests.e2e.test_shopfloor_conversations import VAGUE

    vague = next(t for t in VAGUE if bot.parse(t)["intent"]["name"] == "nlu_fallback")
    clerk = log_in(browser, consoles, "s01c3")
    clerk.click("#new-customer")
    clerk.fill("#text", vague)
    clerk.press("#text", "Enter")
    clerk.wait_for_selector(".msg.bot")
    choices = clerk.locator("button.choice")
    choices.last.wait_for()
    assert choices.last.inner_text() == "都不是" and choices.count() >= 2
    clerk.screenshot(path=str(SHOTS / "console-choices.png"))
    choices.last.click()
    clerk.wait_for_selector(".msg.bot >> text=换个说法")
    manager = log_in(browser, consoles, "s01m")
    manager.goto(f"{consoles}/manager?fallback=1&staff=s01c3")
    link = manager.locator("table.log tbody tr a").first
    with manager.expect_navigation():
        link.click()
    form = manager.locator("form.flag").first
    assert form.locator("select").input_value() == ""  # no guess offered
    form.locator("select").select_option("out_of_scope")
    with manager.expect_navigation():
        form.locator("button").click()
    flagged = manager.locator("ol.transcript .tag[title=out_of_scope]")
    assert flagged.inner_text() == "已标记：应为 超出范围"
    sender = re.search(r"id=([^&]+)", manager.url).group(1)
    assert sender.startswith("console")


def test_a_clerk_answers_a_waiting_wechat_customer(bot, consoles, browser):
    from tests.e2e.test_wechat_channel import verify

    engine = create_engine(bot.database_url, future=True)
    with engine.connect() as conn:
        customer_id = conn.execute(
            select(t.customers.c.id)
            .where(t.customers.c.home_store_id == 7, t.customers.c.phone.isnot(None))
            .order_by(t.customers.c.id)
            .limit(1)
        ).scalar_one()
    chat = bot.wechat()
    openid = f"oTablet{customer_id}x"
    verify(bot, chat, openid, customer_id)
    chat.text(openid, "转人工")
    chat.text(openid, "我的外套拉链坏了")
    clerk = log_in(browser, consoles, "s07c1")
    entry = clerk.locator(".handoff", has_text="我的外套拉链坏了")
    entry.wait_for()
    assert "还能回复 5 条" in entry.locator(".window").inner_text()
    entry.locator("input").fill("您好，明天带来店里免费修")
    entry.locator("button", has_text="回复").click()
    entry = clerk.locator(".handoff", has_text="店员：您好，明天带来店里免费修")
    entry.wait_for()
    last = bot.wechat_api.sent[-1]
    assert (last["api"], last["touser"], last["text"]) == (
        "custom",
        openid,
        "您好，明天带来店里免费修",
    )
    clerk.screenshot(path=str(SHOTS / "console-handoff.png"))


def test_a_reply_wechat_would_refuse_cannot_be_typed(bot, consoles, browser):
    import datetime as dt

    from bot.knowledge import load_knowledge
    from bot.services.customers import Actor
    from bot.services.handoff import HandoffService
    from bot.services.wechat_windows import WindowService
    from bot.timeutil import utcnow

    engine = create_engine(bot.database_url, future=True)
    openid = "oClickedMenu0001"
    handoffs = HandoffService(engine, load_knowledge(PROJECT_ROOT / "knowledge"))
    with engine.connect() as conn:
        customer_id = conn.execute(
            select(func.max(t.customers.c.id)).where(t.customers.c.home_store_id == 7)
        ).scalar_one()
    handoffs.open(
        Actor(f"wx:{openid}", "wechat"), openid, customer_id, "菜单：联系店员"
    )
    clicked = utcnow() - dt.timedelta(minutes=2)  # a menu click opens 1 minute
    WindowService(engine, lambda: clicked).interacted(openid, "event:click")
    clerk = log_in(browser, consoles, "s07c2")
    entry = clerk.locator(".handoff", has_text="菜单：联系店员")
    entry.wait_for()
    assert "关闭，现在回复微信会拒收" in entry.locator(".window").inner_text()
    assert entry.locator("input").is_disabled()
    assert entry.locator("button", has_text="回复").is_disabled()
    clerk.screenshot(path=str(SHOTS / "console-window-closed.png"))
    refused = clerk.evaluate(
        """async (id) => {
          const csrf = document.querySelector('meta[name="csrf-token"]').content;
          const r = await fetch('/api/handoffs/' + id + '/reply', {method: 'POST',
            headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
            body: JSON.stringify({text: '在吗'})});
          return [r.status, (await r.json()).error];
        }""",
        int(entry.get_attribute("data-id")),
    )
    assert refused[0] == 409 and "微信" in refused[1]
    assert openid not in [m["touser"] for m in bot.wechat_api.sent]
