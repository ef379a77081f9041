"""The short version of `make bench-load`: conversations at once against the real
servers lose nothing. Every turn gets a non-empty reply, and the tracker holds
exactly the turns sent (checked with SQL of its own). It measures no time: the
figures come from `make bench-load`."""

from __future__ import annotations

import argparse
import asyncio
import random

from sqlalchemy import create_engine, text

from bench.load import Phase, demo_phones, run_phase


def test_ten_conversations_at_once_lose_nothing(bot):
    phones = demo_phones(bot.database_url)
    args = argparse.Namespace(users=10, seconds=8.0, think=0.3)
    phase = asyncio.run(
        run_phase(
            f"{bot.base_url}/webhooks/rest/webhook",
            Phase("recommend"),
            phones,
            random.Random(5),
            args,
        )
    )
    assert len(phase.latencies) >= 20 and phase.errors == 0
    tracker = create_engine(bot.env["SALESBOT_TRACKER_URL"], future=True)
    with tracker.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT count(*) FROM events WHERE type_name = 'user' AND sender_id IN "
                "(" + ", ".join(f":s{n}" for n in range(len(phase.senders))) + ")"
            ),
            {f"s{n}": s for n, s in enumerate(phase.senders)},
        ).scalar_one()
    tracker.dispose()
    # each conversation's untimed lookup, then every timed turn
    assert stored == len(phase.senders) + len(phase.latencies)
