"""The NLU report: Rasa's own evaluation files read back, confusions counted and
charted, and the accuracy held against a floor (`make nlu-report`)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.reports.fonts import use_cjk_font


@dataclass(frozen=True)
class Evaluation:
    """One `rasa test nlu` run: intent accuracy, weighted F1, examples, and the
    (expected, predicted) pairs it got wrong with how often."""

    name: str
    accuracy: float
    f1: float
    support: int
    confusions: tuple[tuple[str, str, int], ...]


def read_evaluation(name: str, folder: Path) -> Evaluation:
    """From `intent_report.json` and `intent_errors.json` of a Rasa results folder."""
    report = json.loads((folder / "intent_report.json").read_text(encoding="utf-8"))
    errors_file = folder / "intent_errors.json"
    errors = (
        json.loads(errors_file.read_text(encoding="utf-8"))
        if errors_file.exists()
        else []
    )
    pairs = Counter(
        (e["intent"], (e.get("intent_prediction") or {}).get("name") or "-")
        for e in errors
    )
    weighted = report.get("weighted avg") or {}
    return Evaluation(
        name=name,
        accuracy=float(report["accuracy"]),
        f1=float(weighted.get("f1-score", 0.0)),
        support=int(weighted.get("support", 0)),
        confusions=tuple((a, b, n) for (a, b), n in pairs.most_common()),
    )


def below_floor(evaluation: Evaluation, floor: float) -> bool:
    return evaluation.accuracy < floor


def save_confusion_chart(evaluations: list[Evaluation], path: Path, top: int = 12):
    """Per evaluation, the most frequent confusions as horizontal bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    use_cjk_font(plt)
    fig, axes = plt.subplots(1, len(evaluations), figsize=(7 * len(evaluations), 5))
    for ax, evaluation in zip(
        axes if len(evaluations) > 1 else [axes], evaluations, strict=True
    ):
        pairs = list(evaluation.confusions[:top])[::-1]
        ax.barh(
            [f"{_label(a)} → {_label(b)}" for a, b, _ in pairs],
            [n for *_, n in pairs],
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(
            f"{evaluation.name}：准确率 {evaluation.accuracy:.1%}"
            f"（{evaluation.support} 句）\n最常见的意图混淆（应为 → 识别为）"
        )
        ax.set_xlabel("句数")
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _label(intent: str) -> str:
    """An intent as the clerk would say it ("看她喜欢什么"), else its name."""
    from bot.locale.zh.intents import CLERK, OTHER

    return CLERK.get(intent) or OTHER.get(intent) or intent
