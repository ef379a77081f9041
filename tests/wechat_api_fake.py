"""A local server speaking WeChat's outbound API (access token and customer-service
messages) over real HTTP on loopback: what wechatpy sends is checked and kept."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

APPID, SECRET = "wx-app", "s"


class FakeWeChat(BaseHTTPRequestHandler):
    sent: list = []
    tokens: list = []
    failures: list = []  # errcodes to answer with, one per request

    def do_GET(self):  # noqa: N802 (http.server API)
        query = parse_qs(urlparse(self.path).query)
        good = query.get("secret") == [SECRET]
        if urlparse(self.path).path.endswith("/token") and good:
            self.tokens.append(query["appid"][0])
            self._json({"access_token": "TOKEN", "expires_in": 7200})
        else:
            self._json({"errcode": 40001, "errmsg": "invalid credential"})

    def do_POST(self):  # noqa: N802
        url = urlparse(self.path)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if parse_qs(url.query).get("access_token") != ["TOKEN"]:
            return self._json({"errcode": 40014, "errmsg": "invalid access_token"})
        if self.failures:
            code = self.failures.pop(0)
            return self._json({"errcode": code, "errmsg": f"error {code}"})
        if body["touser"] == "blocked":
            return self._json({"errcode": 43004, "errmsg": "require subscribe"})
        self.sent.append((url.path, body["touser"], body["text"]["content"]))
        self._json({"errcode": 0, "errmsg": "ok"})

    def _json(self, data):
        raw = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


class FakeWeChatServer:
    """Runs FakeWeChat in a thread; `base` is the API base URL to configure."""

    def __init__(self) -> None:
        FakeWeChat.sent, FakeWeChat.tokens, FakeWeChat.failures = [], [], []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWeChat)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/"

    @property
    def sent(self) -> list:
        return FakeWeChat.sent

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
