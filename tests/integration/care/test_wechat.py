"""Care messages through wechatpy against a local server speaking WeChat's API
(token and customer-service message endpoints), over real HTTP on loopback."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from bot.channels.care_sink import WeChatSink
from bot.db import tables as t
from bot.db.care_store import Outbox
from bot.services.care import dispatch_care
from tests.conftest import migrated_sqlite
from tests.wechat_api_fake import FakeWeChat, FakeWeChatServer

NOW = dt.datetime(2026, 11, 20, 4, 0)


@pytest.fixture()
def wechat():
    server = FakeWeChatServer()
    yield server.base
    server.stop()


@pytest.fixture()
def outbox_db(tmp_path):
    _, engine = migrated_sqlite(tmp_path / "wechat.db")
    with engine.begin() as conn:
        for n, openid in ((1, "o-wang"), (2, None), (3, "blocked")):
            conn.execute(
                insert(t.customers).values(
                    id=n,
                    member_no=f"M0000000{n}",
                    name="王晓梅",
                    gender="F",
                    joined_on=dt.date(2025, 1, 1),
                    marketing_consent=True,
                    wechat_openid=openid,
                    created_at=NOW,
                )
            )
            conn.execute(
                insert(t.care_outbox).values(
                    idempotency_key=f"thank_you:{n}",
                    customer_id=n,
                    trigger="thank_you",
                    is_marketing=False,
                    holdout=False,
                    body=f"王女士您好{n}",
                    scheduled_at=NOW - dt.timedelta(hours=1),
                    status="pending",
                    attempts=0,
                    created_at=NOW,
                )
            )
    yield engine
    engine.dispose()


def rows(engine):
    with engine.connect() as conn:
        return {
            r.idempotency_key: (r.status, r.last_error)
            for r in conn.execute(select(t.care_outbox))
        }


def run(engine, knowledge, sink):
    try:
        return dispatch_care(
            engine, knowledge.care, sink.deliver, ZoneInfo("Asia/Shanghai"), lambda: NOW
        )
    finally:
        sink.close()


def test_messages_go_to_the_bound_openid_and_unbound_ones_fail_at_once(
    outbox_db, knowledge, wechat, tmp_path
):
    sink = WeChatSink(
        "wx-app", "s", Outbox(outbox_db).openid, tmp_path / "l.jsonl", wechat
    )
    result = run(outbox_db, knowledge, sink)
    assert (result.sent, result.failed) == (1, 2)
    assert FakeWeChat.tokens == ["wx-app"]
    assert FakeWeChat.sent == [
        ("/cgi-bin/message/custom/send", "o-wang", "王女士您好1")
    ]
    state = rows(outbox_db)
    assert state["thank_you:1"] == ("sent", None)
    assert state["thank_you:2"] == (
        "failed",
        "PermanentDeliveryError: no WeChat account bound to this customer",
    )
    assert state["thank_you:3"] == (
        "failed",
        "PermanentDeliveryError: WeChat 43004: require subscribe",
    )


def test_a_wechat_error_that_may_pass_is_retried_and_not_sent_twice(
    outbox_db, knowledge, wechat, tmp_path
):
    with outbox_db.begin() as conn:
        conn.execute(
            update(t.care_outbox)
            .where(t.care_outbox.c.customer_id != 1)
            .values(status="cancelled")
        )
    ledger = tmp_path / "l.jsonl"
    FakeWeChat.failures = [-1]  # WeChat's "system busy"
    sink = WeChatSink("wx-app", "s", Outbox(outbox_db).openid, ledger, wechat)
    assert run(outbox_db, knowledge, sink).retrying == 1
    assert rows(outbox_db)["thank_you:1"] == (
        "pending",
        "DeliveryError: WeChat -1: error -1",
    )
    with outbox_db.begin() as conn:
        conn.execute(
            update(t.care_outbox).values(scheduled_at=NOW - dt.timedelta(minutes=1))
        )
    assert run(outbox_db, knowledge, sink).sent == 1
    with outbox_db.begin() as conn:  # as if the process died before marking it sent
        conn.execute(update(t.care_outbox).values(status="pending"))
    again = WeChatSink("wx-app", "s", Outbox(outbox_db).openid, ledger, wechat)
    assert run(outbox_db, knowledge, again).already_delivered == 1
    assert len(FakeWeChat.sent) == 1
