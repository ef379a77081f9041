"""Customer use cases against a real demo database, checked against independent SQL."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.customers.identifiers import IdentifierError
from bot.db import tables as t
from bot.services.customers import Actor, CustomerNotFound, CustomerService
from tests.conftest import DEMO_AS_OF, SHANGHAI

CLERK = Actor(sender_id="tablet-7", channel="rest")


@pytest.fixture()
def service(demo_db, knowledge):
    clock = lambda: dt.datetime.combine(DEMO_AS_OF, dt.time(4))  # noqa: E731 (noon in Shanghai)
    return CustomerService(demo_db[1], knowledge, SHANGHAI, clock=clock)


def audit_rows(engine, actor):
    with engine.connect() as conn:
        return conn.execute(
            select(
                t.audit_log.c.action,
                t.audit_log.c.customer_id,
                t.audit_log.c.channel,
                t.audit_log.c.detail,
            )
            .where(t.audit_log.c.actor == actor)
            .order_by(t.audit_log.c.id)
        ).all()


def test_a_lookup_by_phone_returns_the_card_computed_from_the_orders(
    service, demo_db, knowledge
):
    card = service.lookup("phone", "138 0000 0000", Actor("s1", "rest"))
    with demo_db[1].connect() as conn:
        count, spend = conn.execute(
            select(func.count(), func.sum(t.orders.c.total_fen)).where(
                t.orders.c.customer_id == 1
            )
        ).one()
        name, gender = conn.execute(
            select(t.customers.c.name, t.customers.c.gender).where(
                t.customers.c.id == 1
            )
        ).one()
    assert card.customer_id == 1
    title = {"F": "女士", "M": "先生"}.get(gender)
    assert card.salutation == (name[0] + title if title else card.masked_name)
    assert card.order_count == count
    assert card.lifetime_spend_fen == spend
    assert card.masked_name == name[0] + "*" * (len(name) - 1)
    with demo_db[1].connect() as conn:
        snap = conn.execute(
            select(t.segment_snapshots).where(t.segment_snapshots.c.customer_id == 1)
        ).one()
    rules = knowledge.segments
    tier = {x.key: x.name for x in rules.value_tiers}[snap.value_tier]
    segment = {x.key: x.name for x in rules.rfm_segments}[snap.segment]
    assert (
        card.value_label == f"{tier}·{segment}·{rules.lifecycle.names[snap.lifecycle]}"
    )
    assert (card.rfm.r, card.rfm.f, card.rfm.m) == (
        snap.r_score,
        snap.f_score,
        snap.m_score,
    )


def test_a_lookup_by_member_number_finds_the_same_customer(service):
    assert (
        service.lookup("member_no", "m00000002", Actor("s2", "rest")).customer_id == 2
    )


def test_every_lookup_is_audited_found_or_not(service, demo_db):
    actor = Actor("audited", "rest")
    service.lookup("phone", "13800000000", actor)
    with pytest.raises(CustomerNotFound):
        service.lookup("phone", "13900000000", actor)
    with pytest.raises(IdentifierError):
        service.lookup("phone", "1390000", actor)
    rows = audit_rows(demo_db[1], "sender:audited")
    assert [(r.action, r.customer_id, r.channel) for r in rows] == [
        ("lookup", 1, "rest"),
        ("lookup", None, "rest"),
        ("lookup", None, "rest"),
    ]
    assert [r.detail["result"] for r in rows] == ["found", "not_found", "phone_length"]
    assert rows[1].detail["value"] == "139****0000"


def test_follow_up_questions_are_audited_too(service, demo_db):
    actor = Actor("follow", "rest")
    service.card(1, actor)
    service.insight(1, actor, "preferences")
    service.insight(1, actor, "strategy")
    service.history(1, actor)
    assert [r.action for r in audit_rows(demo_db[1], "sender:follow")] == [
        "segment",
        "preferences",
        "strategy",
        "history",
    ]


def test_history_lists_the_latest_orders_first(service, demo_db):
    view = service.history(1, CLERK, limit=3)
    with demo_db[1].connect() as conn:
        latest = (
            conn.execute(
                select(t.orders.c.order_no)
                .where(t.orders.c.customer_id == 1)
                .order_by(t.orders.c.ordered_at.desc())
                .limit(3)
            )
            .scalars()
            .all()
        )
    assert [o.order_no for o in view.orders] == latest
    assert all(o.lines for o in view.orders)


def test_a_customer_id_that_does_not_exist_is_an_error_not_an_empty_card(service):
    with pytest.raises(LookupError):
        service.card(10_000_000, CLERK)


def test_with_a_snapshot_the_card_never_scans_all_orders(demo_db, knowledge):
    def no_scan():
        raise AssertionError("the quick RFM scale was built although a snapshot exists")

    service = CustomerService(demo_db[1], knowledge, SHANGHAI)
    service._build_scale = no_scan
    card = service.lookup("phone", "13800000000", Actor("no-scan", "rest"))
    assert card.rfm is not None


def test_noted_preferences_are_kept_once_shown_and_audited(service, demo_db):
    from bot.customers.notes import Note

    clerk = Actor("tablet-notes", "rest")
    notes = [Note("dislike", "印花"), Note("size", "M")]
    view = service.note_preferences(3, clerk, notes)
    service.note_preferences(3, clerk, notes[:1])
    assert view.notes == tuple(notes)
    with demo_db[1].connect() as conn:
        rows = conn.execute(
            select(t.preferences.c.kind, t.preferences.c.value).where(
                t.preferences.c.customer_id == 3
            )
        ).all()
    assert sorted(rows) == [("dislike", "印花"), ("size", "M")]
    assert audit_rows(demo_db[1], "sender:tablet-notes")[0][:2] == (
        "note_preference",
        3,
    )
    insight = service.insight(3, clerk, "preferences")
    assert {(p.kind, p.value) for p in insight.noted} == set(rows)
