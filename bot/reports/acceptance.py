"""The recommendation acceptance report as text and as bar charts."""

from __future__ import annotations

from pathlib import Path

from bot.reports.fonts import use_cjk_font
from bot.services.recommendation_report import AcceptanceReport

GROUPINGS = {"kind": "推荐类型", "segment": "客群", "store": "门店"}


def acceptance_table(report: AcceptanceReport) -> str:
    lines = [f"suggestions of the last {report.days} days"]
    for grouping, rows in report.by.items():
        lines.append(f"\nby {grouping}:")
        lines.append(f"  {'':<16}{'shown':>8}{'bought':>8}{'declined':>9}{'rate':>8}")
        for row in rows:
            lines.append(
                f"  {row.group:<16}{row.shown:>8}{row.bought:>8}"
                f"{row.declined:>9}{row.rate:>8.1%}"
            )
        if not rows:
            lines.append("  (none)")
    return "\n".join(lines)


def save_acceptance_chart(report: AcceptanceReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_cjk_font(plt)
    fig, axes = plt.subplots(1, len(report.by), figsize=(4 * len(report.by), 4.5))
    for ax, (grouping, rows) in zip(axes, report.by.items(), strict=True):
        labels = [row.group for row in rows]
        bars = ax.bar(labels, [row.rate for row in rows], color="tab:green")
        ax.bar_label(bars, labels=[f"{r.bought}/{r.shown}" for r in rows], fontsize=7)
        ax.set_title(f"按{GROUPINGS.get(grouping, grouping)}的采纳率")
        ax.set_ylim(0, 1)
        ax.tick_params(axis="x", rotation=45, labelsize=7)
    axes[0].set_ylabel("买了 / 推荐")
    fig.suptitle(f"最近{report.days}天的推荐")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
