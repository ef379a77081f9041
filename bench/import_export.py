"""Importing a real-shaped export of half a million lines, against holding it whole.

    python -m bench.import_export [--customers 8500] [--products 4000] [--seed 11]

Writes `salesbot demo-export` files once under var/bench/ (8,500 customers: about
585,000 transaction lines in pounds with cancellations, fees and invoice lines a
minute apart), then, each in its own process so its peak memory (ru_maxrss) is its
own:
- salesbot: `salesbot import transactions` into a fresh SQLite database (customers
  and products imported first, not timed), then `salesbot segment`;
- baseline: what the importer did before issue #14, holding every row of the file
  in memory (`list(csv.DictReader)`, each row cleaned), and nothing else: no
  parsing, no database. Its peak is the floor of any importer that holds the file.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bot.config import PROJECT_ROOT

BENCH = PROJECT_ROOT / "var" / "bench"
AS_OF = "2011-12-09"


def main() -> None:
    args = parse_args()
    if args.contender == "baseline":
        print(json.dumps(hold_every_row(Path(args.file))))
        return
    export = prepare(args.customers, args.products, args.seed)
    env = pounds_env(BENCH / "import.db")
    salesbot(env, "migrate")
    for kind in ("products", "customers"):
        salesbot(env, "import", kind, str(export / f"{kind}.csv"))
    ours = salesbot(env, "import", "transactions", str(export / "transactions.csv"))
    base = run(
        [
            sys.executable,
            "-m",
            "bench.import_export",
            "--contender",
            "baseline",
            "--file",
            str(export / "transactions.csv"),
        ],
        env,
    )
    base = json.loads(base["stdout"].strip().splitlines()[-1]) | base
    segment = salesbot(env, "segment", "--as-of", AS_OF)
    report(ours, base, segment)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=8500)
    parser.add_argument("--products", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--contender", choices=["baseline"])
    parser.add_argument("--file")
    return parser.parse_args()


def prepare(customers: int, products: int, seed: int) -> Path:
    export = BENCH / f"export-{customers}-{products}-{seed}"
    if not (export / "transactions.csv").exists():
        from bot.demo.export import ExportShape, write_export

        write_export(export, ExportShape(customers=customers, products=products), seed)
    return export


def pounds_env(database: Path) -> dict[str, str]:
    """A fresh database and a copy of the knowledge in pounds."""
    from bot.demo.export import pounds_knowledge

    knowledge = BENCH / "knowledge-gbp"
    pounds_knowledge(PROJECT_ROOT / "knowledge", knowledge)
    database.unlink(missing_ok=True)
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SALESBOT_KNOWLEDGE": str(knowledge),
        "SALESBOT_TZ": "Europe/London",
    }


def salesbot(env: dict[str, str], *args: str) -> dict:
    return run([sys.executable, "-m", "bot.cli.main", *args], env)


def run(argv: list[str], env: dict[str, str]) -> dict:
    """One process: wall time and its own peak memory (RUSAGE_CHILDREN is the max
    over the children so far, so each contender runs after smaller ones)."""
    started = time.perf_counter()
    done = subprocess.run(
        argv, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "stdout": done.stdout,
    }


def hold_every_row(path: Path) -> dict:
    from bot.importer.rows import clean

    started = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [clean(row) for row in csv.DictReader(handle)]
    return {
        "rows": len(rows),
        "own_seconds": time.perf_counter() - started,
        "own_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def report(ours: dict, base: dict, segment: dict) -> None:
    print(ours["stdout"].strip())
    print(f"\n{'':36} {'seconds':>8} {'peak MiB':>9}")
    print(
        f"{'salesbot import (streamed, written)':36} {ours['seconds']:8.1f} "
        f"{ours['peak_mb']:9.0f}"
    )
    print(
        f"{'baseline: hold every row, no writes':36} {base['seconds']:8.1f} "
        f"{base['own_peak_mb']:9.0f}"
    )
    print(
        f"salesbot vs baseline: {base['own_peak_mb'] / ours['peak_mb']:.1f}x less "
        f"memory for {base['rows']:,} rows"
    )
    print("\n" + segment["stdout"].strip())


if __name__ == "__main__":
    main()
