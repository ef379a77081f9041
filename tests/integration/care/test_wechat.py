"""Care messages routed the way WeChat allows, through wechatpy against the strict
fake of WeChat's API (tests/fakes/wechat.py) over real HTTP on loopback, with the
window, subscriptions and access token shared through the database."""

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.config import PROJECT_ROOT
from bot.db import tables as t
from bot.db.migrate import upgrade
from bot.db.wechat_store import SharedTokens
from bot.outbound.outlets import WeChatOutlet
from bot.outbound.wechat import WeChatOutbound, wechat_client
from bot.outbound.wechat_token import DatabaseSession
from bot.services.care import dispatch_care, plan_routes
from bot.services.wechat_windows import WindowService
from bot.timeutil import utcnow
from tests.conftest import REDIS_TEST_URL, migrated_sqlite, zone_at_local_hour
from tests.fakes.wechat import APPID, SECRET, FakeWeChatServer

OPENID = "oWang0000001"
LONG_NAME = "意大利进口羊绒混纺双面呢长款翻领大衣（驼色，加长款）"
FIELDS = {"product": LONG_NAME, "store": "静安店", "purchased_on": "2026-11-19"}


@pytest.fixture()
def fake():
    server = FakeWeChatServer()
    for template in ("demo-thank-you", "demo-replenish"):
        server.register_template(
            template, {"thing1": "thing", "time2": "time", "thing3": "thing"}
        )
    server.register_template(
        "demo-care-tip", {"thing1": "thing", "thing2": "thing", "time3": "time"}
    )
    server.register_subscribe_template(
        "demo-replenish-sub", {"thing1": "thing", "thing2": "thing"}
    )
    yield server
    server.stop()


@pytest.fixture()
def db(tmp_path):
    url, engine = migrated_sqlite(tmp_path / "wechat.db")
    with engine.begin() as conn:
        conn.execute(
            insert(t.stores).values(id=1, code="S01", name="静安店", city="上海")
        )
        conn.execute(
            insert(t.customers).values(
                id=1,
                member_no="M00000001",
                name="王晓梅",
                gender="F",
                joined_on=dt.date(2025, 1, 1),
                marketing_consent=True,
                wechat_openid=OPENID,
                home_store_id=1,
                created_at=utcnow(),
            )
        )
    yield url, engine
    engine.dispose()


def add(engine, trigger, n=1, is_marketing=False, fields=FIELDS):
    with engine.begin() as conn:
        first = len(conn.execute(select(t.care_outbox.c.id)).all())
        conn.execute(
            insert(t.care_outbox),
            [
                {
                    "idempotency_key": f"{trigger}:{first + i}",
                    "customer_id": 1,
                    "trigger": trigger,
                    "is_marketing": is_marketing,
                    "holdout": False,
                    "body": f"王女士您好，这是第{first + i}条",
                    "fields": fields,
                    "scheduled_at": utcnow() - dt.timedelta(minutes=5),
                    "status": "pending",
                    "attempts": 0,
                    "created_at": utcnow(),
                }
                for i in range(n)
            ],
        )


def she_wrote(engine, fake, hours_ago: float) -> None:
    """She sent a message `hours_ago`: WeChat and the channel both know."""
    fake.customer_did(OPENID, "message", ago_seconds=hours_ago * 3600)
    then = utcnow() - dt.timedelta(hours=hours_ago)
    WindowService(engine, clock=lambda: then).interacted(OPENID, "text")


def outlet(engine, fake):
    session = DatabaseSession(SharedTokens(engine))
    return WeChatOutlet(
        WeChatOutbound(wechat_client(APPID, SECRET, session, fake.base))
    )


def dispatch(engine, knowledge, fake, wechat=None):
    sink = outlet(engine, fake)
    try:
        return dispatch_care(
            engine,
            knowledge.care,
            wechat or knowledge.wechat,
            sink,
            ZoneInfo(zone_at_local_hour(12)),
        )
    finally:
        sink.close()


def routes(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                t.care_outbox.c.idempotency_key,
                t.care_outbox.c.status,
                t.care_outbox.c.route,
                t.care_outbox.c.route_reason,
            ).order_by(t.care_outbox.c.id)
        )
        return {key: (status, route, reason) for key, status, route, reason in rows}


def test_a_message_two_hours_after_she_chatted_goes_as_customer_service(
    db, fake, knowledge
):
    _, engine = db
    she_wrote(engine, fake, 2)
    add(engine, "thank_you")
    run = dispatch(engine, knowledge, fake)
    assert (run.sent, run.routes["customer_service"]) == (1, 1)
    assert [m["api"] for m in fake.sent] == ["custom"]
    assert fake.sent[0]["text"] == "王女士您好，这是第0条"
    assert routes(engine)["thank_you:0"] == ("sent", "customer_service", "window_open")
    assert fake.fetches("stable_token") == 1 and fake.fetches("token") == 0


def test_49_hours_later_it_goes_as_a_template_with_fields_that_fit(db, fake, knowledge):
    _, engine = db
    she_wrote(engine, fake, 49)
    add(engine, "thank_you")
    run = dispatch(engine, knowledge, fake)
    assert run.routes["template"] == 1 and fake.refused == []
    (sent,) = fake.sent
    assert sent["api"] == "template" and sent["template_id"] == "demo-thank-you"
    assert sent["data"] == {
        "thing1": LONG_NAME[:19] + "…",
        "time2": "2026年11月19日",
        "thing3": "静安店",
    }
    assert routes(engine)["thank_you:0"] == ("sent", "template", "service_notice")


def test_the_sixth_message_of_a_window_is_never_attempted(db, fake, knowledge):
    _, engine = db
    she_wrote(engine, fake, 1)
    add(engine, "manual", 7)  # a clerk's reminders: no template for them
    run = dispatch(
        engine, knowledge, fake, knowledge.wechat.copy(update={"keep_for_replies": 0})
    )
    assert [m["api"] for m in fake.sent] == ["custom"] * 5
    assert fake.refused == []  # WeChat never had to say 45047
    assert run.routes["customer_service"] == 5 and run.tasks == 2
    assert sorted(routes(engine).values())[-2:] == [
        ("task", "associate", "no_template"),
        ("task", "associate", "no_template"),
    ]


def test_care_leaves_the_last_window_message_for_replies(db, fake, knowledge):
    _, engine = db
    she_wrote(engine, fake, 1)
    add(engine, "manual", 5)
    assert knowledge.wechat.keep_for_replies == 1
    run = dispatch(engine, knowledge, fake)
    assert run.routes["customer_service"] == 4 and fake.window_left(OPENID) == 1
    assert WindowService(engine).reserve(OPENID)  # the clerk's reply still fits


def test_a_win_back_offer_becomes_a_clerk_task_never_a_template(db, fake, knowledge):
    _, engine = db
    she_wrote(engine, fake, 72)
    add(engine, "win_back", is_marketing=True, fields={"name": "王女士"})
    run = dispatch(engine, knowledge, fake)
    assert fake.sent == [] and fake.refused == []
    assert run.tasks == 1 and run.sent == 0
    assert routes(engine)["win_back:0"] == ("task", "associate", "marketing")


def test_she_unfollowed_so_the_template_is_refused_and_her_clerk_gets_it(
    db, fake, knowledge
):
    _, engine = db
    fake.unfollow(OPENID)
    add(engine, "thank_you")
    dispatch(engine, knowledge, fake)
    assert [r["errcode"] for r in fake.refused] == [43004]
    assert routes(engine)["thank_you:0"] == ("task", "associate", "not_following")


def test_a_one_off_subscription_carries_one_message(db, fake, knowledge):
    _, engine = db
    fake.grant_subscription(OPENID, "demo-replenish-sub")
    WindowService(engine).subscribed(OPENID, ["demo-replenish-sub"])
    add(engine, "replenish", 2, is_marketing=True)
    dispatch(engine, knowledge, fake)
    assert [m["api"] for m in fake.sent] == ["subscribe", "template"]
    assert [v[1:] for v in routes(engine).values()] == [
        ("subscribe", "subscribed"),
        ("template", "service_notice"),
    ]


def test_a_busy_wechat_is_retried_and_the_message_sent_once(db, fake, knowledge):
    _, engine = db
    add(engine, "thank_you")
    fake.fail_next(-1)
    assert dispatch(engine, knowledge, fake).retrying == 1
    with engine.begin() as conn:
        conn.execute(
            t.care_outbox.update().values(scheduled_at=utcnow() - dt.timedelta(1))
        )
    assert dispatch(engine, knowledge, fake).sent == 1
    assert len(fake.sent) == 1


def test_the_dry_run_shows_routes_and_changes_nothing(db, fake, knowledge):
    _, engine = db
    she_wrote(engine, fake, 2)
    add(engine, "thank_you")
    add(engine, "birthday", is_marketing=True, fields={"name": "王女士"})
    later = utcnow() + dt.timedelta(hours=47)
    now = plan_routes(engine, knowledge.wechat, utcnow())
    assert [(p.route, p.reason, p.window_open) for p in now] == [
        ("customer_service", "window_open", True),
        ("customer_service", "window_open", True),
    ]
    after = plan_routes(engine, knowledge.wechat, later)
    assert [(p.trigger, p.route, p.reason) for p in after] == [
        ("thank_you", "template", "service_notice"),
        ("birthday", "associate", "marketing"),
    ]
    assert {v[0] for v in routes(engine).values()} == {"pending"}
    assert fake.sent == [] and fake.fetches() == 0


def test_a_token_wechat_no_longer_accepts_is_fetched_again_once(db, fake, knowledge):
    _, engine = db
    she_wrote(engine, fake, 1)
    add(engine, "manual")
    dispatch(engine, knowledge, fake)
    fake.reset()  # WeChat forgot every token (e.g. a forced refresh elsewhere)
    fake.customer_did(OPENID, "message")
    add(engine, "manual")
    assert dispatch(engine, knowledge, fake).sent == 1
    assert fake.fetches("stable_token") == 1  # the one new fetch after the reset


FETCH = """
import sys
from sqlalchemy import create_engine
from bot.db.wechat_store import SharedTokens
from bot.outbound.wechat import wechat_client
from bot.outbound.wechat_token import DatabaseSession
engine = create_engine(sys.argv[1], future=True)
client = wechat_client("wx-app", "s", DatabaseSession(SharedTokens(engine)), sys.argv[2])
print(client.access_token)
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_three_processes_started_together_fetch_one_token(
    backend, tmp_path, fake, request
):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'tokens.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    upgrade(url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", FETCH, url, fake.base],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    tokens = {out.strip() for out, _ in outputs}
    assert len(tokens) == 1 and tokens.pop().startswith("STABLE-")
    assert fake.fetches() == 1
    again = subprocess.run(
        [sys.executable, "-c", FETCH, url, fake.base],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0 and fake.fetches() == 1  # still valid: no fetch


def test_the_token_is_shared_through_redis_when_configured(fake, redis_client):
    from bot.outbound.wechat_token import shared_session

    tokens = {
        wechat_client(
            APPID, SECRET, shared_session(None, REDIS_TEST_URL), fake.base
        ).access_token
        for _ in range(3)
    }
    assert len(tokens) == 1 and fake.fetches() == 1
    assert redis_client.ttl(f"salesbot:wechat:{APPID}_access_token") > 6000


def test_the_token_is_kept_in_the_database_while_redis_is_down(db, fake):
    from bot.outbound.wechat_token import FallbackSession, shared_session

    _, engine = db
    session = shared_session(engine, "redis://127.0.0.1:1/0")  # nothing listens
    assert isinstance(session, FallbackSession)
    tokens = {
        wechat_client(APPID, SECRET, session, fake.base).access_token for _ in range(3)
    }
    assert len(tokens) == 1 and fake.fetches() == 1
    stored = DatabaseSession(SharedTokens(engine)).get(f"{APPID}_access_token")
    assert stored == tokens.pop()
