"""Full segmentation run against a straightforward pandas baseline, on the same data.

    python -m bench.segments [--database-url URL] [--customers N] [--activity X]
                             [--as-of YYYY-MM-DD]

Without --database-url a demo database is made once under var/bench/ (1,000,000
customers at activity 2: about 20 million order lines). Each contender runs in its
own process, so its peak memory (ru_maxrss) is its own:
- salesbot: `salesbot segment` (SQL read of the lines, numpy, snapshot written);
- baseline: pandas as most people would write it: read_sql of every line, groupby
  per customer, pd.qcut on ranks, the `lifetimes`-style summary (frequency, recency,
  T, monetary value per customer), preferences by groupby, the same CLV fitter on the
  same sample, and the result written with DataFrame.to_sql.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bot.config import PROJECT_ROOT, business_timezone

DEFAULT_DB = PROJECT_ROOT / "var" / "bench" / "segments.db"


def main() -> None:
    args = parse_args()
    if args.contender:
        result = CONTENDERS[args.contender](args.database_url, args.as_of)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({**result, "peak_mb": peak_mb}))
        return
    url = args.database_url or prepare(args.customers, args.activity, args.as_of)
    results = {name: run_contender(name, url, args.as_of) for name in CONTENDERS}
    report(results)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--activity", type=float, default=2.0)
    parser.add_argument("--as-of", default="2026-11-20")
    parser.add_argument("--contender", choices=["salesbot", "baseline"])
    return parser.parse_args()


def prepare(customers: int, activity: float, as_of: str) -> str:
    url = f"sqlite:///{DEFAULT_DB.with_name(f'segments-{customers}-{activity}.db')}"
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "bot.cli.main", "migrate"],
            check=True,
            env={**os.environ, "DATABASE_URL": url},
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bot.cli.main",
                "demo-data",
                "--customers",
                str(customers),
                "--activity",
                str(activity),
                "--as-of",
                as_of,
            ],
            check=True,
            env={**os.environ, "DATABASE_URL": url},
        )
    return url


def run_contender(name: str, url: str, as_of: str) -> dict:
    argv = [
        sys.executable,
        "-m",
        "bench.segments",
        "--contender",
        name,
        "--database-url",
        url,
        "--as-of",
        as_of,
    ]
    done = subprocess.run(
        argv, check=True, capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(results: dict[str, dict]) -> None:
    lines = results["salesbot"]["lines"]
    print(
        f"data: {results['salesbot']['customers']:,} customers, {lines:,} order lines"
    )
    print(f"{'':10} {'seconds':>9} {'peak MiB':>9} {'customers/s':>12}")
    for name, r in results.items():
        rate = r["customers"] / r["seconds"]
        print(f"{name:10} {r['seconds']:9.1f} {r['peak_mb']:9.0f} {rate:12,.0f}")
    ours, base = results["salesbot"], results["baseline"]
    print(
        f"salesbot vs baseline: {base['seconds'] / ours['seconds']:.2f}x faster, "
        f"{base['peak_mb'] / ours['peak_mb']:.2f}x less memory"
    )


def run_salesbot(url: str, as_of: str) -> dict:
    from sqlalchemy import func, select

    from bot.db import tables as t
    from bot.db.engine import make_engine
    from bot.knowledge import load_knowledge
    from bot.services.segmentation import run_segmentation

    engine = make_engine(url)
    knowledge = load_knowledge(PROJECT_ROOT / "knowledge")
    day = dt.date.fromisoformat(as_of)
    report = run_segmentation(engine, knowledge, day, business_timezone())
    with engine.connect() as conn:
        lines = conn.execute(
            select(func.count()).select_from(t.order_lines)
        ).scalar_one()
    return {
        "seconds": report.seconds,
        "customers": report.customers,
        "lines": lines,
        "phases": report.phases,
    }


def run_baseline(url: str, as_of: str) -> dict:
    """Straightforward pandas; same outputs as a snapshot, written to its own table."""
    import numpy as np
    import pandas as pd
    from sqlalchemy import text

    from bot.db.engine import make_engine
    from bot.knowledge import load_knowledge
    from bot.segments.clv import BetaGeoFitter, GammaGammaFitter

    started = time.perf_counter()
    engine = make_engine(url)
    rules = load_knowledge(PROJECT_ROOT / "knowledge").segments
    tz = business_timezone()
    day = pd.Timestamp(as_of)
    end_local = day + pd.Timedelta(days=1)
    offset = tz.utcoffset(end_local.to_pydatetime())
    with engine.connect() as conn:
        lines = pd.read_sql(
            text(
                "SELECT l.order_id, o.customer_id, o.ordered_at, l.product_id,"
                " l.quantity, l.unit_price_fen, l.discount_fen FROM order_lines l"
                " JOIN orders o ON l.order_id = o.id WHERE o.ordered_at < :end"
            ),
            conn,
            params={"end": (end_local - offset).to_pydatetime()},
        )
        products = pd.read_sql(
            text("SELECT id, category, brand, tags, launch_date FROM products"), conn
        )
        customers = pd.read_sql(text("SELECT id FROM customers"), conn)
    lines["ordered_at"] = pd.to_datetime(lines["ordered_at"]) + offset
    lines["day"] = lines["ordered_at"].dt.normalize()
    lines["amount"] = lines.quantity * lines.unit_price_fen - lines.discount_fen
    products["launch_date"] = pd.to_datetime(products["launch_date"])
    products["promo"] = products["tags"].fillna("").str.contains("promo")
    lines = lines.merge(products, left_on="product_id", right_on="id", how="left")

    orders = lines.groupby("order_id").agg(
        customer_id=("customer_id", "first"),
        day=("day", "first"),
        amount=("amount", "sum"),
    )
    per = orders.groupby("customer_id").agg(
        last=("day", "max"),
        first=("day", "min"),
        frequency=("amount", "size"),
        monetary=("amount", "sum"),
    )
    per["recency"] = (day - per["last"]).dt.days
    per["r"] = pd.qcut(
        per["recency"].rank(method="first", ascending=False), 5, labels=[1, 2, 3, 4, 5]
    ).astype(int)
    per["f"] = pd.qcut(
        per["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]
    ).astype(int)
    per["m"] = pd.qcut(
        per["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]
    ).astype(int)

    # the lifetimes summary_data_from_transaction_data equivalent
    daily = orders.groupby(["customer_id", "day"])["amount"].sum().reset_index()
    summary = daily.groupby("customer_id").agg(
        first=("day", "min"),
        last=("day", "max"),
        count=("day", "size"),
        total=("amount", "sum"),
    )
    first_spend = daily.groupby("customer_id")["amount"].first()
    summary["frequency"] = summary["count"] - 1
    summary["recency"] = (summary["last"] - summary["first"]).dt.days / 7
    summary["T"] = (day - summary["first"]).dt.days / 7
    summary["monetary_value"] = np.where(
        summary["frequency"] > 0,
        (summary["total"] - first_spend) / summary["frequency"].clip(lower=1),
        0,
    )
    daily["gap"] = daily.groupby("customer_id")["day"].diff().dt.days
    per["median_gap"] = daily.groupby("customer_id")["gap"].median()

    lines["weighted"] = lines["amount"] * np.exp(
        -((day + pd.Timedelta(days=1) - lines["ordered_at"]).dt.days)
        * np.log(2)
        / rules.preferences.half_life_days
    )
    top = {}
    for column in ("category", "brand"):
        shares = lines.groupby(["customer_id", column])["weighted"].sum()
        shares = shares / shares.groupby(level=0).transform("sum")
        top[column] = (
            shares.sort_values(ascending=False)
            .groupby(level=0)
            .head(rules.preferences.top)
        )
    since_launch = (lines["day"] - lines["launch_date"]).dt.days
    lines["promo_amount"] = np.where(
        lines["promo"] | (lines["discount_fen"] > 0), lines["amount"], 0
    )
    lines["new_amount"] = np.where(
        since_launch.between(0, rules.preferences.new_arrival_days + 1),
        lines["amount"],
        0,
    )
    shares = lines.groupby("customer_id")[
        ["promo_amount", "new_amount", "amount"]
    ].sum()
    per["promo_share"] = shares["promo_amount"] / shares["amount"]
    per["new_share"] = shares["new_amount"] / shares["amount"]
    per["breadth"] = lines.groupby("customer_id")["category"].nunique()

    sample = summary.sample(n=min(len(summary), rules.clv.fit_sample), random_state=0)
    bgnbd = BetaGeoFitter(penalizer=0.001).fit(
        sample["frequency"], sample["recency"], sample["T"]
    )
    repeaters = sample[(sample["frequency"] > 0) & (sample["monetary_value"] > 0)]
    gamma = GammaGammaFitter(penalizer=0.001).fit(
        repeaters["frequency"], repeaters["monetary_value"]
    )
    horizon = rules.clv.horizon_days / rules.clv.time_unit_days
    per["expected_purchases"] = bgnbd.expected_purchases(
        horizon, summary["frequency"], summary["recency"], summary["T"]
    )
    per["p_alive"] = bgnbd.probability_alive(
        summary["frequency"], summary["recency"], summary["T"]
    )
    per["clv_fen"] = per["expected_purchases"] * gamma.expected_average_value(
        summary["frequency"], summary["monetary_value"]
    )

    favourites = {
        c: top[c]
        .reset_index()
        .groupby("customer_id")
        .apply(lambda g: g.iloc[:, 1:].values.tolist())
        for c in top
    }
    per["details"] = [
        json.dumps({"categories": cats, "brands": brands}, ensure_ascii=False)
        for cats, brands in zip(
            favourites["category"].reindex(per.index),
            favourites["brand"].reindex(per.index),
            strict=True,
        )
    ]
    result = customers.set_index("id").join(per)
    result.drop(columns=["first", "last"]).to_sql(
        "bench_baseline_snapshot", engine, if_exists="replace", chunksize=5000
    )
    return {
        "seconds": time.perf_counter() - started,
        "customers": len(result),
        "lines": len(lines),
    }


CONTENDERS = {"salesbot": run_salesbot, "baseline": run_baseline}


if __name__ == "__main__":
    main()
