"""Metadata sent with a message is kept in the tracker only as far as the bot needs
it, and an oversized body is refused before Rasa stores anything (issue #17: a few
10 MiB turns made every later reply of a conversation empty)."""

from __future__ import annotations

import json
import uuid

import requests
from sqlalchemy import create_engine, text


def user_metadata(bot, sender: str) -> list[dict]:
    engine = create_engine(bot.env["SALESBOT_TRACKER_URL"], future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"
                " ORDER BY id"
            ),
            {"s": sender},
        ).scalars()
        found = [json.loads(row).get("metadata") or {} for row in rows]
    engine.dispose()
    return found


def test_rest_metadata_is_not_kept(bot):
    sender = f"meta-{uuid.uuid4().hex[:8]}"
    answer = requests.post(
        f"{bot.base_url}/webhooks/rest/webhook",
        json={
            "sender": sender,
            "message": "你好",
            "metadata": {"blob": "x" * 8000, "staff": {"username": "s01m"}},
        },
        timeout=60,
    )
    assert answer.status_code == 200 and answer.json()
    (kept,) = user_metadata(bot, sender)
    assert "blob" not in kept and "staff" not in kept


def test_an_oversized_body_is_refused_and_nothing_stored(bot):
    sender = f"big-{uuid.uuid4().hex[:8]}"
    answer = requests.post(
        f"{bot.base_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": "你好", "metadata": {"b": "x" * 1_000_000}},
        timeout=60,
    )
    assert answer.status_code == 413
    assert "larger" in answer.json()["error"]
    assert user_metadata(bot, sender) == []


def test_the_console_keeps_only_its_staff_member(bot):
    sender = f"console:s01c1:{uuid.uuid4().hex[:6]}:1"
    answer = requests.post(
        f"{bot.base_url}/webhooks/console/webhook",
        json={
            "sender": sender,
            "message": "你好",
            "metadata": {
                "staff": {"username": "s01c1", "id": 3, "store_id": 1, "x": "y"},
                "blob": "x" * 8000,
            },
        },
        headers={"X-Salesbot-Console": bot.env["SALESBOT_CONSOLE_SECRET"]},
        timeout=60,
    )
    assert answer.status_code == 200 and answer.json()
    (kept,) = user_metadata(bot, sender)
    assert kept["staff"] == {"username": "s01c1", "id": 3, "store_id": 1}
    assert "blob" not in kept
