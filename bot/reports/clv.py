"""The CLV holdout check as a table and a chart (Chinese labels)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.locale.zh.clv import PROBLEMS
from bot.reports.fonts import use_cjk_font
from bot.segments.clv_check import HoldoutCheck


def check_table(check: HoldoutCheck, unit: str = "weeks") -> str:
    params = ", ".join(f"{k} = {v:.3f}" for k, v in check.params.items())
    verdict = (
        "fit usable"
        if not check.problems
        else "fit NOT usable: "
        + ", ".join(f"{p} ({PROBLEMS.get(p, p)})" for p in check.problems)
    )
    lines = [
        f"BG/NBD on {check.customers} customers, calibration "
        f"{check.calibration_units:.1f} {unit}, "
        f"holdout {check.holdout_units:.1f} {unit}",
        f"parameters: {params}",
        verdict,
        f"repeat purchases in the calibration period: {check.calibration_repeats}",
        f"holdout repeat purchases: actual {check.actual_total}, "
        f"predicted {check.predicted_total:.1f} ({check.error:+.1%})",
        "",
        f"  {'repeats in calibration':<24}{'customers':>10}{'actual':>9}"
        f"{'predicted':>11}",
    ]
    for g in check.groups:
        lines.append(
            f"  {g.label:<24}{g.customers:>10}{g.actual:>9.2f}{g.predicted:>11.2f}"
        )
    return "\n".join(lines)


def save_check_chart(check: HoldoutCheck, path: Path) -> None:
    """Mean holdout purchases per calibration frequency group, actual vs predicted
    (Fader, Hardie and Lee 2005, Figure 5)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_cjk_font(plt)
    x = np.arange(len(check.groups))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(x, [g.actual for g in check.groups], "o-", label="实际")
    ax.plot(x, [g.predicted for g in check.groups], "s--", label="模型预测 (BG/NBD)")
    ax.set_xticks(x, labels=[g.label for g in check.groups])
    ax.set_xlabel("校准期内的复购次数")
    ax.set_ylabel("验证期人均复购次数")
    ax.set_title(
        f"CLV 验证：实际 {check.actual_total} 次，预测 {check.predicted_total:.0f} 次"
        f"（{check.error:+.1%}）"
    )
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
