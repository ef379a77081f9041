"""Turn latency under load against a bare Rasa bot served on the same machine.

    python -m bench.load [--users 20] [--think 2.0] [--seconds 30] [--rounds 2]

The baseline is Rasa's own starter bot (`rasa init`: moodbot, trained once under
var/bench/moodbot). It is served by the same Rasa, with no action server and no
database. salesbot is served as `salesbot run` serves it (action server, Rasa server
with the SQL tracker store) on a demo database of 2,000 customers.

A second salesbot Rasa server (with its own action server and tracker database) runs
with SALESBOT_TRACKER_CACHE=0: it reads every turn's tracker from the database, as
Rasa's SQL tracker store does, so the lookup there measures what keeping trackers
between turns saves (bot/runtime/tracker_cache.py).

Phases are interleaved: each round runs moodbot's greeting, then salesbot's greeting,
lookup, lookup on the server that reads every turn, segment and recommend, one after
the other. Each phase runs `--users` conversations at once, each a new sender
waiting `--think` seconds (exponential) between turns. The turns of segment and
recommend come after an untimed lookup, so there is a customer in context.

Printed per kind: turns, errors (not 200 or an empty reply), p50/p95/p99 and turns
per second, and p50/p95 as a ratio to moodbot's; then the lookup's against the
server that reads every turn. The chart goes to var/bench/load.png.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.config import PROJECT_ROOT
from bot.runtime.demo import demo_steps, run_steps
from bot.runtime.servers import (
    Server,
    _spawn,
    free_port,
    start_action_server,
    start_rasa_server,
)

BENCH = PROJECT_ROOT / "var" / "bench"
MODEL = PROJECT_ROOT / "models" / "salesbot.tar.gz"
MOODBOT = BENCH / "moodbot"
UNCACHED = "lookup, no tracker cache"
KINDS = ("moodbot greeting", "greeting", "lookup", UNCACHED, "segment", "recommend")
LABELS = {
    "moodbot greeting": "基准：moodbot 问候",
    "greeting": "问候",
    "lookup": "查顾客",
    UNCACHED: "查顾客（每轮读库）",
    "segment": "客户分类",
    "recommend": "推荐",
}


@dataclass
class Phase:
    kind: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    senders: list[str] = field(default_factory=list)
    seconds: float = 0.0


def main() -> None:
    args = parse_args()
    rasa = shutil.which("rasa", path=str(Path(sys.executable).parent))
    moodbot_model = train_moodbot(rasa)
    database = prepare_demo()
    phones = demo_phones(database)
    logs = BENCH / "load-logs"
    env = {"DATABASE_URL": database, "SALESBOT_CONSOLE_SECRET": "load"}
    mood_port = free_port()
    servers = [start_moodbot(rasa, moodbot_model, mood_port, logs / "moodbot.log")]
    urls = {"moodbot": f"http://127.0.0.1:{mood_port}/webhooks/rest/webhook"}
    for name, cache in (("salesbot", "256"), ("uncached", "0")):
        started, urls[name] = start_salesbot(
            name, {**env, "SALESBOT_TRACKER_CACHE": cache}, logs
        )
        servers += started
    try:
        for server in servers:
            server.wait_healthy(300)
        phases = asyncio.run(run_rounds(urls, phones, args))
    finally:
        for server in servers:
            server.stop()
    report(phases, args)
    chart(phases, BENCH / "load.png", args)


def start_salesbot(name: str, env: dict, logs: Path) -> tuple[list[Server], str]:
    """An action server and a Rasa server on a fresh SQLite tracker; the REST URL."""
    tracker = BENCH / f"load-tracker-{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tracker}{suffix}").unlink(missing_ok=True)
    action_port, rasa_port = free_port(), free_port()
    servers = [
        start_action_server(
            action_port, env, logs / f"actions-{name}.log", PROJECT_ROOT
        ),
        start_rasa_server(
            MODEL,
            rasa_port,
            action_port,
            env,
            logs / f"rasa-{name}.log",
            PROJECT_ROOT,
            tracker_url=f"sqlite:///{tracker}",
        ),
    ]
    return servers, f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=3)
    return parser.parse_args()


def train_moodbot(rasa: str) -> Path:
    """Rasa's starter project, trained once (`rasa init` trains it)."""
    models = MOODBOT / "models"
    found = sorted(models.glob("*.tar.gz")) if models.exists() else []
    if found:
        return found[-1]
    MOODBOT.mkdir(parents=True, exist_ok=True)
    print("training Rasa's starter bot (rasa init) ...", flush=True)
    subprocess.run(
        [rasa, "init", "--no-prompt", "--init-dir", str(MOODBOT)],
        check=True,
        cwd=MOODBOT,
        capture_output=True,
    )
    return sorted(models.glob("*.tar.gz"))[-1]


def start_moodbot(rasa: str, model: Path, port: int, log: Path) -> Server:
    argv = [rasa, "run", "-m", str(model), "-i", "127.0.0.1", "-p", str(port)]
    process = _spawn(argv, {}, log, MOODBOT)
    return Server("moodbot", process, f"http://127.0.0.1:{port}/", log)


def prepare_demo() -> str:
    """The demo retailer (2,000 customers), segmented, with a recommender model."""
    path = BENCH / "load-demo.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        run_steps(demo_steps(), {"DATABASE_URL": url}, PROJECT_ROOT)
    return url


def demo_phones(url: str) -> list[str]:
    from sqlalchemy import select

    from bot.db import tables as t
    from bot.db.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        phones = conn.execute(
            select(t.customers.c.phone).where(t.customers.c.phone.is_not(None))
        ).scalars()
        found = list(phones)
    engine.dispose()
    return found


async def run_rounds(urls: dict[str, str], phones: list[str], args) -> dict:
    rng = random.Random(args.seed)
    phases = {kind: Phase(kind) for kind in KINDS}
    for round_number in range(1, args.rounds + 1):
        for kind in KINDS:
            print(f"round {round_number}/{args.rounds}: {kind} ...", flush=True)
            url = urls[server_of(kind)]
            await run_phase(url, phases[kind], phones, rng, args)
    return phases


def server_of(kind: str) -> str:
    if kind.startswith("moodbot"):
        return "moodbot"
    return "uncached" if kind == UNCACHED else "salesbot"


async def run_phase(url: str, phase: Phase, phones: list[str], rng, args) -> Phase:
    """`args.users` conversations of `phase.kind` at once for `args.seconds`."""
    timeout = aiohttp.ClientTimeout(total=60)
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=timeout) as client:
        await asyncio.gather(
            *(
                conversation(client, url, phase, phones, rng, args)
                for _ in range(args.users)
            )
        )
    phase.seconds += time.monotonic() - started
    return phase


async def conversation(client, url, phase: Phase, phones, rng, args) -> None:
    kind = phase.kind
    name = kind.replace(",", "").replace(" ", "-")
    sender = f"load-{name}-{rng.getrandbits(48):012x}"
    phase.senders.append(sender)
    if kind in ("segment", "recommend"):
        await turn(client, url, sender, f"查{rng.choice(phones)}", None)
    deadline = time.monotonic() + args.seconds
    await asyncio.sleep(rng.expovariate(1 / args.think))
    while time.monotonic() < deadline:
        message = {
            "moodbot greeting": "hello",
            "greeting": "你好",
            "lookup": f"查{rng.choice(phones)}",
            UNCACHED: f"查{rng.choice(phones)}",
            "segment": "她是什么类型的客户",
            "recommend": "给她推荐点东西",
        }[kind]
        await turn(client, url, sender, message, phase)
        await asyncio.sleep(rng.expovariate(1 / args.think))


async def turn(client, url, sender, message, phase: Phase | None) -> None:
    started = time.perf_counter()
    ok = False
    try:
        async with client.post(url, json={"sender": sender, "message": message}) as r:
            ok = r.status == 200 and bool(await r.json())
    except (aiohttp.ClientError, asyncio.TimeoutError):
        ok = False
    if phase is None:
        return
    phase.latencies.append((time.perf_counter() - started) * 1000)
    if not ok:
        phase.errors += 1


def quantiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        value = values[0] if values else 0.0
        return value, value, value
    cuts = statistics.quantiles(values, n=100)
    return statistics.median(values), cuts[94], cuts[98]


def report(phases: dict, args) -> None:
    base = quantiles(phases["moodbot greeting"].latencies)
    print(
        f"\n{args.users} conversations at once, think time {args.think:.1f} s, "
        f"{args.rounds} rounds of {args.seconds:.0f} s per kind (baseline: moodbot)"
    )
    header = f"{'kind':24} {'turns':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8}"
    print(header + f" {'p99 ms':>8} {'turns/s':>8} {'p50 x':>6} {'p95 x':>6}")
    for kind, phase in phases.items():
        p50, p95, p99 = quantiles(phase.latencies)
        rate = len(phase.latencies) / phase.seconds if phase.seconds else 0.0
        print(
            f"{kind:24} {len(phase.latencies):6} {phase.errors:6} {p50:8.0f} "
            f"{p95:8.0f} {p99:8.0f} {rate:8.1f} {p50 / base[0]:6.2f} "
            f"{p95 / base[1]:6.2f}"
        )
    kept, read = (quantiles(phases[k].latencies) for k in ("lookup", UNCACHED))
    print(
        f"lookup with trackers kept between turns: p50 {kept[0] / read[0]:.2f}x, "
        f"p95 {kept[1] / read[1]:.2f}x the server that reads every turn"
    )


def chart(phases: dict, path: Path, args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bot.reports.fonts import use_cjk_font

    use_cjk_font(plt)
    kinds = list(phases)
    p50 = [quantiles(phases[k].latencies)[0] for k in kinds]
    p95 = [quantiles(phases[k].latencies)[1] for k in kinds]
    fig, ax = plt.subplots(figsize=(9, 4))
    positions = range(len(kinds))
    ax.bar([p - 0.2 for p in positions], p50, width=0.4, label="中位数 p50")
    ax.bar([p + 0.2 for p in positions], p95, width=0.4, label="p95")
    ax.set_xticks(list(positions), [LABELS[k] for k in kinds])
    ax.set_ylabel("每轮回复耗时（毫秒）")
    ax.set_title(
        f"{args.users} 个对话同时进行、思考 {args.think:.0f} 秒：与 Rasa 入门机器人对比"
    )
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()
