"""The clerk's worklist in the browser: today's follow-ups of her store, newest due
first and paged; one tap marks one done, and the mark is in the database (checked
with SQL of its own); lapsed customers are there to keep in touch with."""

from __future__ import annotations

from sqlalchemy import create_engine, func, insert, select

from bot.db import tables as t
from bot.timeutil import utcnow
from tests.e2e.browser import SHOTS, TABLET, log_in, needs_chromium

pytestmark = needs_chromium
STORE = 9


def plan(engine, count: int) -> list[int]:
    """`count` care messages due for customers of the store, a minute apart."""
    import datetime as dt

    now = utcnow()
    with engine.begin() as conn:
        customers = (
            conn.execute(
                select(t.customers.c.id)
                .where(t.customers.c.home_store_id == STORE)
                .limit(count)
            )
            .scalars()
            .all()
        )
        rows = [
            {
                "idempotency_key": f"worklist-e2e:{n}",
                "customer_id": customers[n % len(customers)],
                "trigger": "thank_you",
                "is_marketing": False,
                "holdout": False,
                "body": f"您好，感谢惠顾（第{n}条）",
                "scheduled_at": now - dt.timedelta(minutes=n + 1),
                "status": "pending",
                "attempts": 0,
                "created_at": now,
            }
            for n in range(count)
        ]
        conn.execute(insert(t.care_outbox), rows)
        return (
            conn.execute(
                select(t.care_outbox.c.id).where(
                    t.care_outbox.c.idempotency_key.like("worklist-e2e:%")
                )
            )
            .scalars()
            .all()
        )


def test_a_clerk_works_through_today_s_follow_ups(bot, consoles, browser):
    engine = create_engine(bot.database_url, future=True)
    planned = plan(engine, 13)
    try:
        works_through(engine, log_in(browser, consoles, "s09c1", TABLET))
    finally:  # the dispatcher's tests later in the run count due messages
        with engine.begin() as conn:
            marks, box = t.worklist_marks, t.care_outbox
            conn.execute(marks.delete().where(marks.c.outbox_id.in_(planned)))
            conn.execute(box.delete().where(box.c.id.in_(planned)))


def works_through(engine, clerk) -> None:
    items = clerk.locator("#worklist .work-item")
    items.first.wait_for()
    assert items.count() == 10
    assert "第1/2页" in clerk.inner_text("#worklist-page")
    assert "第0条" in items.first.inner_text()  # the newest due first
    clerk.click("#worklist-next")
    clerk.wait_for_selector("#worklist-page >> text=第2/2页")
    assert items.count() == 3
    clerk.click("#worklist-prev")
    clerk.wait_for_selector("#worklist-page >> text=第1/2页")
    first = items.first
    outbox_id = int(first.get_attribute("data-id"))
    first.locator("button", has_text="完成").click()
    clerk.wait_for_selector(
        f"#worklist .work-item[data-id='{outbox_id}']", state="detached"
    )
    with engine.connect() as conn:
        action, staff = conn.execute(
            select(t.worklist_marks.c.action, t.staff.c.username)
            .join(t.staff, t.staff.c.id == t.worklist_marks.c.staff_id)
            .where(t.worklist_marks.c.outbox_id == outbox_id)
        ).one()
        left = conn.execute(
            select(func.count())
            .select_from(t.care_outbox)
            .join(t.customers)
            .where(
                t.customers.c.home_store_id == STORE,
                t.care_outbox.c.status == "pending",
            )
        ).scalar_one()
    assert (action, staff) == ("done", "s09c1")
    assert "共12条" in clerk.inner_text("#worklist-count") and left == 13  # hers only
    assert clerk.locator("#keep-in-touch .keep").count() >= 1
    clerk.screenshot(path=str(SHOTS / "console-worklist.png"), full_page=True)
    clerk.close()
