"""A clerk's worklist against a real database: her store's follow-ups due today,
newest first and paged, gone once she deals with them (her marks only), back after
a snooze; a sent clerk task settles in the outbox; lapsed customers to keep in
touch with. Checked with SQL of its own."""

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from bot.db import tables as t
from bot.demo.generator import generate
from bot.services.customers import Actor
from bot.services.segmentation import run_segmentation
from bot.services.worklist import PAGE, WorklistError, WorklistService
from tests.conftest import DEMO_AS_OF, SHANGHAI, Clock, demo_config, migrated_sqlite

NOW = dt.datetime.combine(DEMO_AS_OF, dt.time(2))  # 10:00 in Shanghai


@pytest.fixture()
def shop(tmp_path, knowledge):
    _, engine = migrated_sqlite(tmp_path / "worklist.db")
    generate(engine, knowledge, demo_config(customers=120), progress=False)
    run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
    with engine.begin() as conn:
        ours = (
            conn.execute(
                select(t.customers.c.id).where(t.customers.c.home_store_id == 1)
            )
            .scalars()
            .all()
        )
        other = conn.execute(
            select(t.customers.c.id).where(t.customers.c.home_store_id == 2)
        ).scalar()
        clerks = (
            conn.execute(
                select(t.staff.c.id).where(
                    t.staff.c.store_id == 1, t.staff.c.role == "clerk"
                )
            )
            .scalars()
            .all()
        )
        rows = [
            outbox(n, ours[n % len(ours)], NOW - dt.timedelta(hours=n), "pending")
            for n in range(PAGE + 3)
        ]
        rows.append(outbox(90, ours[0], NOW - dt.timedelta(hours=1), "task"))
        rows.append(outbox(91, other, NOW, "pending"))  # another store's
        rows.append(outbox(92, ours[1], NOW + dt.timedelta(days=2), "pending"))  # later
        conn.execute(insert(t.care_outbox), rows)
    yield engine, clerks[0], clerks[1]
    engine.dispose()


def outbox(n: int, customer_id: int, at: dt.datetime, status: str) -> dict:
    return {
        "idempotency_key": f"w:{n}",
        "customer_id": customer_id,
        "trigger": "thank_you",
        "is_marketing": False,
        "holdout": False,
        "body": f"您好，这是第{n}条",
        "scheduled_at": at,
        "status": status,
        "route": "associate" if status == "task" else None,
        "attempts": 0,
        "created_at": NOW,
    }


def test_today_s_follow_ups_of_her_store_newest_first_and_paged(shop):
    engine, clerk, _ = shop
    clock = Clock(NOW)
    service = WorklistService(engine, SHANGHAI, clock)
    first = service.worklist(clerk, 1, Actor("s01c1", "console"))
    assert (first.total, first.pages) == (PAGE + 4, 2)
    due = [item.due for item in first.items]
    assert len(first.items) == PAGE and due == sorted(due, reverse=True)
    second = service.worklist(clerk, 1, Actor("s01c1", "console"), page=2)
    ids = {i.id for i in first.items} | {i.id for i in second.items}
    with engine.connect() as conn:
        expected = set(
            conn.execute(
                select(t.care_outbox.c.id)
                .join(t.customers)
                .where(
                    t.customers.c.home_store_id == 1,
                    t.care_outbox.c.scheduled_at <= NOW + dt.timedelta(hours=12),
                )
            ).scalars()
        )
    assert ids == expected  # hers, due today, nothing of another store or later
    assert service.worklist(clerk, 1, Actor("s01c1", "console"), page=99).page == 2


def test_marks_are_hers_a_snooze_ends_and_a_sent_task_settles(shop):
    engine, clerk, colleague = shop
    clock = Clock(NOW)
    service = WorklistService(engine, SHANGHAI, clock)
    me = Actor("s01c1", "console")
    items = {i.id: i for i in service.worklist(clerk, 1, me).items}
    task = next(i for i in items.values() if i.status == "task")
    other = next(i for i in items.values() if i.status == "pending")
    service.mark(clerk, 1, me, task.customer_id, "sent", task.id)
    service.mark(clerk, 1, me, other.customer_id, "snoozed", other.id, snooze_hours=2)
    left = {i.id for i in service.worklist(clerk, 1, me).items}
    assert task.id not in left and other.id not in left
    theirs = {i.id for i in service.worklist(colleague, 1, me).items}
    assert other.id in theirs  # her snooze is hers
    clock.now = NOW + dt.timedelta(hours=3)
    assert other.id in {i.id for i in service.worklist(clerk, 1, me).items}
    with engine.connect() as conn:
        status, by = conn.execute(
            select(t.care_outbox.c.status, t.care_outbox.c.staff_id).where(
                t.care_outbox.c.id == task.id
            )
        ).one()
        marks = conn.execute(
            select(func.count()).select_from(t.worklist_marks)
        ).scalar_one()
    assert (status, by, marks) == ("sent", clerk, 2)
    with pytest.raises(WorklistError):
        service.mark(clerk, 2, me, task.customer_id, "done", task.id)  # not her store
    with pytest.raises(WorklistError):
        service.mark(clerk, 1, me, task.customer_id, "deleted", task.id)


def test_lapsed_customers_to_keep_in_touch_until_she_calls(shop):
    engine, clerk, _ = shop
    service = WorklistService(engine, SHANGHAI, Clock(NOW))
    me = Actor("s01c1", "console")
    lapsed = service.worklist(clerk, 1, me).keep_in_touch
    with engine.connect() as conn:
        stages = dict(
            conn.execute(
                select(
                    t.segment_snapshots.c.customer_id, t.segment_snapshots.c.lifecycle
                )
                .join(t.customers)
                .where(t.customers.c.home_store_id == 1)
            ).all()
        )
    assert lapsed and all(
        stages[c.customer_id] in ("at_risk", "churned") for c in lapsed
    )
    assert all(c.days_since_purchase > 0 and c.as_of == DEMO_AS_OF for c in lapsed)
    called = lapsed[0]
    service.mark(clerk, 1, me, called.customer_id, "called")
    again = service.worklist(clerk, 1, me).keep_in_touch
    assert called.customer_id not in {c.customer_id for c in again}
