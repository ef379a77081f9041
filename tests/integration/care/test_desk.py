"""Care in conversation, against a demo database: follow-ups, reminders, tips, opt-out."""

import datetime as dt

import pytest
from sqlalchemy import select

from bot.db import tables as t
from bot.services.care import plan_care
from bot.services.care_desk import CareDesk
from bot.services.customers import Actor
from tests.conftest import DEMO_AS_OF, SHANGHAI, demo_config, migrated_sqlite

NOON = dt.datetime.combine(DEMO_AS_OF, dt.time(4))
CLERK = Actor("tablet-care", "rest")


@pytest.fixture()
def desk_db(tmp_path, knowledge):
    from bot.demo.generator import generate
    from bot.services.segmentation import run_segmentation

    _, engine = migrated_sqlite(tmp_path / "desk.db")
    generate(engine, knowledge, demo_config(customers=200), progress=False)
    run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
    plan_care(engine, knowledge, SHANGHAI, DEMO_AS_OF, clock=lambda: NOON)
    yield engine
    engine.dispose()


@pytest.fixture()
def desk(desk_db, knowledge):
    return CareDesk(desk_db, knowledge, SHANGHAI, clock=lambda: NOON)


def outbox_of(engine, customer_id):
    with engine.connect() as conn:
        return conn.execute(
            select(t.care_outbox).where(t.care_outbox.c.customer_id == customer_id)
        ).all()


def test_a_reminder_goes_out_at_ten_on_the_day_and_only_once(desk, desk_db):
    done = desk.schedule(1, CLERK, dt.date(2026, 11, 23), "三天后提醒她保养大衣")
    assert (done.masked_name, done.when, done.for_clerk, done.refused) == (
        "王**",
        dt.datetime(2026, 11, 23, 10, 0),
        False,
        None,
    )
    desk.schedule(1, CLERK, dt.date(2026, 11, 23), "三天后提醒她保养大衣")
    manual = [r for r in outbox_of(desk_db, 1) if r.trigger == "manual"]
    assert len(manual) == 1
    assert manual[0].body == "王女士您好，门店提醒您：保养大衣"
    assert manual[0].scheduled_at == dt.datetime(2026, 11, 23, 2, 0)
    assert manual[0].status == "pending" and not manual[0].is_marketing


def test_a_reminder_for_the_clerk_is_a_task_never_sent(desk, desk_db):
    assert desk.schedule(
        1, CLERK, dt.date(2026, 11, 22), "后天提醒我给她打电话"
    ).for_clerk
    (task,) = [r for r in outbox_of(desk_db, 1) if r.status == "task"]
    assert task.body == "店员跟进：给她打电话"
    items = desk.followups(1, CLERK).items
    assert any(item.body == task.body for item in items)


def test_follow_ups_list_her_due_messages_but_not_holdouts(desk, desk_db):
    with desk_db.connect() as conn:
        who = conn.execute(
            select(t.care_outbox.c.customer_id)
            .where(t.care_outbox.c.status == "pending")
            .limit(1)
        ).scalar_one()
    rows = outbox_of(desk_db, who)
    listed = desk.followups(who, CLERK).items
    assert sorted(i.body for i in listed) == sorted(
        r.body for r in rows if r.status == "pending"
    )


def test_opting_out_of_marketing_cancels_only_marketing(desk, desk_db):
    with desk_db.connect() as conn:
        who = conn.execute(
            select(t.care_outbox.c.customer_id)
            .where(
                t.care_outbox.c.is_marketing.is_(True),
                t.care_outbox.c.status == "pending",
            )
            .limit(1)
        ).scalar_one()
    desk.schedule(who, CLERK, dt.date(2026, 11, 25), "五天后问问她穿着怎么样")
    desk.unsubscribe(who, CLERK, everything=False)
    rows = outbox_of(desk_db, who)
    assert {r.status for r in rows if r.is_marketing} == {"cancelled"}
    assert {r.status for r in rows if not r.is_marketing} == {"pending"}
    desk.unsubscribe(who, CLERK, everything=True)
    assert {r.status for r in outbox_of(desk_db, who)} == {"cancelled"}
    with desk_db.connect() as conn:
        consent = conn.execute(
            select(
                t.customers.c.marketing_consent, t.customers.c.service_consent
            ).where(t.customers.c.id == who)
        ).one()
    assert tuple(consent) == (False, False)


def test_care_tips_come_from_what_she_bought(desk, desk_db, knowledge):
    with desk_db.connect() as conn:
        bought = (
            conn.execute(
                select(t.products.c.subcategory)
                .select_from(t.order_lines.join(t.orders).join(t.products))
                .where(t.orders.c.customer_id == 1)
            )
            .scalars()
            .all()
        )
    tipped = {
        s for tip in knowledge.care.triggers.care_tip.tips for s in tip.subcategories
    }
    view = desk.tips(1, CLERK, None)
    assert bool(view.tips) == bool(set(bought) & tipped)
    assert all("{" not in tip and "您好" not in tip for _, tip in view.tips)


def test_a_named_item_she_never_bought_gets_the_tip_of_its_kind(desk, knowledge):
    view = desk.tips(1, CLERK, "麂皮靴子")
    shoes = next(
        t for t in knowledge.care.triggers.care_tip.tips if "靴子" in t.subcategories
    )
    assert view.tips and view.tips[0][0] == "麂皮靴子"
    assert view.tips[0][1] == shoes.text.split("您好，", 1)[1].format(
        product="麂皮靴子"
    )
    assert desk.tips(1, CLERK, "雨伞").tips == ()


def test_a_reminder_from_the_console_is_signed_by_the_clerk(desk, desk_db):
    with desk_db.connect() as conn:
        clerk = conn.execute(
            select(t.staff.c.id, t.staff.c.display_name).where(
                t.staff.c.username == "s01c2"
            )
        ).one()
    signed = Actor("console:s01c2:1:1", "console", "s01c2", clerk.id, 1)
    desk.schedule(1, signed, dt.date(2026, 11, 24), "提醒她来取改好的裤子")
    (reminder,) = [
        r for r in outbox_of(desk_db, 1) if r.trigger == "manual" and r.staff_id
    ]
    assert reminder.staff_id == clerk.id
    assert (
        reminder.body
        == f"王女士您好，门店提醒您：来取改好的裤子（上海静安店 {clerk.display_name}）"
    )


def test_the_store_list_has_todays_messages_and_tasks_of_its_customers(desk, desk_db):
    clerk = Actor("console:s01c1:1:1", "console", "s01c1", 1, 1)
    desk.schedule(1, clerk, DEMO_AS_OF, "今天提醒我给她打电话")
    view = desk.store_followups(1, 1, clerk)
    assert view.store == "上海静安店" and view.day == DEMO_AS_OF
    assert view.items[0].body == "店员跟进：给她打电话"  # this clerk's own task first
    assert view.items[0].customer == "王**"
    assert view.total >= len(view.items) > 1
    other = desk.store_followups(2, None, clerk)
    assert "店员跟进：给她打电话" not in [i.body for i in other.items]


def test_a_reminder_to_her_after_opting_out_of_all_is_refused_and_not_queued(
    desk, desk_db
):
    desk.unsubscribe(3, CLERK, everything=True)
    before = len(outbox_of(desk_db, 3))
    refused = desk.schedule(3, CLERK, dt.date(2026, 11, 24), "提醒她来取改好的裤子")
    assert refused.refused == "no_consent"
    assert len(outbox_of(desk_db, 3)) == before
    task = desk.schedule(3, CLERK, dt.date(2026, 11, 24), "提醒我给她打电话")
    assert task.refused is None and task.for_clerk
    assert [r.status for r in outbox_of(desk_db, 3)][-1] == "task"
    desk.resubscribe(3, CLERK, marketing=False)
    again = desk.schedule(3, CLERK, dt.date(2026, 11, 24), "提醒她来取改好的裤子")
    assert again.refused is None
    with desk_db.connect() as conn:
        consent = conn.execute(
            select(
                t.customers.c.marketing_consent, t.customers.c.service_consent
            ).where(t.customers.c.id == 3)
        ).one()
        actions = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.detail).where(
                t.audit_log.c.customer_id == 3,
                t.audit_log.c.action.in_(("resubscribe", "care_schedule_refused")),
            )
        ).all()
    assert (bool(consent[0]), bool(consent[1])) == (False, True)
    assert [a for a, _ in actions] == ["care_schedule_refused", "resubscribe"]


def bought_kinds(engine, customer_id: int) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(t.products.c.subcategory)
                .select_from(t.order_lines.join(t.orders).join(t.products))
                .where(t.orders.c.customer_id == customer_id)
            ).scalars()
        )


def test_tips_say_she_bought_it_only_when_she_did(desk, desk_db):
    for customer_id in range(1, 60):
        if "皮鞋" not in bought_kinds(desk_db, customer_id):
            break
    view = desk.tips(customer_id, CLERK, "皮鞋")
    assert not view.bought and view.tips
    assert view.tips[0][0] == "皮鞋" and "护理油" in view.tips[0][1]


def test_a_silk_scarf_gets_the_scarf_tip_under_its_own_name(desk):
    view = desk.tips(1, CLERK, "真丝围巾")
    assert view.tips and all(label != "羊绒围巾" for label, _ in view.tips)
    assert any("不要拧绞" in tip for _, tip in view.tips)


def test_demo_staff_have_names_and_no_customer_text_shows_a_login(desk_db):
    with desk_db.connect() as conn:
        staff = conn.execute(select(t.staff.c.username, t.staff.c.display_name)).all()
        bodies = conn.execute(select(t.care_outbox.c.body)).scalars().all()
    assert len({name for _, name in staff}) == len(staff)
    assert all(user not in name for user, name in staff)
    assert bodies and not [body for body in bodies for user, _ in staff if user in body]
    assert any(name in body for body in bodies for _, name in staff)


def test_an_item_with_no_kind_in_the_catalogue_has_no_tip(desk):
    view = desk.tips(1, CLERK, "自行车")
    assert view.tips == () and not view.bought
