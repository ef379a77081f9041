"""The balancer's configuration is one Debian's HAProxy accepts, and routes as
described (sticky by sender for the Rasa servers, health-checked everywhere),
and its statistics tell which servers it does not route to."""

import http.server
import subprocess
import threading
import time
import urllib.request

import pytest

from bot.runtime.cluster import (
    HAPROXY,
    Fronts,
    check_config,
    haproxy_config,
    servers_down,
    statistics_rows,
)
from bot.runtime.servers import LOOPBACK, free_port

pytestmark = pytest.mark.skipif(not HAPROXY.exists(), reason="no HAProxy")


def test_haproxy_accepts_the_configuration(tmp_path):
    text = haproxy_config(Fronts(15005, 15055, 18080, 18404), [1, 2], [3, 4], [5, 6])
    path = tmp_path / "haproxy.cfg"
    path.write_text(text, encoding="utf-8")
    assert check_config(path) is None
    assert "balance hdr(X-Salesbot-Sender)" in text and "hash-type consistent" in text
    assert text.count(" check inter 1s") == 6


def test_a_broken_configuration_is_reported(tmp_path):
    path = tmp_path / "broken.cfg"
    path.write_text("frontend x\n    bind 127.0.0.1:notaport\n", encoding="utf-8")
    assert "notaport" in (check_config(path) or "")


class _Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_the_balancer_reports_which_servers_it_does_not_route_to(tmp_path):
    live = http.server.ThreadingHTTPServer((LOOPBACK, 0), _Healthy)
    threading.Thread(target=live.serve_forever, daemon=True).start()
    up, dead = live.server_address[1], free_port()
    fronts = Fronts(free_port(), free_port(), free_port(), free_port())
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config(fronts, [up, dead], [up], [up]), encoding="utf-8")
    balancer = subprocess.Popen(
        [str(HAPROXY), "-db", "-f", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{LOOPBACK}:{fronts.stats}/stats;csv"
    try:
        deadline = time.monotonic() + 30
        down: list[str] = []
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    page = answer.read().decode("utf-8")
            except OSError:
                page = ""
            down = servers_down(statistics_rows(page)) if page else []
            if down == ["rasa/rasa2"]:
                break
            time.sleep(0.5)
        assert down == ["rasa/rasa2"]
    finally:
        balancer.terminate()
        balancer.wait(10)
        live.shutdown()
        live.server_close()
