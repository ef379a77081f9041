"""Start the action server and the Rasa server as child processes, on loopback.

Used by `salesbot run` (and so `make run`) and by the end-to-end tests, so both run
the servers the same way.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"


class ServerFailed(RuntimeError):
    pass


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    health_url: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise ServerFailed(
                    f"{self.name} exited with {code}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.health_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise ServerFailed(
            f"{self.name} not healthy after {timeout:.0f}s:\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 20) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


# Ports handed out below Linux's ephemeral range (32768-60999): a port the kernel
# chose would be free now, but any outgoing connection (to PostgreSQL, to the
# balancer) may take it as its own local port before the server binds it.
_PORTS = range(20000, 32000)
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on, not handed out before by this process."""
    for _ in range(1000):
        port = random.choice(_PORTS)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise OSError("no free port between 20000 and 32000")


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def start_action_server(
    port: int, env: dict[str, str], log_path: Path, cwd: Path
) -> Server:
    process = _spawn(
        [_bin("rasa"), "run", "actions", "--actions", "actions", "--port", str(port)],
        {**env, "SANIC_HOST": LOOPBACK},
        log_path,
        cwd,
    )
    return Server(
        "action server", process, f"http://{LOOPBACK}:{port}/health", log_path
    )


# Rasa's SQL tracker store pools 50 + 100 PostgreSQL connections per server, but it
# queries synchronously on the event loop: one at a time. Two servers could claim
# 300 of PostgreSQL's default 100 connections; 5 + 10 leaves room for the rest.
TRACKER_POOL = {"SQL_POOL_SIZE": "5", "SQL_MAX_OVERFLOW": "10"}


def start_rasa_server(
    model: Path,
    port: int,
    action_port: int,
    env: dict[str, str],
    log_path: Path,
    cwd: Path,
    enable_api: bool = False,
    tracker_url: str | None = None,
) -> Server:
    """The Rasa server; `enable_api` adds Rasa's HTTP API (tests use /model/parse);
    `tracker_url` keeps conversations in Rasa's SQL tracker store there."""
    endpoints = log_path.with_suffix(".endpoints.yml")
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://{LOOPBACK}:{action_port}/webhook"\n'
        "  enable_selective_domain: true\n"
        + (tracker_store_yaml(tracker_url) if tracker_url else "")
        + (lock_store_yaml(tracker_url) if tracker_url else ""),
        encoding="utf-8",
    )
    argv = [
        _bin("rasa"),
        "run",
        "-m",
        str(model),
        "-i",
        LOOPBACK,
        "-p",
        str(port),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(cwd / "credentials.yml"),
    ]
    if enable_api:
        argv.append("--enable-api")
    process = _spawn(argv, {**TRACKER_POOL, **env}, log_path, cwd)
    return Server(
        "rasa server", process, f"http://{LOOPBACK}:{port}/webhooks/rest/", log_path
    )


@contextmanager
def serving(model: Path, env: dict[str, str], logs: Path, cwd: Path) -> Iterator[int]:
    """Both servers on free loopback ports, healthy, conversations in a SQLite
    tracker store under `logs` as `salesbot run` keeps them; yields the Rasa
    server's port."""
    action_port, rasa_port = free_port(), free_port()
    actions = start_action_server(action_port, env, logs / "actions.log", cwd)
    rasa = start_rasa_server(
        model,
        rasa_port,
        action_port,
        env,
        logs / "rasa.log",
        cwd,
        tracker_url=f"sqlite:///{logs / 'tracker.db'}",
    )
    try:
        actions.wait_healthy(180)
        rasa.wait_healthy(300)
        yield rasa_port
    finally:
        rasa.stop()
        actions.stop()


def start_web_server(
    port: int, env: dict[str, str], log_path: Path, cwd: Path
) -> Server:
    """The consoles (`salesbot web`); env needs SALESBOT_CONSOLE_SECRET and
    SALESBOT_RASA_URL."""
    process = _spawn([_bin("salesbot"), "web", "--port", str(port)], env, log_path, cwd)
    return Server("consoles", process, f"http://{LOOPBACK}:{port}/health", log_path)


STORE_CLASS = "bot.runtime.tracker_store.SummarizingTrackerStore"


def tracker_store_yaml(url: str) -> str:
    """Tracker store settings for a SQLAlchemy URL (SQLite or PostgreSQL): Rasa's
    SQL tracker store, which also keeps the conversation summaries."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    lines = [
        "tracker_store:",
        f"  type: {STORE_CLASS}",
        f"  dialect: {parsed.get_backend_name()}",
    ]
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        lines.append(f'  db: "{parsed.database}"')
    else:
        lines += [
            f'  url: "{parsed.host or "127.0.0.1"}"',
            f"  port: {parsed.port or 5432}",
        ]
        lines.append(f'  db: "{parsed.database}"')
        if parsed.username:
            lines.append(f'  username: "{parsed.username}"')
        if parsed.password:
            lines.append(f'  password: "{parsed.password}"')
    return "\n".join(lines) + "\n"


LOCK_CLASS = "bot.runtime.lock_store.AdvisoryLockStore"


def lock_store_yaml(url: str) -> str:
    """On PostgreSQL, the lock store that keeps one conversation on one server
    at a time, whichever server gets it (bot/runtime/lock_store.py); SQLite
    serves one Rasa server, whose in-memory lock store suffices."""
    from sqlalchemy.engine import make_url

    if make_url(url).get_backend_name() != "postgresql":
        return ""
    return f'lock_store:\n  type: {LOCK_CLASS}\n  url: "{url}"\n'


def _spawn(
    argv: list[str], env: dict[str, str], log_path: Path, cwd: Path
) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
