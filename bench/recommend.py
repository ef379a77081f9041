"""Recommender training time and serving latency at 1,000,000 customers / 50,000 SKUs.

    python -m bench.recommend [--database-url URL] [--customers N] [--skus N]
                              [--requests N] [--as-of YYYY-MM-DD]
                              [--serve-only MODELS]

Without --database-url the 1,000,000-customer demo database of `make bench-segments`
is made (or reused) under var/bench/, copied, and its catalogue widened to --skus
items: each demo product gets variants (same subcategory and brand, prices within
+-25%, own launch dates and stock), and every order line is moved to one of its
product's variants with a skewed draw, so a few variants sell a lot and most sell
little, as in a real long-tailed catalogue. The copy is then segmented (profiles for
personal picks). In one run:
- training: `salesbot train-recommender` in its own process (wall time, peak RSS);
- serving: `RecommendationService.recommend` in process for random customers, each
  kind, with the log write and audit of a real request;
- baseline: `CustomerService.card` for the same customers: the profile card a clerk
  already gets on every lookup (its own indexed queries and audit row).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

from bench.segments import prepare as prepare_demo
from bot.config import PROJECT_ROOT, business_timezone
from bot.db import tables as t
from bot.db.engine import make_engine

KINDS = ("personal", "cross", "up")


def main() -> None:
    args = parse_args()
    if args.train_only:
        print(json.dumps(train(args.database_url, args.model_dir, args.as_of)))
        return
    url = args.database_url or prepare(args.customers, args.skus, args.as_of)
    if args.serve_only:
        serve(url, args.serve_only, args.requests, args.as_of)
        return
    models = Path(tempfile.mkdtemp(prefix="salesbot-models-"))
    try:
        trained = run_training(url, models, args.as_of)
        print(
            f"training: {trained['seconds']:.1f}s (reading the lines "
            f"{trained['stats']['read_seconds']:.1f}s), "
            f"peak {trained['peak_mb']:.0f} MiB "
            f"({trained['stats']['lines']:,} lines, {trained['stats']['customers']:,} "
            f"customers, {trained['stats']['items']:,} items, "
            f"{trained['stats']['rules']:,} rules)"
        )
        learning = trained["stats"].get("learning", {})
        print(
            f"  choosing the weights {learning.get('seconds', 0):.1f}s, "
            f"the final fit {trained['stats'].get('fit_seconds', 0):.1f}s"
        )
        print(f"  {trained['learned']}")
        serve(url, models, args.requests, args.as_of)
    finally:
        shutil.rmtree(models, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--as-of", default="2026-11-20")
    parser.add_argument("--train-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--serve-only",
        type=Path,
        metavar="MODELS",
        help="time serving with the models already trained in MODELS",
    )
    parser.add_argument("--model-dir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def prepare(customers: int, skus: int, as_of: str) -> str:
    demo = Path(prepare_demo(customers, 2.0, as_of).removeprefix("sqlite:///"))
    target = demo.with_name(f"recommend-{customers}-{skus}.db")
    url = f"sqlite:///{target}"
    if not target.exists():
        staging = target.with_suffix(".staging")
        print(f"copying {demo.name} and widening the catalogue to {skus:,} SKUs ...")
        shutil.copyfile(demo, staging)
        widen_catalogue(f"sqlite:///{staging}", skus)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{staging}"}
        for command in (["migrate"], ["segment", "--as-of", as_of]):
            subprocess.run(
                [sys.executable, "-m", "bot.cli.main", *command], check=True, env=env
            )
        staging.rename(target)
    return url


def widen_catalogue(url: str, skus: int, seed: int = 5) -> None:
    engine = make_engine(url)
    rng = random.Random(seed)
    with engine.begin() as conn:
        base = [dict(r._mapping) for r in conn.execute(select(t.products))]
        assert [p["id"] for p in base] == list(range(1, len(base) + 1))
        variants = max(1, skus // len(base))  # whole rounds: every product has all
        top = max(p["id"] for p in base)
        rows = []
        for v in range(1, variants):
            for p in base:
                price = int(p["price_fen"] * rng.uniform(0.75, 1.25)) // 100 * 100
                launch = p["launch_date"] or dt.date(2025, 1, 1)
                rows.append(
                    {
                        **p,
                        "id": top + len(rows) + 1,
                        "sku": f"{p['sku']}-V{v:03d}",
                        "name": f"{p['name']} 款{v}",
                        "price_fen": max(price, 100),
                        "launch_date": launch
                        + dt.timedelta(days=rng.randint(-300, 300)),
                        "stock": 0 if rng.random() < 0.1 else rng.randint(1, 80),
                    }
                )
        conn.execute(t.products.insert(), rows)
        # variant index per line: skewed (u^3) so a few variants carry most sales
        conn.execute(
            text(
                "UPDATE order_lines SET product_id = product_id + :n * CAST("
                ":k * ((abs(id * 2654435761) % 1000003) / 1000003.0) * "
                "((abs(id * 40503) % 1000033) / 1000033.0) AS INTEGER) "
                "WHERE product_id <= :n"
            ),
            {"n": len(base), "k": variants},
        )
    engine.dispose()


def run_training(url: str, models: Path, as_of: str) -> dict:
    argv = [sys.executable, "-m", "bench.recommend", "--train-only"]
    argv += ["--database-url", url, "--model-dir", str(models), "--as-of", as_of]
    done = subprocess.run(
        argv, check=True, capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def train(url: str, models: Path, as_of: str) -> dict:
    from bot.knowledge import load_knowledge
    from bot.reports.recommender import describe_learning
    from bot.services.recommendations import train_recommender

    started = time.perf_counter()
    model, _ = train_recommender(
        make_engine(url),
        load_knowledge(PROJECT_ROOT / "knowledge"),
        business_timezone(),
        models,
        dt.date.fromisoformat(as_of),
    )
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "stats": model.stats,
        "learned": describe_learning(model.stats["learning"], model.blend.settings),
    }


def serve(url: str, models: Path, requests: int, as_of: str) -> None:
    import actions  # noqa: F401 (one BLAS thread, as in the action server)
    from bot.knowledge import load_knowledge
    from bot.services.customers import Actor, CustomerService
    from bot.services.recommendations import RecommendationService

    engine = make_engine(url)
    knowledge = load_knowledge(PROJECT_ROOT / "knowledge")
    tz = business_timezone()
    noon = dt.datetime.combine(dt.date.fromisoformat(as_of), dt.time(4))
    clock = lambda: noon  # noqa: E731
    recommendations = RecommendationService(engine, knowledge, tz, models, clock=clock)
    cards = CustomerService(engine, knowledge, tz, clock=clock)
    with engine.connect() as conn:
        top = conn.execute(select(func.max(t.customers.c.id))).scalar_one()
        skus = conn.execute(select(func.count()).select_from(t.products)).scalar_one()
    rng = random.Random(11)
    customers = [rng.randint(1, top) for _ in range(requests)]
    actor = Actor("bench", "bench")
    started = time.perf_counter()
    recommendations.recommend(customers[0], "personal", actor)
    first = time.perf_counter() - started
    print(f"first request (loads model and catalogue): {first:.2f}s")
    timings = {"card (baseline)": [timed(cards.card, c, actor) for c in customers]}
    for kind in KINDS:
        timings[f"recommend {kind}"] = [
            timed(recommendations.recommend, c, kind, actor) for c in customers
        ]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"serving: {top:,} customers, {skus:,} SKUs, {requests} requests per row, "
        f"process peak {rss:.0f} MiB"
    )
    print(f"{'':22} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, values in timings.items():
        p = statistics.quantiles(values, n=100)
        print(f"{name:22} {statistics.median(values):8.1f} {p[94]:8.1f} {p[98]:8.1f}")
    base = statistics.quantiles(timings["card (baseline)"], n=100)[94]
    worst = max(
        statistics.quantiles(v, n=100)[94]
        for k, v in timings.items()
        if k != "card (baseline)"
    )
    print(f"slowest recommend p95 / card p95: {worst / base:.2f}x")


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
