"""Care outcomes as a table and a chart: conversion of messages sent vs the holdout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.reports.fonts import use_cjk_font
from bot.services.care_report import CareOutcomes


def outcomes_table(report: CareOutcomes) -> str:
    lines = [
        f"care messages of the last {report.days} days; converted = ordered within "
        f"{report.conversion_days} days; replied = wrote on WeChat within "
        f"{report.reply_hours} hours; uplift = sent rate - holdout rate (points)"
    ]
    for grouping, rows in report.by.items():
        lines.append(f"\nby {grouping}:")
        lines.append(
            f"  {'':<20}{'sent':>7}{'replied':>9}{'conv':>7}{'rate':>8}"
            f"{'holdout':>9}{'conv':>7}{'rate':>8}{'uplift':>9}"
        )
        for r in rows:
            uplift = "-" if r.uplift is None else f"{r.uplift:+.1f}"
            lines.append(
                f"  {r.group:<20}{r.sent:>7}{r.replied:>9}"
                f"{r.converted:>7}{r.rate:>8.1%}"
                f"{r.holdout:>9}{r.holdout_converted:>7}{r.holdout_rate:>8.1%}"
                f"{uplift:>9}"
            )
        if not rows:
            lines.append("  (none)")
    return "\n".join(lines)


def save_outcomes_chart(report: CareOutcomes, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_cjk_font(plt)
    rows = report.by["trigger"]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    sent = ax.bar(
        x - 0.2, [r.rate for r in rows], 0.4, label="已发送", color="tab:blue"
    )
    held = ax.bar(
        x + 0.2,
        [r.holdout_rate for r in rows],
        0.4,
        label="对照组（未发送）",
        color="tab:orange",
    )
    ax.bar_label(sent, labels=[f"{r.converted}/{r.sent}" for r in rows], fontsize=7)
    ax.bar_label(
        held, labels=[f"{r.holdout_converted}/{r.holdout}" for r in rows], fontsize=7
    )
    ax.set_xticks(x, labels=[r.group for r in rows])
    ax.set_ylabel(f"{report.conversion_days}天内下单的比例")
    ax.set_title(f"最近{report.days}天的关怀消息：发送 vs 对照组")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
