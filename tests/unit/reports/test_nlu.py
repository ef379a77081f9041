"""The NLU report reads Rasa's result files, counts confusions and holds a floor."""

import json

from click.testing import CliRunner

from bot.cli.main import cli
from bot.reports.nlu import read_evaluation, save_confusion_chart


def results(folder, accuracy, errors):
    folder.mkdir()
    report = {"accuracy": accuracy, "weighted avg": {"f1-score": 0.7, "support": 40}}
    (folder / "intent_report.json").write_text(json.dumps(report), encoding="utf-8")
    (folder / "intent_errors.json").write_text(
        json.dumps(
            [
                {
                    "text": t,
                    "intent": a,
                    "intent_prediction": {"name": b, "confidence": 0.6},
                }
                for t, a, b in errors
            ]
        ),
        encoding="utf-8",
    )
    return folder


ERRORS = [
    ("她穿多大码", "ask_preferences", "note_preference"),
    ("她鞋穿几码", "ask_preferences", "note_preference"),
    ("别发了", "unsubscribe", "deny"),
]


def test_confusions_are_counted_commonest_first(tmp_path):
    found = read_evaluation("交叉验证", results(tmp_path / "cv", 0.9, ERRORS))
    assert (found.accuracy, found.f1, found.support) == (0.9, 0.7, 40)
    assert found.confusions == (
        ("ask_preferences", "note_preference", 2),
        ("unsubscribe", "deny", 1),
    )


def test_the_report_fails_below_a_floor_and_draws_its_chart(tmp_path):
    cv = results(tmp_path / "cv", 0.76, ERRORS)
    held = results(tmp_path / "held", 0.95, ERRORS[:1])
    floors = tmp_path / "floors.yml"
    floors.write_text("cross_validation: 0.78\nheld_out: 0.9\n", encoding="utf-8")
    chart = tmp_path / "chart.png"
    run = CliRunner().invoke(
        cli,
        [
            "nlu-report",
            str(cv),
            str(held),
            "--floors",
            str(floors),
            "--chart",
            str(chart),
        ],
    )
    assert run.exit_code == 1 and "below the floor: 交叉验证" in run.output
    assert "2  ask_preferences -> note_preference" in run.output
    assert chart.stat().st_size > 10_000
    floors.write_text("cross_validation: 0.75\nheld_out: 0.9\n", encoding="utf-8")
    again = CliRunner().invoke(
        cli, ["nlu-report", str(cv), str(held), "--floors", str(floors)]
    )
    assert again.exit_code == 0, again.output


def test_a_chart_of_a_run_without_errors(tmp_path):
    clean = read_evaluation("留出集", results(tmp_path / "ok", 1.0, []))
    save_confusion_chart([clean], tmp_path / "c.png")
    assert (tmp_path / "c.png").exists()
