"""Care outcomes: conversion within the window, uplift against the holdout."""

import datetime as dt

import pytest
from sqlalchemy import insert

from bot.db import tables as t
from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.services.care_report import care_outcomes

T0 = dt.datetime(2026, 11, 1, 2, 0)


def fill(engine):
    with engine.begin() as conn:
        conn.execute(
            insert(t.customers),
            [
                {
                    "id": n,
                    "member_no": f"M{n:08d}",
                    "name": "顾客",
                    "gender": "F",
                    "joined_on": dt.date(2025, 1, 1),
                    "marketing_consent": True,
                    "created_at": T0,
                }
                for n in range(1, 6)
            ],
        )
        # 1, 2: sent, 1 buys 3 days later, 2 buys 20 days later (outside 14 days)
        # 3, 4: holdout, 3 buys 5 days later; 5: sent, bought the day before
        orders = [(1, 3), (2, 20), (3, 5), (5, -1)]
        conn.execute(
            insert(t.orders),
            [
                {
                    "id": n,
                    "order_no": f"O{n}",
                    "customer_id": customer,
                    "ordered_at": T0 + dt.timedelta(days=days),
                    "total_fen": 100,
                    "channel": "store",
                }
                for n, (customer, days) in enumerate(orders, start=1)
            ],
        )
        # replies on WeChat: 1 after 10 hours (counts), 2 after 3 days (too late),
        # 5 only clicked a menu (an event, not a reply)
        conn.execute(
            insert(t.inbound_messages),
            [
                {
                    "channel": "wechat",
                    "message_key": f"m{customer}",
                    "openid": f"o{customer}",
                    "customer_id": customer,
                    "kind": kind,
                    "received_at": T0 + delay,
                }
                for customer, kind, delay in [
                    (1, "text", dt.timedelta(hours=10)),
                    (2, "text", dt.timedelta(days=3)),
                    (5, "event:click", dt.timedelta(hours=1)),
                ]
            ],
        )
        conn.execute(
            insert(t.care_outbox),
            [
                {
                    "idempotency_key": f"win_back:{n}",
                    "customer_id": n,
                    "trigger": "win_back",
                    "is_marketing": True,
                    "holdout": status == "holdout",
                    "body": "x",
                    "scheduled_at": T0,
                    "sent_at": T0 if status == "sent" else None,
                    "status": status,
                    "attempts": 1,
                    "created_at": T0,
                }
                for n, status in [
                    (1, "sent"),
                    (2, "sent"),
                    (3, "holdout"),
                    (4, "holdout"),
                    (5, "sent"),
                ]
            ],
        )


def check(url):
    upgrade(url)
    engine = make_engine(url)
    try:
        fill(engine)
        report = care_outcomes(
            engine, 14, 90, now=T0 + dt.timedelta(days=30), reply_hours=48
        )
    finally:
        engine.dispose()
    (row,) = report.by["trigger"]
    assert (row.group, row.sent, row.converted) == ("win_back", 3, 1)
    assert (row.holdout, row.holdout_converted) == (2, 1)
    assert row.replied == 1
    assert row.uplift == pytest.approx(100 * (1 / 3 - 1 / 2))
    assert report.by["segment"][0].group == "-"


def test_conversion_and_uplift_on_sqlite(tmp_path):
    check(f"sqlite:///{tmp_path / 'report.db'}")


@pytest.mark.postgres
def test_conversion_and_uplift_on_postgresql(pg_url):
    check(pg_url)
