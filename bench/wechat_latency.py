"""Reply latency through the WeChat channel, against a baseline in the same run.

Starts the action server and the Rasa server on loopback (as `salesbot run` does) on
demo data with a trained recommender, binds WeChat users to random members, then
times what WeChat's servers would see (signed request -> passive reply):
- baseline: a greeting through the REST channel (no signature, no XML, no action);
- wechat greeting: the same greeting through the WeChat channel (plain mode);
- membership, plain and safe (AES) mode: action server + database;
- recommendations: action server + recommender + database.
Every reply must come inside WeChat's 5 seconds as a passive reply; the count of
"success" answers (reply sent later through the API) is printed.

    python -m bench.wechat_latency [--customers N] [--requests N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import select, update

from bench.lookup_latency import prepare_database
from bot.channels.wechat_simulator import WeChatSimulator
from bot.config import PROJECT_ROOT, business_timezone
from bot.db import tables as t
from bot.db.engine import make_engine
from bot.knowledge import load_knowledge
from bot.runtime.servers import serving
from bot.services.recommendations import train_recommender
from bot.timeutil import local_date, utcnow

MODEL = PROJECT_ROOT / "models" / "salesbot.tar.gz"
TOKEN = "bench-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx-bench"


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="salesbot-wechat-bench-"))
    url = prepare_database(workdir, args.customers)
    engine = make_engine(url)
    knowledge = load_knowledge(PROJECT_ROOT / "knowledge")
    tz = business_timezone()
    print("training the recommender for the bench database...")
    train_recommender(
        engine, knowledge, tz, workdir / "models", local_date(utcnow(), tz)
    )
    openids = bind_users(engine, args.requests, args.seed)
    engine.dispose()
    env = {
        "DATABASE_URL": url,
        "SALESBOT_MODEL_DIR": str(workdir / "models"),
        "SALESBOT_WECHAT_TOKEN": TOKEN,
        "SALESBOT_WECHAT_AES_KEY": AES_KEY,
        "SALESBOT_WECHAT_APPID": APPID,
        "SALESBOT_CODE_SENDER": f"file:{workdir / 'codes.jsonl'}",
    }
    with serving(MODEL, env, workdir, PROJECT_ROOT) as rasa_port:
        base = f"http://127.0.0.1:{rasa_port}/webhooks"
        report(measure(base, openids, args.requests), args.customers)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def bind_users(engine, count: int, seed: int) -> list[str]:
    """Bind `count` WeChat users to random members, as verification would."""
    with engine.begin() as conn:
        ids = conn.execute(select(t.customers.c.id)).scalars().all()
        chosen = random.Random(seed).sample(ids, min(count, len(ids)))
        conn.execute(update(t.customers).values(wechat_openid=None))
        for customer_id in chosen:
            conn.execute(
                update(t.customers)
                .where(t.customers.c.id == customer_id)
                .values(wechat_openid=f"oBench{customer_id:010d}")
            )
    return [f"oBench{customer_id:010d}" for customer_id in chosen]


def measure(base: str, openids: list[str], count: int) -> dict[str, list]:
    plain = WeChatSimulator(f"{base}/wechat/webhook", TOKEN)
    safe = WeChatSimulator(f"{base}/wechat/webhook", TOKEN, AES_KEY, APPID)
    rest = requests.Session()
    samples: dict[str, list] = {
        "baseline: REST greeting": [],
        "wechat greeting": [],
        "wechat membership": [],
        "wechat membership (AES)": [],
        "wechat recommendations": [],
    }
    for index in range(count):
        openid = openids[index % len(openids)]
        started = time.perf_counter()
        answer = rest.post(
            f"{base}/rest/webhook",
            json={"sender": f"bench-{index % 20}", "message": "你好"},
            timeout=60,
        )
        answer.raise_for_status()
        samples["baseline: REST greeting"].append(ms(started, answer.json()))
        for name, chat, text in (
            ("wechat greeting", plain, "你好"),
            ("wechat membership", plain, "我的会员等级"),
            ("wechat membership (AES)", safe, "我的会员等级"),
            ("wechat recommendations", plain, "给我推荐点东西"),
        ):
            started = time.perf_counter()
            reply = chat.text(openid, text)
            samples[name].append(ms(started, reply.reply))
    return samples


def ms(started: float, reply) -> tuple[float, bool]:
    return (time.perf_counter() - started) * 1000, bool(reply)


def report(samples: dict[str, list], customers: int) -> None:
    print(f"demo database: {customers} customers; passive reply = inside 5 s window")
    print(
        f"{'':26} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        f" {'passive':>8}"
    )
    for name, values in samples.items():
        times = sorted(v for v, _ in values)
        passive = sum(1 for _, answered in values if answered)
        print(
            f"{name:26} {len(times):5d} {statistics.median(times):8.1f} "
            f"{pct(times, 0.95):8.1f} {pct(times, 0.99):8.1f} {times[-1]:8.1f} "
            f"{passive:8d}"
        )
    base = statistics.median(v for v, _ in samples["baseline: REST greeting"])
    for name in list(samples)[1:]:
        p50 = statistics.median(v for v, _ in samples[name])
        print(f"{name} p50 / baseline p50 = {p50 / base:.2f}x")


def pct(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


if __name__ == "__main__":
    main()
