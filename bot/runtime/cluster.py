"""A cluster on one machine: two Rasa servers, two action servers and two console
servers on PostgreSQL, behind Debian's HAProxy, with the care dispatcher.

HAProxy routes each conversation to one Rasa server, by its sender: WeChat's
`openid` query parameter, else the `sender` of the JSON body (the REST and console
channels), hashed consistently, so a conversation stays on its server while that
server is up. A server that fails three health checks in a row (one a second) is
taken out and its conversations move to the other, which reads them from the shared
tracker store; the advisory lock store (bot/runtime/lock_store.py) keeps one turn
of a conversation on one server at a time, whatever the routing does. Action and
console servers hold no conversation state: any of them takes any request.
"""

from __future__ import annotations

import csv
import io
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.runtime.servers import (
    LOOPBACK,
    Server,
    ServerFailed,
    _spawn,
    free_port,
    start_action_server,
    start_rasa_server,
    start_web_server,
)

HAPROXY = Path("/usr/sbin/haproxy")
REPLICAS = 2


@dataclass(frozen=True)
class Fronts:
    """The balancer's ports: what clients, WeChat and the tablets use."""

    rasa: int = 5005
    actions: int = 5055
    consoles: int = 8080
    stats: int = 8404


@dataclass(frozen=True)
class Gate:
    """A TCP pass-through in HAProxy to a service the servers use (PostgreSQL,
    Redis): the servers connect to `port`, HAProxy forwards to `target`. The fault
    benchmark closes a gate to take the service away from every server at once."""

    name: str
    port: int
    target: int


@dataclass
class Cluster:
    fronts: Fronts
    rasa: list[Server]
    actions: list[Server]
    consoles: list[Server]
    balancer: Server
    admin_socket: Path
    servers: list[Server] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.servers = [*self.actions, *self.rasa, *self.consoles, self.balancer]

    def admin(self, command: str) -> str:
        """One command to HAProxy's runtime API (its admin socket)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(5)
            conn.connect(str(self.admin_socket))
            conn.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", "replace")

    def close_gate(self, name: str) -> None:
        """Connections to the gate's service fail, open ones are cut."""
        self.admin(f"set server {name}/{name} state maint")
        self.admin(f"shutdown sessions server {name}/{name}")

    def open_gate(self, name: str) -> None:
        self.admin(f"set server {name}/{name} state ready")

    def wait_healthy(self, timeout: float = 300) -> None:
        """Every server answers its own health check, and the balancer has seen
        each of them up: before that, HAProxy hashes conversations over the
        servers it has seen so far, and moves them when the others come up."""
        deadline = time.monotonic() + timeout
        for server in self.servers:
            server.wait_healthy(timeout)
        while (down := self.down_at_balancer()) and time.monotonic() < deadline:
            time.sleep(0.5)
        if down:
            raise ServerFailed(f"HAProxy still sees {', '.join(down)} down")

    def statistics(self) -> list[dict[str, str]]:
        """HAProxy's statistics now, a row per frontend, backend and server."""
        url = f"http://{LOOPBACK}:{self.fronts.stats}/stats;csv"
        with urllib.request.urlopen(url, timeout=5) as response:
            return statistics_rows(response.read().decode("utf-8"))

    def down_at_balancer(self) -> list[str]:
        """The backend servers HAProxy does not route to now."""
        return servers_down(self.statistics())

    def stopped(self) -> list[Server]:
        return [s for s in self.servers if s.process.poll() is not None]

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


def statistics_rows(stats_csv: str) -> list[dict[str, str]]:
    """HAProxy's CSV statistics (`/stats;csv`), a dict per row."""
    return list(csv.DictReader(io.StringIO(stats_csv.lstrip("# "))))


def servers_down(rows: list[dict[str, str]]) -> list[str]:
    """`backend/server` of every server not UP in HAProxy's statistics (one
    without health checks, such as a gate, counts as up: "no check")."""
    return [
        f"{row['pxname']}/{row['svname']}"
        for row in rows
        if row["svname"] not in ("FRONTEND", "BACKEND")
        and not row["status"].startswith(("UP", "no check"))
    ]


def haproxy_config(
    fronts: Fronts,
    rasa: list[int],
    actions: list[int],
    consoles: list[int],
    admin_socket: Path | None = None,
    gates: tuple[Gate, ...] = (),
) -> str:
    """HAProxy 2.6 configuration for the servers on these loopback ports."""

    def servers(name: str, ports: list[int]) -> str:
        return "\n".join(
            f"    server {name}{n} {LOOPBACK}:{port} check inter 1s fall 3 rise 2"
            for n, port in enumerate(ports, start=1)
        )

    def round_robin(name: str, front: int, ports: list[int], options: str = ""):
        """A frontend and its stateless, health-checked backend."""
        return (
            f"frontend {name}\n    bind {LOOPBACK}:{front}\n{options}"
            f"    default_backend {name}\n\n"
            f"backend {name}\n    balance roundrobin\n"
            "    option httpchk GET /health\n    http-check expect status 200\n"
            f"{servers(name, ports)}\n"
        )

    forwardfor = "    option forwardfor\n"  # the client's address, for the throttle
    admin = (
        f"    stats socket {admin_socket} mode 600 level admin\n"
        if admin_socket
        else ""
    )
    tcp = "".join(
        f"\nlisten {g.name}\n    mode tcp\n    bind {LOOPBACK}:{g.port}\n"
        f"    timeout client 1h\n    timeout server 1h\n"
        f"    server {g.name} {LOOPBACK}:{g.target}\n"
        for g in gates
    )
    return f"""global
    maxconn 4000
{admin}    # the REST and console bodies (at most 16 KiB) are read whole for the sender
    tune.bufsize 32768

defaults
    mode http
    timeout connect 2s
    # a Rasa server busy with a turn answers its health check late, not never
    timeout check 3s
    timeout client 330s
    timeout server 330s
    # the tablets' live-update streams stay open
    timeout tunnel 1h
    option redispatch
    retries 2

frontend rasa
    bind {LOOPBACK}:{fronts.rasa}
    option http-buffer-request
    acl wechat path_beg /webhooks/wechat/
    http-request set-var(txn.sender) url_param(openid) if wechat
    http-request set-var(txn.sender) req.body,json_query('$.sender') if !wechat
    http-request set-header X-Salesbot-Sender %[var(txn.sender)]
    default_backend rasa

backend rasa
    balance hdr(X-Salesbot-Sender)
    hash-type consistent
    # a turn is never sent over an idle connection to a server that may have died
    # since: a new connection to a dead server is refused, and retried elsewhere
    http-reuse never
    option httpchk GET /
    http-check expect status 200
{servers("rasa", rasa)}

{round_robin("actions", fronts.actions, actions)}
{round_robin("consoles", fronts.consoles, consoles, forwardfor)}
frontend stats
    bind {LOOPBACK}:{fronts.stats}
    stats enable
    stats uri /stats
    stats refresh 5s
{tcp}"""


def start_cluster(
    model: Path,
    env: dict[str, str],
    logs: Path,
    cwd: Path,
    fronts: Fronts | None = None,
    replicas: int = REPLICAS,
    gates: tuple[Gate, ...] = (),
) -> Cluster:
    """Start every server (not waiting for them): `env` needs DATABASE_URL and
    SALESBOT_TRACKER_URL on PostgreSQL, and SALESBOT_CONSOLE_SECRET. `replicas` of
    each kind; `gates` put PostgreSQL or Redis behind HAProxy (point the URLs in
    `env` at the gates' ports)."""
    if not HAPROXY.exists():
        raise FileNotFoundError(
            f"no HAProxy at {HAPROXY}: `make run-cluster` installs it"
        )
    fronts = fronts or Fronts()
    tracker = env["SALESBOT_TRACKER_URL"]
    action_ports = [free_port() for _ in range(replicas)]
    rasa_ports = [free_port() for _ in range(replicas)]
    console_ports = [free_port() for _ in range(replicas)]
    actions = [
        start_action_server(port, env, logs / f"actions-{n}.log", cwd)
        for n, port in enumerate(action_ports, start=1)
    ]
    rasa = [
        start_rasa_server(
            model,
            port,
            fronts.actions,  # each Rasa server calls the action servers' balancer
            env,
            logs / f"rasa-{n}.log",
            cwd,
            tracker_url=tracker,
        )
        for n, port in enumerate(rasa_ports, start=1)
    ]
    console_env = {
        **env,
        "SALESBOT_RASA_URL": f"http://{LOOPBACK}:{fronts.rasa}",
        "SALESBOT_TRUSTED_PROXIES": LOOPBACK,
    }
    consoles = [
        start_web_server(port, console_env, logs / f"web-{n}.log", cwd)
        for n, port in enumerate(console_ports, start=1)
    ]
    config = logs / "haproxy.cfg"
    config.parent.mkdir(parents=True, exist_ok=True)
    admin_socket = logs / "haproxy.sock"
    config.write_text(
        haproxy_config(
            fronts, rasa_ports, action_ports, console_ports, admin_socket, gates
        ),
        encoding="utf-8",
    )
    process = _spawn(
        [str(HAPROXY), "-db", "-f", str(config)], {}, logs / "haproxy.log", cwd
    )
    balancer = Server(
        "haproxy",
        process,
        f"http://{LOOPBACK}:{fronts.stats}/stats",
        logs / "haproxy.log",
    )
    return Cluster(fronts, rasa, actions, consoles, balancer, admin_socket)


def check_config(config: Path) -> str | None:
    """HAProxy's own check of a configuration file: None when valid, else why."""
    done = subprocess.run(
        [str(HAPROXY), "-c", "-f", str(config)], capture_output=True, text=True
    )
    return None if done.returncode == 0 else (done.stdout + done.stderr).strip()
