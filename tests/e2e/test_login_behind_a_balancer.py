"""Two console servers behind one balancer (trusted, on loopback): failed logins are
counted per client address the balancer reports, whichever server took them, so a
sprayer is stopped everywhere while a clerk at another address still logs in."""

from __future__ import annotations

import requests

from bot.config import PROJECT_ROOT
from bot.runtime.servers import free_port, start_web_server

SPRAYER = "203.0.113.7"
CLERK = "203.0.113.8"


def attempt(base: str, username: str, password: str, client: str, claimed=None):
    """One login through "the balancer": it appends the address it saw."""
    session = requests.Session()
    session.get(f"{base}/login", timeout=10)
    forwarded = f"{claimed}, {client}" if claimed else client
    return session.post(
        f"{base}/login",
        data={
            "username": username,
            "password": password,
            "csrf": session.cookies["salesbot_login_csrf"],
        },
        headers={"X-Forwarded-For": forwarded},
        allow_redirects=False,
        timeout=10,
    )


def test_a_sprayer_is_stopped_on_every_server_and_nobody_else_is(bot, tmp_path):
    env = {
        **bot.env,
        "SALESBOT_RASA_URL": bot.base_url,
        "SALESBOT_TRUSTED_PROXIES": "127.0.0.1",
    }
    ports = [free_port(), free_port()]
    servers = [
        start_web_server(port, env, tmp_path / f"web{n}.log", PROJECT_ROOT)
        for n, port in enumerate(ports)
    ]
    try:
        for server in servers:
            server.wait_healthy(60)
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for n in range(20):  # unknown accounts: no account lockout, only the address
            answer = attempt(bases[n % 2], f"nobody{n}", "guess", SPRAYER)
            assert answer.status_code == 401
        for base in bases:
            assert attempt(base, "s01c2", "demo1234", SPRAYER).status_code == 429
        # what she writes in the header herself changes nothing
        assert attempt(bases[0], "x", "y", SPRAYER, claimed=CLERK).status_code == 429
        # another clerk behind the same balancer, at her own address
        welcome = attempt(bases[1], "s01c2", "demo1234", CLERK)
        assert welcome.status_code == 302
    finally:
        for server in servers:
            server.stop()
