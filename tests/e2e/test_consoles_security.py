"""The consoles' security against the running servers: sessions, roles, stores,
lockout, CSRF, and the clerk's identity reaching the bot from the server side."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import create_engine, select

from bot.db import tables as t

PASSWORD = "demo1234"  # demo staff password

STAFF_ROUTES = [
    ("GET", "/"),
    ("GET", "/api/panel"),
    ("GET", "/api/handoffs"),
    ("GET", "/api/handoffs/1"),
    ("POST", "/api/say"),
    ("POST", "/api/outcome"),
    ("POST", "/api/new-customer"),
    ("POST", "/api/handoffs/1/reply"),
    ("POST", "/api/handoffs/1/close"),
    ("POST", "/logout"),
    ("GET", "/manager"),
    ("GET", "/manager/export.csv"),
    ("GET", "/manager/conversation?id=x"),
    ("POST", "/manager/flag"),
    ("GET", "/manager/dashboard"),
    ("GET", "/manager/charts/conversations.json"),
]


class Console:
    """A logged-in browser session, through plain HTTP."""

    def __init__(self, base: str, username: str, password: str = PASSWORD) -> None:
        self.base = base
        self.http = requests.Session()
        self.answer = login(self.http, base, username, password)
        page = self.http.get(f"{base}/")
        found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        self.csrf = found.group(1) if found else ""

    def post(self, path: str, body=None, csrf: str | None = None):
        headers = {"X-CSRF-Token": self.csrf if csrf is None else csrf}
        return self.http.post(f"{self.base}{path}", json=body or {}, headers=headers)

    def get(self, path: str):
        return self.http.get(f"{self.base}{path}", allow_redirects=False)

    def say(self, text: str) -> list[str]:
        answer = self.post("/api/say", {"message": text})
        assert answer.status_code == 200, answer.text
        return answer.json()["replies"]


def login(http: requests.Session, base: str, username: str, password: str):
    form = http.get(f"{base}/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    return http.post(
        f"{base}/login",
        data={"csrf": token, "username": username, "password": password},
        allow_redirects=False,
    )


@pytest.mark.parametrize(("method", "path"), STAFF_ROUTES)
def test_every_staff_route_needs_a_session(consoles, method, path):
    answer = requests.request(method, f"{consoles}{path}", allow_redirects=False)
    if method == "GET" and not path.startswith("/api/"):
        assert answer.status_code == 302
        assert answer.headers["Location"] == "/login"
    else:
        assert answer.status_code == 401


def test_a_forged_cookie_is_no_session(consoles):
    answer = requests.get(
        f"{consoles}/api/panel", cookies={"salesbot_session": "forged"}
    )
    assert answer.status_code == 401


def test_login_sets_a_strict_httponly_cookie(consoles):
    console = Console(consoles, "s01c1")
    cookie = console.answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert console.answer.headers["Location"] == "/"


@pytest.mark.parametrize(
    "path", ["/manager", "/manager/export.csv", "/manager/dashboard"]
)
def test_a_clerk_cannot_open_the_manager_console(consoles, path):
    assert Console(consoles, "s01c2").get(path).status_code == 403


def test_csrf_tokens_are_enforced(consoles):
    console = Console(consoles, "s01c3")
    assert console.post("/api/new-customer", csrf="").status_code == 403
    assert console.post("/api/new-customer", csrf="wrong").status_code == 403
    assert console.post("/api/new-customer").status_code == 200
    bare = requests.post(f"{consoles}/login", data={"username": "s01c3"})
    assert bare.status_code == 403


def test_a_login_without_the_form_token_is_refused(consoles):
    http = requests.Session()
    http.get(f"{consoles}/login")
    answer = http.post(
        f"{consoles}/login",
        data={"csrf": "guess", "username": "s01c1", "password": PASSWORD},
        allow_redirects=False,
    )
    assert answer.status_code == 403


def test_repeated_wrong_passwords_lock_the_account(consoles):
    http = requests.Session()
    for _ in range(4):
        assert login(http, consoles, "s04c2", "wrong-password").status_code == 401
    assert login(http, consoles, "s04c2", "wrong-password").status_code == 423
    locked = login(http, consoles, "s04c2", PASSWORD)
    assert locked.status_code == 423
    assert "锁定" in locked.text
    other = login(requests.Session(), consoles, "s04c3", PASSWORD)
    assert other.status_code == 302


def test_the_console_channel_needs_the_console_secret(bot):
    body = {"sender": "console:s01c1:1:1", "message": "帮我查一下13800000000"}
    url = f"{bot.base_url}/webhooks/console/webhook"
    assert requests.post(url, json=body).status_code == 403
    forged = {"X-Salesbot-Console": "guess"}
    assert requests.post(url, json=body, headers=forged).status_code == 403
    assert requests.post(bot.webhook, json=body).status_code == 400


def test_the_clerk_and_her_store_reach_the_bot_from_the_login(bot, consoles):
    console = Console(consoles, "s02c1")
    console.post("/api/new-customer")
    replies = console.say("帮我查一下13800000000")
    assert "M00000001" in replies[0]
    console.say("给她推荐点东西")
    engine = create_engine(bot.database_url, future=True)
    with engine.connect() as conn:
        actors = (
            conn.execute(
                select(t.audit_log.c.actor)
                .where(t.audit_log.c.channel == "console")
                .order_by(t.audit_log.c.id.desc())
                .limit(2)
            )
            .scalars()
            .all()
        )
        shown = conn.execute(
            select(t.recommendation_log.c.store_id, t.recommendation_log.c.staff_id)
            .where(t.recommendation_log.c.channel == "console")
            .order_by(t.recommendation_log.c.id.desc())
            .limit(1)
        ).one()
        staff = conn.execute(
            select(t.staff.c.id, t.staff.c.store_id).where(
                t.staff.c.username == "s02c1"
            )
        ).one()
    assert set(actors) == {"staff:s02c1"}
    assert tuple(shown) == (staff.store_id, staff.id)


def test_a_manager_reads_only_her_stores_conversations(bot, consoles):
    clerk = Console(consoles, "s03c1")
    clerk.post("/api/new-customer")
    clerk.say("帮我查一下13800000001")
    head_office = Console(consoles, "hq")
    listing = head_office.get("/manager").text
    senders = re.findall(r'/manager/conversation\?id=(console%3As03c1[^"]+)"', listing)
    assert senders, "head office sees the store 3 conversation"
    mine = Console(consoles, "s03m").get("/manager").text
    other = Console(consoles, "s01m")
    assert senders[0] in mine
    assert senders[0] not in other.get("/manager").text
    assert other.get(f"/manager/conversation?id={senders[0]}").status_code == 403
    transcript = head_office.get(f"/manager/conversation?id={senders[0]}").text
    assert "13800000001" not in transcript and "138****0001" in transcript


def test_the_handoff_queue_is_per_store_and_replies_reach_wechat(bot, consoles):
    from tests.e2e.test_wechat_channel import verify

    engine = create_engine(bot.database_url, future=True)
    with engine.connect() as conn:
        customer_id = conn.execute(
            select(t.customers.c.id)
            .where(t.customers.c.home_store_id == 5, t.customers.c.phone.isnot(None))
            .order_by(t.customers.c.id)
            .limit(1)
        ).scalar_one()
    chat = bot.wechat()
    openid = f"oQueue{customer_id}x"
    verify(bot, chat, openid, customer_id)
    assert "转接人工" in chat.text(openid, "我要找人工客服").reply
    clerk = Console(consoles, "s05c1")
    (entry,) = [h for h in clerk.get("/api/handoffs").json() if h["reason"]]
    assert Console(consoles, "s06c1").get("/api/handoffs").json() == []
    outsider = Console(consoles, "s06c2")
    refused = outsider.post(f"/api/handoffs/{entry['id']}/reply", {"text": "hi"})
    assert refused.status_code == 404
    assert (entry["window"]["open"], entry["window"]["left"]) == (True, 5)
    sent = clerk.post(f"/api/handoffs/{entry['id']}/reply", {"text": "您好，我是店员"})
    assert sent.status_code == 200, sent.text
    last = bot.wechat_api.sent[-1]
    assert (last["touser"], last["text"]) == (openid, "您好，我是店员")
    window = clerk.get("/api/handoffs").json()[0]["window"]
    assert (window["open"], window["left"]) == (True, 4)
    assert clerk.post(f"/api/handoffs/{entry['id']}/close").status_code == 200
    assert chat.text(openid, "有什么新品").reply.startswith("最近到的新品")


@pytest.fixture(scope="module")
def consoles_without_tracker(bot, tmp_path_factory):
    """A second console server whose tracker database cannot be reached."""
    from bot.config import PROJECT_ROOT
    from bot.runtime.servers import free_port, start_web_server

    port = free_port()
    env = {
        **bot.env,
        "SALESBOT_RASA_URL": bot.base_url,
        "SALESBOT_TRACKER_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    log = tmp_path_factory.mktemp("web-no-tracker") / "web.log"
    web = start_web_server(port, env, log, PROJECT_ROOT)
    try:
        web.wait_healthy(60)
        yield f"http://127.0.0.1:{port}", log
    finally:
        web.stop()


def test_a_tracker_that_cannot_be_reached_is_said_not_hidden(consoles_without_tracker):
    base, log = consoles_without_tracker
    head_office = Console(base, "hq")
    transcript = head_office.get("/manager/conversation?id=someone")
    assert transcript.status_code == 503
    assert "对话记录暂时无法读取" in transcript.text
    panel = Console(base, "s01c1").get("/api/panel")
    assert panel.status_code == 503  # not "no customer in context"
    assert "Traceback" not in log.read_text(encoding="utf-8")
