"""Care messages through the running WeChat channel and a real dispatcher process,
against the strict fake of WeChat's API: the channel records her window in the
database, the dispatcher (another process) routes by it, and both share one token."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from sqlalchemy import func, insert, select, update

from bot.config import PROJECT_ROOT
from bot.db import tables as t
from bot.timeutil import utcnow
from tests.conftest import zone_at_local_hour
from tests.e2e.test_wechat_channel import verify


def dispatcher(bot, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **bot.env, "SALESBOT_TZ": zone_at_local_hour(12)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "care", "dispatch", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def plan(bot, customer_id: int, key: str, trigger: str, body: str, **fields) -> None:
    """A message due a minute ago, as `salesbot care plan` writes it."""
    from sqlalchemy import create_engine

    engine = create_engine(bot.database_url, future=True)
    with engine.begin() as conn:
        conn.execute(
            insert(t.care_outbox).values(
                idempotency_key=key,
                customer_id=customer_id,
                trigger=trigger,
                is_marketing=trigger not in ("thank_you", "care_tip"),
                holdout=False,
                body=body,
                fields=fields,
                scheduled_at=utcnow() - dt.timedelta(minutes=1),
                status="pending",
                attempts=0,
                created_at=utcnow(),
            )
        )
    engine.dispose()


def plan_thank_you(bot, customer_id: int, key: str) -> None:
    plan(
        bot,
        customer_id,
        key,
        "thank_you",
        "王女士您好，感谢您昨天在静安店选购羊毛大衣！",
        product="羊毛大衣",
        store="静安店",
        purchased_on="2026-11-30",
    )


def time_passes(bot, openid: str, hours: float) -> None:
    """Her window as it will be `hours` from now, on both sides."""
    from sqlalchemy import create_engine

    engine = create_engine(bot.database_url, future=True)
    w = t.wechat_windows
    shift = dt.timedelta(hours=hours)
    with engine.begin() as conn:
        opened, closes = conn.execute(
            select(w.c.opened_at, w.c.closes_at).where(w.c.openid == openid)
        ).one()
        conn.execute(
            update(w)
            .where(w.c.openid == openid)
            .values(opened_at=opened - shift, closes_at=closes - shift)
        )
    engine.dispose()
    bot.wechat_api.advance(hours * 3600)


def test_a_care_message_rides_her_window_then_a_template(bot):
    customer_id = bot.sql(
        select(func.max(t.customers.c.id)).where(t.customers.c.wechat_openid.is_(None))
    )[0][0]
    chat = bot.wechat()
    openid = f"oCare{customer_id}x"
    verify(bot, chat, openid, customer_id)
    assert chat.text(openid, "谢谢").status == 200  # she chats: her window opens
    (window,) = bot.sql(
        select(t.wechat_windows.c.kind, t.wechat_windows.c.used).where(
            t.wechat_windows.c.openid == openid
        )
    )
    assert window == ("message", 0)
    fetched = bot.wechat_api.fetches()
    time_passes(bot, openid, 2)
    plan_thank_you(bot, customer_id, f"thank_you:e2e:{customer_id}:1")
    dry = dispatcher(bot, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    mine = [m for m in json.loads(dry.stdout) if m["customer_id"] == customer_id]
    assert [(m["route"], m["reason"], m["window_open"]) for m in mine] == [
        ("customer_service", "window_open", True)
    ]
    sent = dispatcher(bot)
    assert sent.returncode == 0, sent.stderr
    to_her = [m for m in bot.wechat_api.sent if m["touser"] == openid]
    assert to_her[-1]["api"] == "custom"
    assert to_her[-1]["text"].startswith("王女士您好，感谢您昨天")
    assert bot.wechat_api.fetches() - fetched <= 1  # the servers' token, shared
    assert bot.wechat_api.fetches("token") == 0  # never a plain, retiring token

    time_passes(bot, openid, 47)  # 49 hours after she wrote
    plan_thank_you(bot, customer_id, f"thank_you:e2e:{customer_id}:2")
    assert dispatcher(bot).returncode == 0
    to_her = [m for m in bot.wechat_api.sent if m["touser"] == openid]
    assert to_her[-1]["api"] == "template"
    assert to_her[-1]["data"] == {
        "thing1": "羊毛大衣",
        "time2": "2026年11月30日",
        "thing3": "静安店",
    }
    rows = bot.sql(
        select(t.care_outbox.c.route, t.care_outbox.c.status)
        .where(t.care_outbox.c.customer_id == customer_id)
        .order_by(t.care_outbox.c.id)
    )
    assert [tuple(r) for r in rows][-2:] == [
        ("customer_service", "sent"),
        ("template", "sent"),
    ]
    refused = [r["errcode"] for r in bot.wechat_api.refused if r["touser"] == openid]
    # Each move of WeChat's clock past the shared token's 2 hours expired it: WeChat
    # said so (42001, never a message refusal) and one process fetched the next.
    assert set(refused) == {42001} and len(refused) <= 2, refused
    first_use = bot.wechat_api.fetches() - fetched - len(refused)
    assert first_use in (0, 1)  # plus the first fetch if no process had one yet


def test_a_win_back_offer_becomes_a_task_on_her_stores_tablets(bot, consoles):
    from tests.e2e.test_consoles_security import Console

    customer_id, store_id = bot.sql(
        select(t.customers.c.id, t.customers.c.home_store_id)
        .where(t.customers.c.home_store_id == 3, t.customers.c.marketing_consent)
        .order_by(t.customers.c.id)
        .limit(1)
    )[0]
    plan(
        bot,
        customer_id,
        f"win_back:e2e:{customer_id}",
        "win_back",
        "好久不见，本店为您准备了：到店免费保养一次。期待再见到您。",
        name="王女士",
    )
    sent_before = len(bot.wechat_api.sent)
    run = dispatcher(bot)
    assert run.returncode == 0, run.stderr
    assert "clerk tasks" in run.stdout and "marketing" in run.stdout
    assert len(bot.wechat_api.sent) == sent_before  # never a template
    ((task_id, status, route, reason),) = bot.sql(
        select(
            t.care_outbox.c.id,
            t.care_outbox.c.status,
            t.care_outbox.c.route,
            t.care_outbox.c.route_reason,
        ).where(t.care_outbox.c.idempotency_key == f"win_back:e2e:{customer_id}")
    )
    assert (status, route, reason) == ("task", "associate", "marketing")
    clerk = Console(consoles, f"s0{store_id}c1")
    (task,) = [x for x in clerk.get("/api/tasks").json() if x["id"] == task_id]
    assert (
        task["body"].startswith("好久不见") and "营销内容不能用模板消息" in task["why"]
    )
    assert "*" in task["customer"]  # masked
    other = Console(consoles, "s04c1")
    assert task_id not in [x["id"] for x in other.get("/api/tasks").json()]
    assert other.post(f"/api/tasks/{task_id}/done").status_code == 404
    assert clerk.post(f"/api/tasks/{task_id}/done").status_code == 200
    ((status, sent_at, staff_id),) = bot.sql(
        select(
            t.care_outbox.c.status, t.care_outbox.c.sent_at, t.care_outbox.c.staff_id
        ).where(t.care_outbox.c.id == task_id)
    )
    assert status == "sent" and sent_at is not None and staff_id is not None
    assert task_id not in [x["id"] for x in clerk.get("/api/tasks").json()]
    audited = bot.sql(
        select(t.audit_log.c.action).where(
            t.audit_log.c.customer_id == customer_id,
            t.audit_log.c.action == "care_task_sent",
        )
    )
    assert len(audited) == 1


def test_a_one_off_subscription_from_wechats_popup_carries_one_reminder(bot):
    openid = f"oPopup{int(utcnow().timestamp() * 1000)}"
    customer_id = bot.sql(
        select(func.min(t.customers.c.id)).where(t.customers.c.wechat_openid.is_(None))
    )[0][0]
    chat = bot.wechat()
    verify(bot, chat, openid, customer_id)
    time_passes(bot, openid, 49)  # her window is long closed
    popup = (
        "<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[demo-replenish-sub]]>"
        "</TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString>"
        "<PopupScene>2</PopupScene></List><List><TemplateId><![CDATA[other]]>"
        "</TemplateId><SubscribeStatusString><![CDATA[reject]]>"
        "</SubscribeStatusString><PopupScene>2</PopupScene></List>"
        "</SubscribeMsgPopupEvent>"
    )
    xml = chat.xml(openid, "event", {"Event": "subscribe_msg_popup_event"})
    answer = chat.post(xml.replace("</xml>", popup + "</xml>"))
    assert answer.status == 200 and answer.body == "success"
    granted = bot.sql(
        select(t.wechat_subscriptions.c.template_id).where(
            t.wechat_subscriptions.c.openid == openid
        )
    )
    assert [g[0] for g in granted] == ["demo-replenish-sub"]
    bot.wechat_api.grant_subscription(openid, "demo-replenish-sub")  # WeChat's side
    for n in (1, 2):
        plan(
            bot,
            customer_id,
            f"replenish:e2e:{customer_id}:{n}",
            "replenish",
            "您的洁面乳差不多快用完了",
            product="洁面乳",
            store="静安店",
            purchased_on="2026-10-01",
        )
    from sqlalchemy import create_engine

    engine = create_engine(bot.database_url, future=True)
    with engine.begin() as conn:
        conn.execute(
            update(t.customers)
            .where(t.customers.c.id == customer_id)
            .values(marketing_consent=True, service_consent=True)
        )
    engine.dispose()
    assert dispatcher(bot).returncode == 0
    to_her = [m["api"] for m in bot.wechat_api.sent if m["touser"] == openid]
    assert to_her[-2:] == ["subscribe", "template"]  # the grant carried exactly one
    used = bot.sql(
        select(t.wechat_subscriptions.c.used_at).where(
            t.wechat_subscriptions.c.openid == openid
        )
    )
    assert used[0][0] is not None
