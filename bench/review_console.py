"""How long the managers' console takes to list conversations, by tracker size.

Fills a tracker store (Rasa's `events` table, SQLite) with N synthetic console
conversations of 9 events each over the last 6 days (all in the 7-day list), on
the 2,000-customer demo database,
summarises them (`ConversationIndex.reindex`, what the tracker store does turn by
turn), then times, in one run:
- baseline: one SQL query counting the conversations with a user message in the
  last 7 days straight from the tracker's events (the least the old listing did
  before reading every event of them);
- list: `ConversationLog.page` for head office over the same 7 days, first page of
  50 with the total (summaries, customers' masked names, stores, audit row);
- filtered: the same with a store, an intent and the low-confidence flag;
- csv: every row of the 7 days, as the export writes them;
- chart: the dashboard's conversation figures (per day and channel, top intents).
Target: the 7-day list of 100,000 conversations under 300 ms.

    python -m bench.review_console [--conversations 2000 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from tqdm import tqdm

from bench.lookup_latency import prepare_database
from bot.config import business_timezone
from bot.db import tables as t
from bot.db.engine import make_engine
from bot.db.tracker_store import TrackerStore, events
from bot.services.conversation_index import ConversationIndex
from bot.services.conversations import ConversationLog, Filters, Viewer
from bot.services.dashboard import Dashboard
from bot.timeutil import local_date, utcnow

DAYS = 6.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, nargs="+", default=[2000, 100000])
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="salesbot-review-bench-"))
    engine = make_engine(prepare_database(workdir, 2000))
    tz = business_timezone()
    today = local_date(utcnow(), tz)
    head_office = Viewer(0, "hq", "head_office", None)
    print(
        f"{'conversations':>13} {'events':>8} {'7-day':>7} {'index s':>8} "
        f"{'baseline ms':>11} {'list ms':>8} {'filtered ms':>11} {'csv ms':>8} "
        f"{'chart ms':>8}"
    )
    for count in args.conversations:
        tracker_engine = make_engine(f"sqlite:///{workdir / f'tracker{count}.db'}")
        events.metadata.create_all(tracker_engine)
        fill(tracker_engine, count)
        tracker = TrackerStore(tracker_engine)
        with engine.begin() as conn:
            conn.execute(delete(t.conversation_summaries))
        began = time.perf_counter()
        with tqdm(total=count, desc="summarising", unit="conv", leave=False) as bar:
            ConversationIndex(engine).reindex(tracker, progress=bar.update)
        indexed = time.perf_counter() - began
        log = ConversationLog(engine, tracker, tz, ["greet"])
        start = today - dt.timedelta(days=6)
        since = dt.datetime.combine(start, dt.time(), tz).timestamp()
        week = Filters(start=start, end=today)
        picky = Filters(
            start=start,
            end=today,
            store_id=1,
            intent="recommend_products",
            low_confidence=True,
        )
        baseline = _ms(_count_senders, tracker_engine, since)
        page = log.page(head_office, week, 0, 50)
        listed = _ms(log.page, head_office, week, 0, 50)
        filtered = _ms(log.page, head_office, picky, 0, 50)
        exported = _ms(log.csv, head_office, week)
        board = Dashboard(engine, log, tz, conversion_days=7, reply_hours=48)
        charted = _ms(board.conversations, head_office, week)
        print(
            f"{count:>13} {count * 9:>8} {page.total:>7} {indexed:>8.1f} "
            f"{baseline:>11.1f} {listed:>8.1f} {filtered:>11.1f} {exported:>8.1f} "
            f"{charted:>8.1f}"
        )
        tracker_engine.dispose()


def _ms(run, *args) -> float:
    """The median of five runs, in milliseconds."""
    times = []
    for _ in range(5):
        began = time.perf_counter()
        run(*args)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _count_senders(engine, since: float) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count(func.distinct(events.c.sender_id))).where(
                events.c.type_name == "user", events.c.timestamp >= since
            )
        ).scalar_one()


def fill(engine, count: int) -> None:
    rnd = random.Random(count)
    now = time.time()
    rows = []
    for n in range(count):
        store = rnd.randint(1, 3)
        sender = f"console:s{store:02d}c1:{n}:1"
        at = now - rnd.uniform(0, DAYS * 86400)
        staff = {"staff": {"username": f"s{store:02d}c1", "id": 1, "store_id": store}}
        confidence = round(rnd.uniform(0.3, 1.0), 2)
        customer = rnd.randint(1, 2000)
        for k, event in enumerate(conversation(customer, staff, confidence)):
            rows.append(
                {
                    "sender_id": sender,
                    "type_name": event["event"],
                    "timestamp": at + k,
                    "intent_name": None,
                    "action_name": event.get("name"),
                    "data": json.dumps({**event, "timestamp": at + k}),
                }
            )
    with engine.begin() as conn:
        for chunk in range(0, len(rows), 10_000):
            conn.execute(insert(events), rows[chunk : chunk + 10_000])


def conversation(customer_id: int, staff: dict, confidence: float) -> list[dict]:
    def said(text: str, intent: str) -> dict:
        return {
            "event": "user",
            "text": text,
            "input_channel": "console",
            "parse_data": {"intent": {"name": intent, "confidence": confidence}},
            "metadata": staff,
        }

    return [
        {"event": "action", "name": "action_session_start"},
        said("帮我查一下13800000000", "lookup_customer"),
        {"event": "action", "name": "action_lookup_customer"},
        {"event": "slot", "name": "customer_id", "value": str(customer_id)},
        {"event": "bot", "text": "【顾客卡片】"},
        said("给她推荐点东西", "recommend_products"),
        {"event": "action", "name": "action_recommend_products"},
        {"event": "bot", "text": "给王**的个性化推荐"},
        {"event": "action", "name": "action_listen"},
    ]


if __name__ == "__main__":
    main()
