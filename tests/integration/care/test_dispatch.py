"""The dispatcher against a real outbox: at least once, never twice, retries with
backoff, quiet hours; and a real dispatcher process killed with SIGKILL mid-batch."""

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from bot.config import PROJECT_ROOT
from bot.db import tables as t
from bot.outbound.outlets import FileOutlet as FileSink
from bot.outbound.outlets import Outgoing
from bot.outbound.wechat import DeliveryError
from bot.services.care import dispatch_care
from tests.conftest import migrated_sqlite, zone_at_local_hour

NOW = dt.datetime(2026, 11, 20, 4, 0)  # noon in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENID = "oWang0000001"
FIELDS = {"product": "羊毛大衣", "store": "静安店", "purchased_on": "2026-11-19"}


def add_messages(engine, count, scheduled=NOW - dt.timedelta(hours=1), **values):
    with engine.begin() as conn:
        if not conn.execute(select(t.customers.c.id)).first():
            conn.execute(
                insert(t.customers).values(
                    id=1,
                    member_no="M00000001",
                    name="王晓梅",
                    gender="F",
                    joined_on=dt.date(2025, 1, 1),
                    marketing_consent=True,
                    wechat_openid=OPENID,
                    created_at=NOW,
                )
            )
        start = conn.execute(select(t.care_outbox.c.id)).all()
        rows = [
            {
                "idempotency_key": f"thank_you:{len(start) + n}",
                "customer_id": 1,
                "trigger": "thank_you",
                "is_marketing": False,
                "holdout": False,
                "body": f"消息{len(start) + n}",
                "fields": FIELDS,
                "scheduled_at": scheduled,
                "status": "pending",
                "attempts": 0,
                "created_at": NOW,
                **values,
            }
            for n in range(count)
        ]
        conn.execute(insert(t.care_outbox), rows)


def statuses(engine):
    with engine.connect() as conn:
        return dict(
            conn.execute(
                select(t.care_outbox.c.idempotency_key, t.care_outbox.c.status)
            ).all()
        )


@pytest.fixture()
def outbox_db(tmp_path):
    url, engine = migrated_sqlite(tmp_path / "outbox.db")
    yield url, engine
    engine.dispose()


def dispatch(engine, knowledge, outlet, now=NOW, **kw):
    return dispatch_care(
        engine, knowledge.care, knowledge.wechat, outlet, SHANGHAI, lambda: now, **kw
    )


def test_due_messages_are_sent_once_holdouts_and_future_ones_are_not(
    outbox_db, knowledge, tmp_path
):
    _, engine = outbox_db
    add_messages(engine, 3)
    add_messages(engine, 1, status="holdout", holdout=True)
    add_messages(engine, 1, scheduled=NOW + dt.timedelta(hours=1))
    sink = FileSink(tmp_path / "sent.jsonl")
    run = dispatch(engine, knowledge, sink)
    assert run.sent == 3
    assert sorted(statuses(engine).values()) == [
        "holdout",
        "pending",
        "sent",
        "sent",
        "sent",
    ]
    assert dispatch(engine, knowledge, sink).sent == 0
    lines = (tmp_path / "sent.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["body"] for line in lines] == ["消息0", "消息1", "消息2"]


def test_a_key_the_channel_already_has_is_marked_not_resent(
    outbox_db, knowledge, tmp_path
):
    _, engine = outbox_db
    add_messages(engine, 2)
    sink = FileSink(tmp_path / "sent.jsonl")
    # delivered before a crash, never marked
    sink.deliver(Outgoing("thank_you:0", 1, OPENID, "template", "消息0"))
    run = dispatch(engine, knowledge, FileSink(tmp_path / "sent.jsonl"))
    assert (run.sent, run.already_delivered) == (1, 1)
    assert set(statuses(engine).values()) == {"sent"}
    assert len((tmp_path / "sent.jsonl").read_text().splitlines()) == 2


def test_failures_back_off_then_give_up_with_the_reason(outbox_db, knowledge):
    _, engine = outbox_db
    add_messages(engine, 1)

    class Broken:
        def deliver(self, message):
            raise DeliveryError("channel down")

    broken = Broken()

    settings = knowledge.care.dispatch
    now = NOW
    for attempt in range(1, settings.max_attempts + 1):
        run = dispatch(engine, knowledge, broken, now=now)
        with engine.connect() as conn:
            row = conn.execute(select(t.care_outbox)).one()
        assert row.attempts == attempt
        assert row.last_error == "DeliveryError: channel down"
        if attempt < settings.max_attempts:
            assert run.retrying == 1 and row.status == "pending"
            wait = dt.timedelta(seconds=settings.backoff_seconds * 2 ** (attempt - 1))
            assert row.scheduled_at == now + wait
            assert dispatch(engine, knowledge, broken, now=now).retrying == 0
            now = row.scheduled_at
        else:
            assert run.failed == 1 and row.status == "failed"


def test_nothing_is_sent_in_the_quiet_hours(outbox_db, knowledge, tmp_path):
    _, engine = outbox_db
    add_messages(engine, 1, scheduled=NOW - dt.timedelta(days=1))
    sink = FileSink(tmp_path / "sent.jsonl")
    late = dt.datetime(2026, 11, 20, 13, 30)  # 21:30 in Shanghai
    assert dispatch(engine, knowledge, sink, now=late).quiet_hours
    assert statuses(engine) == {"thank_you:0": "pending"}


def test_a_claim_is_taken_again_only_after_the_timeout(outbox_db, knowledge, tmp_path):
    _, engine = outbox_db
    add_messages(engine, 1)
    timeout = knowledge.care.dispatch.claim_timeout_seconds
    with engine.begin() as conn:
        conn.execute(
            update(t.care_outbox).values(
                status="sending",
                claim="dead",
                claimed_at=NOW - dt.timedelta(seconds=timeout - 1),
            )
        )
    sink = FileSink(tmp_path / "sent.jsonl")
    assert dispatch(engine, knowledge, sink).sent == 0
    later = NOW + dt.timedelta(seconds=2)
    assert dispatch(engine, knowledge, sink, now=later).sent == 1


def test_a_dispatcher_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    outbox_db, tmp_path
):
    url, engine = outbox_db
    add_messages(engine, 120)
    knowledge = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", knowledge)
    care = knowledge / "care.yml"
    care.write_text(
        care.read_text(encoding="utf-8").replace(
            "claim_timeout_seconds: 300", "claim_timeout_seconds: 1"
        ),
        encoding="utf-8",
    )
    sink = tmp_path / "sent.jsonl"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SALESBOT_KNOWLEDGE": str(knowledge),
        "SALESBOT_TZ": zone_at_local_hour(12),
    }
    argv = [
        sys.executable,
        "-m",
        "bot.cli.main",
        "care",
        "dispatch",
        "--sink",
        str(sink),
    ]
    victim = subprocess.Popen(
        [*argv, "--batch", "50", "--pace", "0.02"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sink.exists() and len(sink.read_text(encoding="utf-8").splitlines()) >= 30:
            break
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    before = statuses(engine)
    assert "sending" in before.values()  # killed holding a claim
    assert list(before.values()).count("sent") < 120
    time.sleep(1.1)  # the dead claim times out
    finished = subprocess.run(
        argv, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr
    assert set(statuses(engine).values()) == {"sent"}
    keys = [
        json.loads(line)["key"]
        for line in sink.read_text(encoding="utf-8").splitlines()
    ]
    assert sorted(keys) == sorted(f"thank_you:{n}" for n in range(120))
