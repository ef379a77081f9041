"""Planning care messages into the outbox of a demo database: idempotent, consent
and cap respected, checked with independent SQL."""

import datetime as dt

import pytest
from sqlalchemy import func, select, text, update

from bot.db import tables as t
from bot.services.care import plan_care
from tests.conftest import DEMO_AS_OF, SHANGHAI, demo_config, migrated_sqlite

NOON = dt.datetime.combine(DEMO_AS_OF, dt.time(4))


@pytest.fixture()
def care_db(tmp_path, knowledge):
    from bot.demo.generator import generate
    from bot.services.segmentation import run_segmentation

    url, engine = migrated_sqlite(tmp_path / "care.db")
    generate(engine, knowledge, demo_config(customers=300), progress=False)
    run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
    yield engine
    engine.dispose()


def outbox(engine):
    with engine.connect() as conn:
        return conn.execute(
            select(
                t.care_outbox.c.customer_id,
                t.care_outbox.c.trigger,
                t.care_outbox.c.is_marketing,
                t.care_outbox.c.holdout,
                t.care_outbox.c.status,
                t.care_outbox.c.scheduled_at,
                t.customers.c.marketing_consent,
            ).join(t.customers, t.customers.c.id == t.care_outbox.c.customer_id)
        ).all()


def plan(engine, knowledge, day=DEMO_AS_OF):
    return plan_care(engine, knowledge, SHANGHAI, day, clock=lambda: NOON)


def test_planning_twice_adds_nothing_the_second_time(care_db, knowledge):
    first = plan(care_db, knowledge)
    assert first.added > 0 and first.added == sum(first.report.planned.values())
    again = plan(care_db, knowledge)
    assert again.added == 0 and sum(again.report.planned.values()) == 0
    assert sum(again.report.already.values()) == first.added
    with care_db.connect() as conn:
        keys = conn.execute(select(func.count(t.care_outbox.c.id))).scalar_one()
    assert keys == first.added


def test_marketing_only_with_consent_and_at_ten_local(care_db, knowledge):
    plan(care_db, knowledge)
    rows = outbox(care_db)
    assert {r.trigger for r in rows} >= {"thank_you", "care_tip", "win_back"}
    assert all(r.marketing_consent for r in rows if r.is_marketing)
    assert all(not r.holdout for r in rows if not r.is_marketing)
    assert {r.scheduled_at for r in rows} == {dt.datetime(2026, 11, 20, 2, 0)}
    assert all((r.status == "holdout") == r.holdout for r in rows)


def test_no_customer_gets_more_marketing_in_a_week_than_the_cap(care_db, knowledge):
    for n in range(4):
        plan(care_db, knowledge, DEMO_AS_OF + dt.timedelta(days=n))
    with care_db.connect() as conn:
        rows = conn.execute(
            select(t.care_outbox.c.customer_id, func.count())
            .where(t.care_outbox.c.is_marketing.is_(True))
            .group_by(t.care_outbox.c.customer_id)
        ).all()
    assert rows and max(n for _, n in rows) <= knowledge.care.weekly_cap


def test_a_customer_who_opted_out_of_everything_gets_nothing(care_db, knowledge):
    with care_db.begin() as conn:
        conn.execute(update(t.customers).values(service_consent=False))
    run = plan(care_db, knowledge)
    assert run.added == 0 and sum(run.report.no_consent.values()) > 0
    with care_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM care_outbox")).scalar_one() == 0


def test_planning_in_small_batches_plans_exactly_the_same(tmp_path, knowledge):
    from bot.demo.generator import generate
    from bot.services.segmentation import run_segmentation

    outboxes = []
    for batch_size in (7, 50_000):
        _, engine = migrated_sqlite(tmp_path / f"batch-{batch_size}.db")
        generate(engine, knowledge, demo_config(customers=120), progress=False)
        run_segmentation(engine, knowledge, DEMO_AS_OF, SHANGHAI)
        for day in (DEMO_AS_OF, DEMO_AS_OF + dt.timedelta(days=1)):
            plan_care(
                engine,
                knowledge,
                SHANGHAI,
                day,
                clock=lambda: NOON,
                batch_size=batch_size,
            )
        with engine.connect() as conn:
            outboxes.append(
                set(
                    conn.execute(
                        select(
                            t.care_outbox.c.idempotency_key,
                            t.care_outbox.c.body,
                            t.care_outbox.c.status,
                            t.care_outbox.c.scheduled_at,
                        )
                    ).all()
                )
            )
        engine.dispose()
    small, whole = outboxes
    assert len(whole) > 50 and small == whole
