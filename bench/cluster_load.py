"""The cluster under load and faults: 1 against 2 replicas, a soak, and faults while
clerks chat.

    python -m bench.cluster_load [--parts replicas,soak,faults] [--customers 2000]
        [--soak-users 50] [--soak-minutes 5] [--saturation-users 8]

Each part starts its own cluster (bot/runtime/cluster.py: Rasa, action and console
servers behind HAProxy) on fresh PostgreSQL databases of the local server, with
PostgreSQL and Redis reached through HAProxy "gates" that the fault part closes.
Clerks chat as in bench/chatter.py (lookup, segment, recommend, again).

- replicas: the same closed loop (`--saturation-users` clerks, no think time, a new
  conversation per customer) on a cluster of one replica of each server and on one
  of two: turns per second, latency, and CPU per turn of each kind of process; the
  baseline is the single replica.
- soak: `--soak-users` clerks with a 2 s think time for `--soak-minutes`, a new
  conversation per customer as the tablet starts one (`--soak-one-conversation`:
  one per clerk for the whole run): per minute the turns, polite errors, lost turns,
  p50/p95, the resident memory of every process, the rows of the tracker's event
  table and PostgreSQL's open connections.
- faults: 12 clerks with a 1 s think time; for each fault, 15 s of normal chat, the
  fault (PostgreSQL's gate closed for 20 s; Redis's gate closed for 20 s, with a
  console login every second; kill -9 of an action server; kill -9 of a Rasa
  server), then 25 s more: turns by outcome before, during and after, the time from
  the fault's end to the last failed turn, and the tracker checked with SQL (every
  conversation's stored messages are the ones sent, in order, none twice, none of
  the answered ones missing).

Tables are printed; charts go to var/bench/cluster-*.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.chatter import Chatter, Turn, is_subsequence, senders
from bench.load import demo_phones, quantiles
from bot.config import PROJECT_ROOT
from bot.db.create import drop_database, ensure_database
from bot.db.engine import make_engine
from bot.runtime.cluster import Cluster, Fronts, Gate, start_cluster
from bot.runtime.demo import demo_steps, run_steps
from bot.runtime.servers import free_port

BENCH = PROJECT_ROOT / "var" / "bench"
MODEL = PROJECT_ROOT / "models" / "salesbot.tar.gz"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
REDIS_PORT = 6379
FAULTS = ("postgres", "redis", "action server", "rasa server")
FAULT_LABELS = {
    "postgres": "PostgreSQL 拒绝连接 20 秒",
    "redis": "Redis 中断 20 秒",
    "action server": "kill -9 一个动作服务器",
    "rasa server": "kill -9 一个 Rasa 服务器",
}


@dataclass
class Bench:
    """A running cluster and what the benchmark needs to reach behind it."""

    cluster: Cluster
    tracker_url: str  # straight to PostgreSQL, for the checks
    phones: list[str]

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.cluster.fronts.rasa}/webhooks/rest/webhook"


@contextmanager
def bench_cluster(
    logs: Path, customers: int, replicas: int = 2, model: Path = MODEL
) -> Iterator[Bench]:
    """A cluster on fresh databases (dropped afterwards) with demo data, PostgreSQL
    and Redis behind gates."""
    suffix = uuid.uuid4().hex[:8]
    database = f"{PG_SERVER}/salesbot_bench_{suffix}"
    tracker = f"{PG_SERVER}/salesbot_bench_tracker_{suffix}"
    for url in (database, tracker):
        ensure_database(url)
    try:
        pg_gate, redis_gate = (
            Gate("postgres", free_port(), 5432),
            Gate("redis", free_port(), REDIS_PORT),
        )
        direct = {
            "DATABASE_URL": database,
            "SALESBOT_MODEL_DIR": str(logs / "models"),
            "SALESBOT_CONSOLE_SECRET": "bench",
            "SALESBOT_TZ": "Asia/Shanghai",
        }
        run_steps(demo_steps(customers, "2026-11-20"), direct, PROJECT_ROOT)
        env = {
            **direct,
            "DATABASE_URL": _via(database, pg_gate.port),
            "SALESBOT_TRACKER_URL": _via(tracker, pg_gate.port),
            "SALESBOT_REDIS_URL": f"redis://127.0.0.1:{redis_gate.port}/14",
        }
        fronts = Fronts(free_port(), free_port(), free_port(), free_port())
        cluster = start_cluster(
            model, env, logs, PROJECT_ROOT, fronts, replicas, (pg_gate, redis_gate)
        )
        try:
            cluster.wait_healthy(300)
            yield Bench(cluster, tracker, demo_phones(database))
        finally:
            cluster.stop()
    finally:
        for url in (database, tracker):
            drop_database(url)


def _via(url: str, port: int) -> str:
    return make_url(url).set(port=port).render_as_string(hide_password=False)


def counts(turns: list[Turn]) -> dict[str, int]:
    return {k: sum(t.outcome == k for t in turns) for k in ("ok", "polite", "lost")}


# -- the tracker, read back with SQL of its own ------------------------------------


@dataclass
class TrackerCheck:
    conversations: int
    stored: int
    answered: int
    out_of_order: list[str]  # senders whose stored messages are not as sent
    missing: list[str]  # senders with fewer stored messages than answered turns

    @property
    def good(self) -> bool:
        return not self.out_of_order and not self.missing


def check_tracker(tracker_url: str, turns: list[Turn]) -> TrackerCheck:
    sent = senders(turns)
    answered = {s: 0 for s in sent}
    for turn in turns:
        answered[turn.sender] += turn.outcome == "ok"
    engine = make_engine(tracker_url)
    out_of_order, missing, stored_total = [], [], 0
    with engine.connect() as conn:
        for sender, messages in sent.items():
            stored = list(
                conn.execute(
                    text(
                        "SELECT data FROM events WHERE sender_id = :sender "
                        "AND type_name = 'user' ORDER BY id"
                    ),
                    {"sender": sender},
                ).scalars()
            )
            texts = [_user_text(row) for row in stored]
            stored_total += len(texts)
            if not is_subsequence(texts, messages):
                out_of_order.append(sender)
            if len(texts) < answered[sender]:
                missing.append(sender)
    engine.dispose()
    return TrackerCheck(
        len(sent), stored_total, sum(answered.values()), out_of_order, missing
    )


def _user_text(data: str) -> str:
    return json.loads(data).get("text", "")


def tracker_size(tracker_url: str) -> tuple[int, int]:
    """Rows of the tracker's event table, and the connections PostgreSQL has open
    to the bench's databases (this one's excluded)."""
    engine = make_engine(tracker_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
        connections = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE "
                "'salesbot_bench_%' AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    return rows, connections


# -- faults -------------------------------------------------------------------------


@dataclass
class FaultRun:
    fault: str
    start: float  # seconds into the run
    end: float  # the fault's end (a kill ends when it happens)
    turns: list[Turn]
    logins: list[tuple[float, bool]] = field(default_factory=list)
    tracker: TrackerCheck | None = None

    def before(self) -> list[Turn]:
        return [t for t in self.turns if t.done < self.start]

    def during(self) -> list[Turn]:
        return [t for t in self.turns if t.done >= self.start and t.sent < self.end]

    def after(self) -> list[Turn]:
        return [t for t in self.turns if t.sent >= self.end]

    def recovery(self) -> float:
        """Seconds from the fault's end to the answer of the last failed turn."""
        failed = [t.done for t in self.turns if t.outcome != "ok" and t.done > self.end]
        return max(failed) - self.end if failed else 0.0

    def logins_failed(self) -> int:
        return sum(not ok for _, ok in self.logins)


async def fault_run(
    bench: Bench,
    fault: str,
    users: int,
    think: float,
    before: float,
    length: float,
    after: float,
) -> FaultRun:
    """Clerks chat for before + length + after seconds; the fault starts after
    `before` and (for a gate) lasts `length`; a kill happens at `before`."""
    chatter = Chatter(bench.webhook, bench.phones, users, think, seed=len(fault))
    total = before + length + after
    logins: list[tuple[float, bool]] = []
    run = FaultRun(fault, before, before, [], logins)
    tasks = [asyncio.create_task(chatter.run(total))]
    if fault == "redis":
        tasks.append(
            asyncio.create_task(_login_every_second(bench, chatter, total, logins))
        )
    await asyncio.sleep(before)
    run.start = chatter.now()
    cluster = bench.cluster
    if fault in ("postgres", "redis"):
        await asyncio.to_thread(cluster.close_gate, fault)
        await asyncio.sleep(length)
        await asyncio.to_thread(cluster.open_gate, fault)
    else:
        victim = (cluster.actions if fault == "action server" else cluster.rasa)[0]
        os.killpg(victim.process.pid, signal.SIGKILL)
        # the kill has ended once the process is gone: until then (tens of ms for a
        # Rasa server's gigabyte) its port may still take a connection and drop it
        await asyncio.to_thread(victim.process.wait, 10)
    run.end = chatter.now()
    await asyncio.gather(*tasks)
    run.turns = chatter.turns
    run.tracker = await asyncio.to_thread(check_tracker, bench.tracker_url, run.turns)
    return run


async def _login_every_second(bench: Bench, chatter: Chatter, seconds: float, found):
    """A clerk logging in to the console once a second (the login throttle is in
    Redis): (seconds into the run, logged in)."""
    base = f"http://127.0.0.1:{bench.cluster.fronts.consoles}"
    deadline = chatter.now() + seconds
    timeout = aiohttp.ClientTimeout(total=30)
    while chatter.now() < deadline:
        sent = chatter.now()
        ok = False
        try:
            jar = aiohttp.CookieJar(unsafe=True)  # cookies of an IP address
            async with aiohttp.ClientSession(timeout=timeout, cookie_jar=jar) as web:
                async with web.get(f"{base}/login") as page:
                    await page.read()
                csrf = web.cookie_jar.filter_cookies(base).get("salesbot_login_csrf")
                form = {
                    "username": "s01c1",
                    "password": "demo1234",
                    "csrf": csrf.value if csrf else "",
                }
                async with web.post(
                    f"{base}/login", data=form, allow_redirects=False
                ) as answer:
                    ok = answer.status == 302
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        found.append((sent, ok))
        await asyncio.sleep(1)


def print_faults(runs: list[FaultRun]) -> None:
    print("\nfaults while 12 clerks chat (turns by outcome: answered/polite/lost)")
    print(
        f"{'fault':14} {'before':>12} {'during':>12} {'after':>12} "
        f"{'recover s':>9} {'tracker':>8} {'logins failed':>13}"
    )
    for run in runs:
        parts = [
            "/".join(str(v) for v in counts(turns).values())
            for turns in (run.before(), run.during(), run.after())
        ]
        tracker = "ok" if run.tracker and run.tracker.good else "WRONG"
        logins = f"{run.logins_failed()}/{len(run.logins)}" if run.logins else "-"
        print(
            f"{run.fault:14} {parts[0]:>12} {parts[1]:>12} {parts[2]:>12} "
            f"{run.recovery():9.1f} {tracker:>8} {logins:>13}"
        )


# -- replicas and soak ----------------------------------------------------------------


@dataclass
class Saturation:
    replicas: int
    turns: list[Turn]
    seconds: float
    cpu: dict[str, float]  # CPU seconds used during the run, per kind of process

    def rate(self) -> float:
        return sum(t.outcome == "ok" for t in self.turns) / self.seconds

    def cpu_ms_per_turn(self) -> dict[str, float]:
        answered = max(1, sum(t.outcome == "ok" for t in self.turns))
        return {kind: 1000 * used / answered for kind, used in self.cpu.items()}


def cpu_by_kind(cluster: Cluster) -> dict[str, float]:
    """CPU seconds (user + system) so far of each kind of server, their children
    included, of PostgreSQL's processes, and of this process (the clerks)."""
    import psutil

    def used(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    found: dict[str, float] = {}
    for server in cluster.servers:
        total = _over_tree(server, used)
        found[server.name] = found.get(server.name, 0.0) + total
    found["postgresql"] = sum(
        used(p)
        for p in psutil.process_iter(["name"])
        if (p.info["name"] or "").startswith("postgres")
    )
    found["clerks (this bench)"] = used(psutil.Process())
    return found


async def saturate(bench: Bench, replicas: int, users: int, seconds: float):
    warm = Chatter(bench.webhook, bench.phones, users, 0.0, seed=1)
    await warm.run(5)
    chatter = Chatter(
        bench.webhook, bench.phones, users, 0.0, seed=2, per_customer=True
    )
    before = cpu_by_kind(bench.cluster)
    started = time.monotonic()
    turns = await chatter.run(seconds)
    elapsed = time.monotonic() - started
    after = cpu_by_kind(bench.cluster)
    cpu = {kind: after[kind] - before.get(kind, 0.0) for kind in after}
    return Saturation(replicas, turns, elapsed, cpu)


def print_saturation(runs: list[Saturation], users: int) -> None:
    base = runs[0]
    print(f"\n{users} clerks, no think time (baseline: 1 replica)")
    print(
        f"{'replicas':>8} {'turns':>6} {'lost':>5} {'turns/s':>8} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'p99 ms':>7} {'rate x':>6}"
    )
    for run in runs:
        p50, p95, p99 = quantiles([t.ms for t in run.turns])
        print(
            f"{run.replicas:8} {len(run.turns):6} {counts(run.turns)['lost']:5} "
            f"{run.rate():8.1f} {p50:7.0f} {p95:7.0f} {p99:7.0f} "
            f"{run.rate() / base.rate():6.2f}"
        )
    print("CPU ms per answered turn, by process kind (2 cores = 2000 ms per second)")
    kinds = list(runs[0].cpu)
    print(f"{'replicas':>8} " + " ".join(f"{k[:19]:>19}" for k in kinds))
    for run in runs:
        per_turn = run.cpu_ms_per_turn()
        print(f"{run.replicas:8} " + " ".join(f"{per_turn[k]:19.1f}" for k in kinds))


@dataclass
class Minute:
    minute: int
    turns: list[Turn]
    rss: dict[str, float]  # MiB per process
    tracker_rows: int
    connections: int  # PostgreSQL connections to the two databases


def rss_by_process(cluster: Cluster) -> dict[str, float]:
    """Resident memory (MiB) of every server, its child processes included."""
    found: dict[str, float] = {}
    seen: dict[str, int] = {}
    for server in cluster.servers:
        seen[server.name] = seen.get(server.name, 0) + 1
        name = f"{server.name} {seen[server.name]}"
        found[name] = _over_tree(server, lambda p: p.memory_info().rss) / 2**20
    return found


def _over_tree(server, measure) -> float:
    """`measure` summed over the server's process and its children (0 once gone)."""
    import psutil

    try:
        top = psutil.Process(server.process.pid)
        return sum(measure(p) for p in [top, *top.children(recursive=True)])
    except psutil.Error:
        return 0.0


async def soak(
    bench: Bench, users: int, minutes: int, per_customer: bool
) -> list[Minute]:
    chatter = Chatter(
        bench.webhook, bench.phones, users, 2.0, seed=3, per_customer=per_customer
    )
    task = asyncio.create_task(chatter.run(minutes * 60))
    samples = []
    for minute in range(1, minutes + 1):
        await asyncio.sleep(max(0.0, minute * 60 - chatter.now()))
        rss = await asyncio.to_thread(rss_by_process, bench.cluster)
        rows, connections = await asyncio.to_thread(tracker_size, bench.tracker_url)
        samples.append((minute, rss, rows, connections))
        print(f"soak minute {minute}/{minutes}: {len(chatter.turns)} turns", flush=True)
    turns = await task
    return [
        Minute(m, [t for t in turns if m - 1 <= t.sent / 60 < m], rss, rows, conns)
        for m, rss, rows, conns in samples
    ]


def print_soak(minutes: list[Minute], users: int, per_customer: bool) -> None:
    each = "a new conversation per customer" if per_customer else "one conversation"
    print(f"\nsoak: {users} clerks, think time 2 s, {each} (baseline: minute 1)")
    names = list(minutes[0].rss)
    print(
        f"{'minute':>6} {'turns':>6} {'polite':>6} {'lost':>5} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'events':>7} {'pg conns':>8} "
        + " ".join(f"{n[:14]:>14}" for n in names)
    )
    for m in minutes:
        c = counts(m.turns)
        p50, p95, _ = quantiles([t.ms for t in m.turns])
        print(
            f"{m.minute:6} {len(m.turns):6} {c['polite']:6} {c['lost']:5} {p50:7.0f} "
            f"{p95:7.0f} {m.tracker_rows:7} {m.connections:8} "
            + " ".join(f"{m.rss[n]:13.0f}M" for n in names)
        )


# -- charts ---------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bot.reports.fonts import use_cjk_font

    use_cjk_font(plt)
    return plt


def chart_faults(runs: list[FaultRun], path: Path) -> None:
    plt = _pyplot()
    fig, axes = plt.subplots(len(runs), 1, figsize=(9, 2.4 * len(runs)), sharex=True)
    colours = {"ok": "tab:blue", "polite": "tab:orange", "lost": "tab:red"}
    names = {"ok": "正常回复", "polite": "礼貌的出错提示", "lost": "丢失（无回复）"}
    axes_list = list(axes) if len(runs) > 1 else [axes]
    for ax, run in zip(axes_list, runs, strict=True):
        ax.axvspan(run.start, max(run.end, run.start + 0.3), color="0.85")
        for kind, colour in colours.items():
            points = [t for t in run.turns if t.outcome == kind]
            ax.scatter(
                [t.sent for t in points],
                [t.ms for t in points],
                s=6,
                color=colour,
                label=names[kind],
            )
        ax.set_title(FAULT_LABELS[run.fault], fontsize=10)
        ax.set_ylabel("耗时（毫秒）")
        ax.set_yscale("log")
    axes_list[0].legend(loc="upper right", fontsize=8)
    axes_list[-1].set_xlabel("开始后的秒数（灰色：故障期间）")
    fig.tight_layout()
    _save(fig, plt, path)


def chart_soak(minutes: list[Minute], path: Path, per_customer: bool) -> None:
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    xs = [m.minute for m in minutes]
    left.plot(xs, [quantiles([t.ms for t in m.turns])[0] for m in minutes], label="p50")
    left.plot(xs, [quantiles([t.ms for t in m.turns])[1] for m in minutes], label="p95")
    left.set_xlabel("分钟")
    left.set_ylabel("每轮回复耗时（毫秒）")
    left.legend()
    for name in minutes[0].rss:
        right.plot(xs, [m.rss[name] for m in minutes], label=_process_label(name))
    right.set_xlabel("分钟")
    right.set_ylabel("常驻内存（MiB）")
    right.legend(fontsize=7)
    each = "每位顾客一个新对话" if per_customer else "每位店员一直用一个对话"
    fig.suptitle(f"长时间负载（{each}）：每分钟的耗时与各进程内存")
    fig.tight_layout()
    _save(fig, plt, path)


def chart_saturation(runs: list[Saturation], path: Path) -> None:
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.5))
    labels = [f"{r.replicas} 个副本" for r in runs]
    left.bar(labels, [r.rate() for r in runs])
    left.set_ylabel("每秒回复轮数")
    right.bar(labels, [quantiles([t.ms for t in r.turns])[1] for r in runs])
    right.set_ylabel("p95 耗时（毫秒）")
    fig.suptitle("满负荷：1 个与 2 个副本")
    fig.tight_layout()
    _save(fig, plt, path)


def _process_label(name: str) -> str:
    kind, _, number = name.rpartition(" ")
    return {
        "rasa server": "Rasa 服务器",
        "action server": "动作服务器",
        "consoles": "控制台",
        "haproxy": "HAProxy",
    }.get(kind, kind) + f" {number}"


def _save(fig, plt, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"chart: {path}")


# -- the command ----------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="replicas,soak,faults")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--saturation-users", type=int, default=8)
    parser.add_argument("--saturation-seconds", type=float, default=60.0)
    parser.add_argument("--soak-users", type=int, default=50)
    parser.add_argument("--soak-minutes", type=int, default=5)
    parser.add_argument(
        "--soak-one-conversation",
        dest="soak_per_customer",
        action="store_false",
        help="each clerk keeps one conversation (default: one per customer)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    parts = set(args.parts.split(","))
    logs = BENCH / "cluster-logs"
    if "replicas" in parts:
        runs = []
        for replicas in (1, 2):
            print(f"saturation with {replicas} replica(s) ...", flush=True)
            with bench_cluster(logs / f"r{replicas}", args.customers, replicas) as b:
                runs.append(
                    asyncio.run(
                        saturate(
                            b, replicas, args.saturation_users, args.saturation_seconds
                        )
                    )
                )
        print_saturation(runs, args.saturation_users)
        chart_saturation(runs, BENCH / "cluster-replicas.png")
    if "soak" in parts:
        with bench_cluster(logs / "soak", args.customers) as b:
            minutes = asyncio.run(
                soak(b, args.soak_users, args.soak_minutes, args.soak_per_customer)
            )
        print_soak(minutes, args.soak_users, args.soak_per_customer)
        chart_soak(minutes, BENCH / "cluster-soak.png", args.soak_per_customer)
    if "faults" in parts:
        with bench_cluster(logs / "faults", args.customers) as b:
            fault_runs = []
            for fault in FAULTS:
                print(f"fault: {fault} ...", flush=True)
                fault_runs.append(asyncio.run(fault_run(b, fault, 12, 1.0, 15, 20, 25)))
        print_faults(fault_runs)
        chart_faults(fault_runs, BENCH / "cluster-faults.png")


if __name__ == "__main__":
    main()
