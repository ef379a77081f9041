"""How long the managers' console takes to list conversations, by tracker size.

Fills a tracker store (Rasa's `events` table, SQLite) with N synthetic console
conversations of 9 events each over 30 days, on the 2,000-customer demo database,
then times, in one run:
- baseline: one SQL query counting the conversations of the last 7 days (the least
  any listing must do);
- list: `ConversationLog.rows` for head office over the same 7 days (read every event,
  summarise, look customers and segments up, filter, audit).

    python -m bench.review_console [--conversations 2000 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.lookup_latency import prepare_database
from bot.config import business_timezone
from bot.db.engine import make_engine
from bot.db.tracker_store import TrackerStore, events
from bot.services.conversations import ConversationLog, Filters, Viewer
from bot.timeutil import local_date, utcnow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, nargs="+", default=[2000, 20000])
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="salesbot-review-bench-"))
    engine = make_engine(prepare_database(workdir, 2000))
    tz = business_timezone()
    today = local_date(utcnow(), tz)
    head_office = Viewer(0, "hq", "head_office", None)
    print(
        f"{'conversations':>13} {'events':>8} {'7-day convs':>11} "
        f"{'baseline ms':>11} {'list ms':>9} {'x':>6}"
    )
    for count in args.conversations:
        tracker_engine = make_engine(f"sqlite:///{workdir / f'tracker{count}.db'}")
        events.metadata.create_all(tracker_engine)
        fill(tracker_engine, count)
        log = ConversationLog(engine, TrackerStore(tracker_engine), tz, ["greet"])
        start = today - dt.timedelta(days=6)
        since = dt.datetime.combine(start, dt.time(), tz).timestamp()
        began = time.perf_counter()
        with tracker_engine.connect() as conn:
            conn.execute(
                select(func.count(func.distinct(events.c.sender_id))).where(
                    events.c.type_name == "user", events.c.timestamp >= since
                )
            ).scalar_one()
        baseline = (time.perf_counter() - began) * 1000
        began = time.perf_counter()
        rows = log.rows(head_office, Filters(start=start, end=today))
        listed = (time.perf_counter() - began) * 1000
        print(
            f"{count:>13} {count * 9:>8} {len(rows):>11} {baseline:>11.1f} "
            f"{listed:>9.1f} {listed / baseline:>6.0f}"
        )
        tracker_engine.dispose()


def fill(engine, count: int) -> None:
    rnd = random.Random(count)
    now = time.time()
    rows = []
    for n in range(count):
        sender = f"console:s{rnd.randint(1, 12):02d}c1:{n}:1"
        at = now - rnd.uniform(0, 30 * 86400)
        staff = {"staff": {"username": sender.split(":")[1], "id": 1, "store_id": 1}}
        for k, event in enumerate(conversation(rnd.randint(1, 2000), staff)):
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


def conversation(customer_id: int, staff: dict) -> list[dict]:
    def said(text: str, intent: str) -> dict:
        return {
            "event": "user",
            "text": text,
            "input_channel": "console",
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}},
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
