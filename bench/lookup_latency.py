"""Reply latency of a customer lookup through the running servers, against a baseline.

Starts the action server and the Rasa server on loopback (as `salesbot run` does),
then times, in one run:
- baseline: a greeting round trip (REST -> NLU -> rule -> reply; no action server,
  no database);
- lookup: "帮我查一下<phone>" for random existing customers (REST -> NLU -> action
  server -> database -> reply);
- the first lookup on its own (it builds the RFM value scale over all buyers).

    python -m bench.lookup_latency [--database-url URL] [--customers N] [--requests N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import func, select

from bot.config import PROJECT_ROOT, business_timezone
from bot.db import tables as t
from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.demo.generator import DemoConfig, generate
from bot.knowledge import load_knowledge
from bot.runtime.servers import serving

MODEL = PROJECT_ROOT / "models" / "salesbot.tar.gz"


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="salesbot-bench-"))
    url = args.database_url or prepare_database(workdir, args.customers)
    phones = sample_phones(url, args.requests, args.seed)
    env = {"DATABASE_URL": url}
    with serving(MODEL, env, workdir, PROJECT_ROOT) as rasa_port:
        webhook = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
        report(measure(webhook, phones, args.requests), url)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an existing database (default: demo)")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def prepare_database(workdir: Path, customers: int) -> str:
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    config = DemoConfig(customers=customers, tz=business_timezone())
    generate(engine, load_knowledge(PROJECT_ROOT / "knowledge"), config)
    engine.dispose()
    return url


def sample_phones(url: str, count: int, seed: int) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        top = conn.execute(select(func.max(t.customers.c.id))).scalar_one()
        rng = random.Random(seed)
        ids = [rng.randint(1, top) for _ in range(count + 1)]
        phones = dict(
            conn.execute(
                select(t.customers.c.id, t.customers.c.phone).where(
                    t.customers.c.id.in_(set(ids))
                )
            ).all()
        )
    engine.dispose()
    return [phones[i] for i in ids if phones.get(i)]


def timed(webhook: str, sender: str, message: str) -> float:
    started = time.perf_counter()
    answer = requests.post(
        webhook, json={"sender": sender, "message": message}, timeout=60
    )
    elapsed = time.perf_counter() - started
    answer.raise_for_status()
    assert answer.json(), f"no reply to {message!r}"
    return elapsed * 1000


def measure(webhook: str, phones: list[str], count: int) -> dict[str, list[float]]:
    first = [timed(webhook, "bench-cold", f"帮我查一下{phones[0]}")]
    baseline, lookup = [], []
    for index in range(count):
        baseline.append(timed(webhook, f"bench-b{index % 20}", "你好"))
        phone = phones[1 + index % (len(phones) - 1)]
        lookup.append(timed(webhook, f"bench-l{index % 20}", f"帮我查一下{phone}"))
    return {
        "first lookup (cold)": first,
        "baseline: greeting": baseline,
        "lookup": lookup,
    }


def report(samples: dict[str, list[float]], url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        customers = conn.execute(
            select(func.count()).select_from(t.customers)
        ).scalar_one()
        orders = conn.execute(select(func.count()).select_from(t.orders)).scalar_one()
    engine.dispose()
    print(f"database: {customers} customers, {orders} orders ({url.split(':')[0]})")
    print(f"{'':22} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for name, values in samples.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(
            f"{name:22} {len(values):5d} {statistics.median(values):8.1f} "
            f"{p95:8.1f} {statistics.mean(values):8.1f}"
        )
    ratio = statistics.median(samples["lookup"]) / statistics.median(
        samples["baseline: greeting"]
    )
    print(f"lookup p50 / greeting p50 = {ratio:.2f}x")


if __name__ == "__main__":
    main()
