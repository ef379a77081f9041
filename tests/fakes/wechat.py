"""A strict stand-in for WeChat's Official Account API, over real HTTP on loopback.

It refuses what WeChat refuses, with WeChat's errcodes and messages
(developers.weixin.qq.com, checked 2026-12):
- access tokens: `GET token` mints a new token on every call and retires the
  previous plain token 5 minutes later; `POST stable_token` returns the same token
  while it has more than 5 minutes left (then a new one, the old still valid until
  it expires), `force_refresh` retires it at once (20 a day, 30 s apart); fetches
  are counted, 2,000 plain fetches a day (45009 after); expired tokens 42001,
  unknown ones 40001;
- customer-service messages (`message/custom/send`) only inside her window: 5 within
  48 hours of her message, 3 within 1 minute of a menu click, follow or scan
  (45015 outside, 45047 over the quota); 43004 once she has unfollowed;
- template messages (`message/template/send`): registered template ids only
  (40037), every keyword filled and of its type (`thing` at most 20 characters,
  `phrase` at most 5 Chinese characters, `time`, `date`, `amount`, ...: 47003);
- subscribe notices (`message/subscribe/bizsend`): only after a one-off
  subscription of that openid to that template, consumed by the send (43101).

The test tells the fake what the customer did (`customer_did`) and which templates
the account registered; the fake's clock can be moved (`advance`).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

APPID, SECRET = "wx-app", "s"
TOKEN_SECONDS = 7200
OVERLAP_SECONDS = 300
PLAIN_FETCHES_A_DAY = 2000
WINDOWS = {"message": (48 * 3600, 5), "event": (60, 3)}
ERRORS = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40013: "invalid appid",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    42001: "access_token expired",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
    47003: "argument invalid!",
}
OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
TIME = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2}( \d{1,2}:\d{2}(:\d{2})?)?"
    r"|\d{4}年\d{1,2}月\d{1,2}日( \d{1,2}:\d{2})?|\d{1,2}:\d{2})$"
)
DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日)$")
AMOUNT = re.compile(r"^[¥￥$]?\d{1,10}(\.\d{1,2})?元?$")


def valid_value(kind: str, value: str) -> bool:
    """WeChat's rule for one keyword of a category template."""
    if not value:
        return False
    if kind == "thing":
        return len(value) <= 20
    if kind == "name":
        return len(value) <= 10 if HAN.search(value[:1]) else len(value) <= 20
    if kind == "phrase":
        return len(value) <= 5 and bool(HAN.match(value))
    if kind == "time":
        return bool(TIME.match(value))
    if kind == "date":
        return bool(DATE.match(value))
    if kind == "amount":
        return bool(AMOUNT.match(value))
    if kind == "number":
        return len(value) <= 32 and bool(re.match(r"^\d+(\.\d+)?$", value))
    if kind == "character_string":
        return len(value) <= 32 and value.isascii() and " " not in value
    return False


@dataclass
class Window:
    kind: str
    closes: float
    quota: int
    used: int = 0


@dataclass
class State:
    offset: float = 0.0
    plain: dict = field(default_factory=dict)  # token -> expires at
    stable: dict = field(default_factory=dict)
    stable_current: str | None = None
    forced: list = field(default_factory=list)
    fetches: Counter = field(default_factory=Counter)
    windows: dict = field(default_factory=dict)
    unfollowed: set = field(default_factory=set)
    templates: dict = field(default_factory=dict)  # id -> {keyword: type}
    subscribe_templates: dict = field(default_factory=dict)
    grants: Counter = field(default_factory=Counter)  # (openid, template) -> n
    sent: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    failures: list = field(default_factory=list)  # errcodes to answer, one each

    def now(self) -> float:
        return time.time() + self.offset


class FakeWeChatServer:
    """Runs the fake in a thread; `base` is the API base URL to configure."""

    def __init__(self) -> None:
        self.state = State()
        self.lock = threading.Lock()
        fake = self

        class Handler(_Handler):
            server_state = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/"

    # What the test tells the fake
    def customer_did(self, openid: str, kind: str, ago_seconds: float = 0) -> None:
        """She sent a message (`message`) or clicked a menu, followed or scanned
        (`event`) `ago_seconds` ago: her customer-service window opens."""
        with self.lock:
            seconds, quota = WINDOWS[kind]
            closes = self.state.now() - ago_seconds + seconds
            current = self.state.windows.get(openid)
            keep = (
                kind == "event"
                and current is not None
                and current.closes > closes
                and current.used < current.quota
            )
            if not keep:
                self.state.windows[openid] = Window(kind, closes, quota)
            self.state.unfollowed.discard(openid)

    def unfollow(self, openid: str) -> None:
        with self.lock:
            self.state.unfollowed.add(openid)

    def register_template(self, template_id: str, keywords: dict[str, str]) -> None:
        with self.lock:
            self.state.templates[template_id] = dict(keywords)

    def register_subscribe_template(
        self, template_id: str, keywords: dict[str, str]
    ) -> None:
        with self.lock:
            self.state.subscribe_templates[template_id] = dict(keywords)

    def grant_subscription(self, openid: str, template_id: str) -> None:
        """She accepted a one-off subscription to the template (one message)."""
        with self.lock:
            self.state.grants[(openid, template_id)] += 1

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.state.offset += seconds

    def fail_next(self, *errcodes: int) -> None:
        with self.lock:
            self.state.failures.extend(errcodes)

    def reset(self) -> None:
        with self.lock:
            templates = self.state.templates
            subscribe = self.state.subscribe_templates
            self.state = State(templates=templates, subscribe_templates=subscribe)

    # What the test reads back
    @property
    def sent(self) -> list[dict]:
        with self.lock:
            return list(self.state.sent)

    @property
    def refused(self) -> list[dict]:
        with self.lock:
            return list(self.state.refused)

    def fetches(self, kind: str | None = None) -> int:
        with self.lock:
            if kind is None:
                return sum(self.state.fetches.values())
            return self.state.fetches[kind]

    def window_left(self, openid: str) -> int:
        with self.lock:
            window = self.state.windows.get(openid)
            if window is None or window.closes <= self.state.now():
                return 0
            return window.quota - window.used

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server_state: FakeWeChatServer

    def do_GET(self):  # noqa: N802 (http.server API)
        url = urlparse(self.path)
        if not url.path.endswith("/token"):
            return self._error(40001)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self.server_state.lock:
            self._answer(self._plain_token(query))

    def do_POST(self):  # noqa: N802
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return self._error(47001)
        if not isinstance(body, dict):
            return self._error(44002)
        fake = self.server_state
        with fake.lock:
            if url.path.endswith("/stable_token"):
                return self._answer(self._stable_token(body))
            token = parse_qs(url.query).get("access_token", [""])[0]
            refused = self._token_refusal(token)
            if refused is None and fake.state.failures:
                refused = fake.state.failures.pop(0)
            if refused is None:
                refused = self._send(url.path, body)
            if refused:
                fake.state.refused.append({"api": url.path, "errcode": refused, **body})
                return self._error(refused)
            self._answer({"errcode": 0, "errmsg": "ok"})

    # Tokens
    def _credentials(self, given: dict) -> int | None:
        if given.get("appid") != APPID:
            return 40013
        if given.get("secret") != SECRET:
            return 40125
        if given.get("grant_type") != "client_credential":
            return 40001
        return None

    def _plain_token(self, query: dict) -> dict:
        state = self.server_state.state
        refused = self._credentials(query)
        if refused:
            return _errcode(refused)
        if state.fetches["token"] >= PLAIN_FETCHES_A_DAY:
            return _errcode(45009)
        state.fetches["token"] += 1
        now = state.now()
        for old, expires in state.plain.items():
            state.plain[old] = min(expires, now + OVERLAP_SECONDS)
        token = "PLAIN-" + secrets.token_hex(8)
        state.plain[token] = now + TOKEN_SECONDS
        return {"access_token": token, "expires_in": TOKEN_SECONDS}

    def _stable_token(self, body: dict) -> dict:
        state = self.server_state.state
        refused = self._credentials(body)
        if refused:
            return _errcode(refused)
        now = state.now()
        state.fetches["stable_token"] += 1
        current = state.stable_current
        left = state.stable.get(current, 0) - now if current else 0
        if body.get("force_refresh") is True:
            state.forced = [at for at in state.forced if at > now - 86400]
            if len(state.forced) >= 20:
                return _errcode(45009)
            if not state.forced or now - state.forced[-1] >= 30:
                state.forced.append(now)
                if current:
                    state.stable[current] = now
                left = 0
        if left <= OVERLAP_SECONDS:
            current = "STABLE-" + secrets.token_hex(8)
            state.stable[current] = now + TOKEN_SECONDS
            state.stable_current = current
            left = TOKEN_SECONDS
        return {"access_token": current, "expires_in": int(left)}

    def _token_refusal(self, token: str) -> int | None:
        state = self.server_state.state
        expires = state.plain.get(token) or state.stable.get(token)
        if expires is None:
            return 40001
        if expires <= state.now():
            return 42001
        return None

    # Messages
    def _send(self, path: str, body: dict) -> int | None:
        state = self.server_state.state
        openid = body.get("touser")
        if not isinstance(openid, str) or not OPENID.match(openid):
            return 40003
        if path.endswith("/message/custom/send"):
            return self._custom(state, openid, body)
        if path.endswith("/message/template/send"):
            return self._template(state, openid, body)
        if path.endswith("/message/subscribe/bizsend"):
            return self._subscribe(state, openid, body)
        return 40001

    def _custom(self, state: State, openid: str, body: dict) -> int | None:
        if openid in state.unfollowed:
            return 43004
        if body.get("msgtype") != "text" or not (body.get("text") or {}).get("content"):
            return 47001
        window = state.windows.get(openid)
        if window is None or window.closes <= state.now():
            return 45015
        if window.used >= window.quota:
            return 45047
        window.used += 1
        state.sent.append(
            {
                "api": "custom",
                "touser": openid,
                "text": body["text"]["content"],
                "at": state.now(),
            }
        )
        return None

    def _template(self, state: State, openid: str, body: dict) -> int | None:
        keywords = state.templates.get(body.get("template_id"))
        if keywords is None:
            return 40037
        if openid in state.unfollowed:
            return 43004
        refused = _fields_refusal(keywords, body.get("data"))
        if refused:
            return refused
        state.sent.append(_kept("template", openid, body, state))
        return None

    def _subscribe(self, state: State, openid: str, body: dict) -> int | None:
        template = body.get("template_id")
        keywords = state.subscribe_templates.get(template)
        if keywords is None:
            return 40037
        if state.grants[(openid, template)] <= 0:
            return 43101
        refused = _fields_refusal(keywords, body.get("data"))
        if refused:
            return refused
        state.grants[(openid, template)] -= 1
        state.sent.append(_kept("subscribe", openid, body, state))
        return None

    # HTTP
    def _answer(self, data: dict) -> None:
        raw = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _error(self, errcode: int) -> None:
        self._answer(_errcode(errcode))

    def log_message(self, *args):
        pass


def _errcode(errcode: int) -> dict:
    return {"errcode": errcode, "errmsg": ERRORS[errcode]}


def _fields_refusal(keywords: dict, data) -> int | None:
    if not isinstance(data, dict) or set(data) != set(keywords):
        return 47003
    for key, kind in keywords.items():
        item = data[key]
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str) or not valid_value(kind, value):
            return 47003
    return None


def _kept(api: str, openid: str, body: dict, state: State) -> dict:
    return {
        "api": api,
        "touser": openid,
        "template_id": body["template_id"],
        "data": {k: v["value"] for k, v in body["data"].items()},
        "at": state.now(),
    }
