"""`salesbot evaluate-recommender` on a 1,000,000-line log: where the time goes.

    python -m bench.evaluate_recommender [--kind wholesale] [--lines 1000000]
                                         [--views new,all]

A synthetic log of the kind (bot/demo/retail_log.py KINDS) with enough customers
for about --lines kept order lines is written once under var/bench/ (reused), then
read and compared exactly as the command does, each view in turn. Printed: the
time to read the file, each contender's seconds (its grid on the validation
period, the refit and the scoring of every test customer), and the total against
the named baseline, the time to read the file, which no evaluation can avoid.
"""

from __future__ import annotations

import argparse
import resource
import time
from dataclasses import replace
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.demo.retail_log import KINDS, write_online_retail
from bot.knowledge import load_knowledge
from bot.recommend.offline import compare_views
from bot.recommend.retail_log import read_online_retail
from bot.reports.recommender import comparison_table
from bot.services.recommendations import settings_of

# kept lines per customer of each kind at the seed below (measured on 1,500)
LINES_PER_CUSTOMER = {"fashion": 12, "wholesale": 80, "grocery": 94}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="wholesale", choices=sorted(KINDS))
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--views", default="new,all")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    knowledge = load_knowledge(PROJECT_ROOT / "knowledge")
    customers = args.lines // LINES_PER_CUSTOMER[args.kind]
    path = PROJECT_ROOT / "var" / "bench" / f"log-{args.kind}-{customers}.csv"
    if not path.exists():
        print(f"writing a {args.kind} log of {customers:,} customers to {path} ...")
        staging = path.with_suffix(".staging")
        path.parent.mkdir(parents=True, exist_ok=True)
        shape = replace(KINDS[args.kind], customers=customers)
        write_online_retail(staging, shape, args.seed)
        staging.rename(path)
    started = time.perf_counter()
    log = read_online_retail(Path(path), knowledge.imports)
    reading = time.perf_counter() - started
    print(f"{log.summary()}")
    print(f"reading the file (baseline): {reading:.1f}s")
    views = tuple(args.views.split(","))
    started = time.perf_counter()
    results = compare_views(
        log,
        views,
        settings=settings_of(knowledge),
        progress=lambda name: print(f"  {name} ...", flush=True),
        validation_customers=knowledge.recommend.learning.validation_customers,
    )
    took = time.perf_counter() - started
    for view in views:
        print(comparison_table(results[view]))
    seconds = results[views[-1]].seconds
    print(
        "seconds per contender (every view): "
        + ", ".join(f"{name} {value:.1f}" for name, value in seconds.items())
    )
    print(
        f"comparing ({', '.join(views)}): {took:.1f}s = {took / reading:.2f}x reading"
    )
    total = reading + took
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"total {total:.1f}s = {total / reading:.2f}x reading the file; "
        f"peak {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main()
