"""The `salesbot` command line against real databases."""

import datetime as dt

import pytest
from click.testing import CliRunner

from bot import bootstrap
from bot.cli.main import cli


@pytest.fixture()
def run(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    bootstrap.configure(database_url=url)
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"], catch_exceptions=False).exit_code == 0
    yield lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)
    bootstrap.configure()


def test_demo_data_then_lookup_prints_a_masked_card(run):
    made = run("demo-data", "--customers", "30", "--seed", "3", "--as-of", "2026-11-20")
    assert made.exit_code == 0, made.output
    assert "30 customers" in made.output
    shown = run("lookup", "13800000000")
    assert shown.exit_code == 0
    assert "phone: 138****0000" in shown.output
    assert "member_no: M00000001" in shown.output


def test_demo_data_refuses_a_full_database_unless_asked(run):
    run("demo-data", "--customers", "5", "--as-of", "2026-11-20")
    again = run("demo-data", "--customers", "5")
    assert again.exit_code == 1
    assert "already has customers" in again.output
    assert run("demo-data", "--if-empty").exit_code == 0
    assert run("demo-data", "--customers", "7", "--reset").exit_code == 0


def test_bad_input_on_the_command_line_is_an_error_message_not_a_traceback(run):
    run("demo-data", "--customers", "5", "--as-of", "2026-11-20")
    for args, message in [
        (("lookup", "12345"), "not a valid phone"),
        (("lookup", "13900000009"), "no customer with phone"),
        (("import", "customers", "/no/such/file.csv"), "file not found"),
    ]:
        result = run(*args)
        assert result.exit_code == 1
        assert message in result.output
        assert "Traceback" not in result.output


def test_import_writes_the_rejection_report_next_to_the_file(run, tmp_path):
    run("demo-data", "--customers", "5", "--as-of", "2026-11-20")
    path = tmp_path / "c.csv"
    path.write_text(
        "member_no,name,phone,gender,birthday,home_store,joined_on,marketing_consent,wechat_openid\n"
        "M70000001,甲,13911112222,女,,S01,2025-01-01,1,\nM70000002,乙,139,女,,S01,2025-01-01,1,\n",
        encoding="utf-8",
    )
    result = run("import", "customers", str(path))
    assert "2 rows read, 1 imported, 0 already present, 1 rejected" in result.output
    assert (tmp_path / "c.csv.rejects.csv").exists()
    strict = run("import", "customers", str(path), "--strict")
    assert strict.exit_code == 1
    assert "nothing was imported" in strict.output


def test_segment_then_migration_prints_a_table_and_saves_a_chart(run, tmp_path):
    run("demo-data", "--customers", "40", "--as-of", "2026-11-20")
    first = run("segment", "--as-of", "2026-08-20")
    assert first.exit_code == 0, first.output
    assert "snapshot 2026-08-20: 40 customers" in first.output
    run("segment", "--as-of", "2026-11-20")
    chart = tmp_path / "migration.png"
    moved = run("segment-migration", "--chart", str(chart))
    assert moved.exit_code == 0, moved.output
    assert "segment migration 2026-08-20 -> 2026-11-20" in moved.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_migration_without_two_snapshots_says_what_to_do(run):
    run("demo-data", "--customers", "5", "--as-of", "2026-11-20")
    result = run("segment-migration")
    assert result.exit_code == 1
    assert "need two snapshots" in result.output


def test_evaluate_recommender_prints_the_table_and_saves_the_chart(run, tmp_path):
    log = tmp_path / "log.csv"
    made = run("demo-retail-log", str(log), "--customers", "300", "--items", "200")
    assert made.exit_code == 0, made.output
    chart = tmp_path / "chart.png"
    shown = run(
        "evaluate-recommender", "--transactions", str(log), "--chart", str(chart)
    )
    assert shown.exit_code == 0, shown.output
    for name in ("popularity", "item-knn", "ease", "als", "rules", "again", "blended"):
        assert f"\n{name} " in shown.output
    assert "view: new items only" in shown.output
    assert "view: all purchases" in shown.output
    assert shown.output.count("recall@10") == 2  # one table per view
    assert "dropped (" in shown.output
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_evaluate_recommender_refuses_a_file_in_another_layout(run, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("sku,name\nSB1,coat\n", encoding="utf-8")
    shown = run("evaluate-recommender", "--transactions", str(other))
    assert shown.exit_code == 1
    assert "missing columns InvoiceNo" in shown.output


def test_train_then_recommend_then_report(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SALESBOT_MODEL_DIR", str(tmp_path / "models"))
    bootstrap.configure(model_dir=tmp_path / "models")
    run("demo-data", "--customers", "60", "--seed", "3", "--as-of", "2026-11-20")
    run("segment", "--as-of", "2026-11-20")
    trained = run("train-recommender", "--as-of", "2026-11-20")
    assert trained.exit_code == 0, trained.output
    assert "order lines" in trained.output and "rules" in trained.output
    # 60 customers leave too few to choose weights on: it says so and keeps them
    assert "as configured (" in trained.output and "needed)" in trained.output
    assert len(list((tmp_path / "models").iterdir())) == 1
    shown = run("recommend", "13800000000", "--kind", "cross", "--json")
    assert shown.exit_code == 0, shown.output
    import json

    answer = json.loads(shown.output)
    assert answer["customer"].startswith("王") and answer["kind"] == "cross"
    assert all(item["reason"] for item in answer["items"])
    text = run("recommend", "M00000002")
    assert text.exit_code == 0 and "(personal):" in text.output
    chart = tmp_path / "acceptance.png"
    report = run("recommend-report", "--chart", str(chart))
    assert report.exit_code == 0, report.output
    assert "by kind:" in report.output and "cross" in report.output
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_recommend_for_an_unknown_customer_is_a_clear_error(run):
    run("demo-data", "--customers", "5", "--as-of", "2026-11-20")
    shown = run("recommend", "13900000009")
    assert shown.exit_code == 1
    assert "no customer with phone" in shown.output


def test_care_plan_prints_per_trigger_counts_and_is_idempotent(run):
    run("demo-data", "--customers", "80", "--seed", "3", "--as-of", "2026-11-20")
    run("segment", "--as-of", "2026-11-20")
    first = run("care", "plan", "--as-of", "2026-11-20")
    assert first.exit_code == 0, first.output
    assert "thank_you" in first.output and "win_back" in first.output
    added = int(first.output.split(": ")[1].split()[0])
    assert added > 0
    again = run("care", "plan", "--as-of", "2026-11-20")
    assert ": 0 messages added" in again.output


def test_care_dispatch_then_report_with_a_chart(run, tmp_path, monkeypatch):
    from tests.conftest import zone_at_local_hour

    monkeypatch.setenv("SALESBOT_TZ", zone_at_local_hour(12))
    run("demo-data", "--customers", "40", "--seed", "3", "--as-of", "2026-11-20")
    run("segment", "--as-of", "2026-11-20")
    run("care", "plan", "--as-of", "2026-11-20")
    sent = run("care", "dispatch", "--sink", str(tmp_path / "sent.jsonl"))
    assert sent.exit_code == 0, sent.output
    assert sent.output.startswith("sent ") and "failed 0" in sent.output
    assert int(sent.output.split()[1].rstrip(",")) > 0
    chart = tmp_path / "care.png"
    report = run("care-report", "--days", "3650", "--chart", str(chart))
    assert report.exit_code == 0, report.output
    assert "by trigger:" in report.output and "uplift" in report.output
    assert "by route:" in report.output
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_clerks_work_the_handoff_queue_from_the_command_line(run, monkeypatch):
    from bot.services.customers import Actor
    from tests.fakes.wechat import APPID, SECRET, FakeWeChatServer

    wechat = FakeWeChatServer()
    monkeypatch.setenv("SALESBOT_WECHAT_APPID", APPID)
    monkeypatch.setenv("SALESBOT_WECHAT_SECRET", SECRET)
    monkeypatch.setenv("SALESBOT_WECHAT_API", wechat.base)
    try:
        run("demo-data", "--customers", "5", "--as-of", "2026-11-20")
        handoff_id, _ = bootstrap.services().handoff.open(
            Actor("wx:oWang0000001", "wechat"), "oWang0000001", 1, "我要退货"
        )
        listed = run("handoff", "list")
        assert f"#{handoff_id}" in listed.output and "我要退货" in listed.output
        assert "王晓梅" not in listed.output
        refused = run("handoff", "reply", str(handoff_id), "您好", "--staff", "nobody")
        assert refused.exit_code == 1 and "Traceback" not in refused.output
        closed = run("handoff", "reply", str(handoff_id), "您好", "--staff", "s01c1")
        assert closed.exit_code == 1 and "微信不允许" in closed.output
        assert wechat.sent == [] and wechat.refused == []  # never attempted
        wechat.customer_did("oWang0000001", "message")  # she writes; WeChat knows
        bootstrap.services().windows.interacted("oWang0000001", "text")
        sent = run(
            "handoff", "reply", str(handoff_id), "您好，请到店", "--staff", "s01c1"
        )
        assert sent.exit_code == 0, sent.output
        assert (wechat.sent[-1]["touser"], wechat.sent[-1]["text"]) == (
            "oWang0000001",
            "您好，请到店",
        )
        shown = run("handoff", "show", str(handoff_id))
        assert (
            "customer: 我要退货" in shown.output
            and "staff: 您好，请到店" in shown.output
        )
        assert (
            run("handoff", "close", str(handoff_id), "--staff", "s01c1").exit_code == 0
        )
        assert "nobody is waiting" in run("handoff", "list").output
    finally:
        wechat.stop()


def test_forget_purge_and_export_corrections_from_the_command_line(
    run, tmp_path, monkeypatch
):
    monkeypatch.setenv("SALESBOT_TRACKER_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    bootstrap.configure(database_url=bootstrap.services().database_url)
    run("demo-data", "--customers", "5", "--as-of", "2026-11-20")
    refused = run("forget", "12345", "--yes")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    erased = run("forget", "13800000001", "--yes")
    assert erased.exit_code == 0, erased.output
    assert "preferences:" in erased.output
    assert "holds no conversations yet" in erased.output  # no Rasa table there
    monkeypatch.setenv("SALESBOT_TRACKER_URL", "postgresql://nobody@127.0.0.1:1/x")
    bootstrap.configure(database_url=bootstrap.services().database_url)
    broken = run("forget", "13800000000", "--yes")
    assert broken.exit_code == 1 and "nothing was erased" in broken.output
    assert "Traceback" not in broken.output
    assert run("lookup", "13800000000").exit_code == 0  # she is still there
    monkeypatch.setenv("SALESBOT_TRACKER_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    bootstrap.configure(database_url=bootstrap.services().database_url)
    gone = run("lookup", "13800000001")
    assert gone.exit_code == 1
    purged = run("purge", "--days", "30")
    assert purged.exit_code == 0 and "conversation events: 0" in purged.output
    target = tmp_path / "corrections.yml"
    exported = run("export-corrections", str(target))
    assert exported.exit_code == 0 and "0 corrected turns" in exported.output
    assert "version" in target.read_text(encoding="utf-8")


def test_reindex_conversations_summarises_what_the_tracker_holds(
    run, tmp_path, monkeypatch
):
    import json

    from sqlalchemy import create_engine, insert, text

    from bot.db.tracker_store import events

    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("SALESBOT_TRACKER_URL", tracker_url)
    bootstrap.configure(database_url=bootstrap.services().database_url)
    run("demo-data", "--customers", "5", "--as-of", "2026-11-20")
    tracker = create_engine(tracker_url, future=True)
    events.metadata.create_all(tracker)
    said = {"event": "user", "text": "你好", "input_channel": "console"}
    with tracker.begin() as conn:
        for n in range(3):
            for kind, data in (
                ("user", said),
                ("bot", {"event": "bot", "text": "您好"}),
            ):
                conn.execute(
                    insert(events).values(
                        sender_id=f"console:s01c1:{n}:1",
                        type_name=kind,
                        timestamp=1.79e9 + n,
                        data=json.dumps({**data, "timestamp": 1.79e9 + n}),
                    )
                )
    done = run("reindex-conversations")
    assert done.exit_code == 0 and "3 conversation summaries written" in done.output
    app = create_engine(bootstrap.services().database_url, future=True)
    with app.connect() as conn:
        turns = conn.execute(
            text("SELECT sum(user_turns), count(*) FROM conversation_summaries")
        ).one()
    assert tuple(turns) == (3, 3)


def test_a_snapshot_after_today_or_before_the_first_order_is_refused(run):
    import datetime as dt

    from bot.cli.main import _today

    run("demo-data", "--customers", "20", "--as-of", _today().isoformat())
    tomorrow = (_today() + dt.timedelta(days=1)).isoformat()
    future = run("segment", "--as-of", tomorrow)
    assert future.exit_code == 1 and "is after today" in future.output
    early = run("segment", "--as-of", "2000-01-01")
    assert early.exit_code == 1 and "before the first order" in early.output
    assert "Traceback" not in future.output + early.output
    assert run("segment").exit_code == 0


def test_a_snapshot_can_be_dropped_and_answers_come_from_the_latest_before_today(
    run,
):
    import datetime as dt

    from sqlalchemy import create_engine, insert, select

    from bot.cli.main import _today
    from bot.db import tables as t
    from bot.db.segment_store import SegmentStore

    today = _today()
    run("demo-data", "--customers", "20", "--as-of", today.isoformat())
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert run("segment", "--as-of", yesterday).exit_code == 0
    assert run("segment").exit_code == 0
    engine = create_engine(bootstrap.services().database_url, future=True)
    later = today + dt.timedelta(days=30)
    with engine.begin() as conn:
        row = dict(
            conn.execute(
                select(t.segment_snapshots).where(
                    t.segment_snapshots.c.customer_id == 1,
                    t.segment_snapshots.c.as_of == today,
                )
            )
            .one()
            ._mapping
        )
        row.pop("id", None)
        conn.execute(insert(t.segment_snapshots).values({**row, "as_of": later}))
    with engine.connect() as conn:
        assert SegmentStore(conn).latest_for(1, today)["as_of"] == today
    dropped = run("segment", "--drop", today.isoformat())
    assert dropped.exit_code == 0 and "removed" in dropped.output
    with engine.connect() as conn:
        assert SegmentStore(conn).latest_for(1, today)["as_of"] == today - dt.timedelta(
            days=1
        )
        assert SegmentStore(conn).runs() == [today - dt.timedelta(days=1)]
    missing = run("segment", "--drop", today.isoformat())
    assert missing.exit_code == 1 and "no snapshot of" in missing.output
    engine.dispose()


def test_a_card_of_historical_data_counts_days_to_its_snapshot_not_today(run):
    import re

    from sqlalchemy import func, select

    from bot.db import tables as t

    run("demo-data", "--customers", "30", "--seed", "3", "--as-of", "2026-11-20")
    assert run("segment", "--as-of", "2026-11-20").exit_code == 0
    engine = bootstrap.services().engine
    with engine.connect() as conn:
        member, last = conn.execute(
            select(t.customers.c.member_no, func.max(t.orders.c.ordered_at))
            .join(t.orders, t.orders.c.customer_id == t.customers.c.id)
            .group_by(t.customers.c.member_no)
            .order_by(t.customers.c.member_no)
            .limit(1)
        ).one()
    shown = run("lookup", member)
    assert shown.exit_code == 0, shown.output
    found = re.search(r"（(\d+)天前，截至(.+?)）", shown.output)
    assert found, shown.output
    assert found.group(2) == "2026-11-20"
    days = int(found.group(1))
    from bot.timeutil import local_date
    from tests.conftest import SHANGHAI

    assert days == (dt.date(2026, 11, 20) - local_date(last, SHANGHAI)).days
    before = local_date(last, SHANGHAI) - dt.timedelta(days=1)
    earlier = run("lookup", member, "--as-of", before.isoformat())
    assert earlier.exit_code == 0, earlier.output
    orders = int(re.search(r"orders: (\d+)", shown.output).group(1))
    assert int(re.search(r"orders: (\d+)", earlier.output).group(1)) < orders


def test_demo_export_writes_the_three_files_of_a_real_shaped_export(run, tmp_path):
    result = run("demo-export", str(tmp_path / "x"), "--customers", "40")
    assert result.exit_code == 0
    assert {p.name for p in (tmp_path / "x").iterdir()} == {
        "customers.csv",
        "products.csv",
        "transactions.csv",
    }
    lines = (tmp_path / "x" / "transactions.csv").read_text(encoding="utf-8")
    assert f"{lines.count(chr(10)) - 1} transaction lines written" in result.output
    assert ",-" in lines  # cancellations come as negative quantities


def test_clv_check_refuses_a_calibration_end_outside_the_data(run):
    from bot.config import PROJECT_ROOT

    result = run(
        "clv-check",
        "--transactions",
        str(PROJECT_ROOT / "tests/data/CDNOW_sample.txt"),
        "--calibration-end",
        "2020-01-01",
    )
    assert result.exit_code != 0
    assert "the calibration end must fall inside the data" in result.output


def test_demo_retail_log_writes_a_shop_of_the_kind_asked(run, tmp_path):
    import csv

    counts = {}
    for kind in ("fashion", "grocery"):
        path = tmp_path / f"{kind}.csv"
        made = run("demo-retail-log", str(path), "--kind", kind, "--customers", "40")
        assert made.exit_code == 0, made.output
        with path.open(encoding="utf-8") as handle:
            rows = [r for r in csv.DictReader(handle) if r["StockCode"] != "POST"]
        invoices = {r["InvoiceNo"] for r in rows}
        counts[kind] = len(rows) / len(invoices)  # lines per basket
    assert counts["grocery"] > 2 * counts["fashion"]


def test_only_migrate_migrates(tmp_path, monkeypatch):
    """Every other command refuses a database behind the code, and says what to do."""
    from sqlalchemy import create_engine, text

    from bot.db.migrate import current_head, upgrade

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    bootstrap.configure(database_url=url)
    runner = CliRunner()
    try:
        for args in (["segment"], ["demo-data", "--customers", "3"], ["care", "plan"]):
            refused = runner.invoke(cli, args)
            assert refused.exit_code == 1, (args, refused.output)
            assert "no salesbot schema yet" in refused.output
            assert "salesbot migrate" in refused.output
        from alembic.script import ScriptDirectory

        from bot.db.migrate import alembic_config

        script = ScriptDirectory.from_config(alembic_config(url))
        upgrade(url, script.get_revision(current_head()).down_revision)  # one behind
        refused = runner.invoke(cli, ["segment"])
        assert refused.exit_code == 1 and "run `salesbot migrate`" in refused.output
        engine = create_engine(url)
        with engine.connect() as conn:
            behind = conn.execute(text("SELECT version_num FROM alembic_version"))
            assert behind.scalar() != current_head()  # nothing migrated it
        engine.dispose()
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        made = runner.invoke(
            cli, ["demo-data", "--customers", "3", "--as-of", "2026-11-20"]
        )
        assert made.exit_code == 0, made.output
    finally:
        bootstrap.configure()
