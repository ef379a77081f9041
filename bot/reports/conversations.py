"""Charts of the conversation logs for the managers' dashboard."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bot.locale.zh.intents import channel_label, intent_label
from bot.reports.fonts import use_cjk_font


def save_conversation_charts(rows: Sequence, path: Path) -> None:
    """Conversations per day and channel, fallback rate per day, top intents.
    `rows` are services.conversations.Row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_cjk_font(plt)
    days = sorted({r.started.date() for r in rows})
    channels = sorted({r.channel for r in rows})
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    bottom = [0] * len(days)
    for channel in channels:
        counts = [
            sum(1 for r in rows if r.channel == channel and r.started.date() == d)
            for d in days
        ]
        axes[0].bar(
            [d.isoformat()[5:] for d in days],
            counts,
            bottom=bottom,
            label=channel_label(channel),
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes[0].set_title("每天的对话数（按渠道）")
    axes[0].legend(fontsize=8)
    axes[0].tick_params(axis="x", rotation=45, labelsize=7)
    rates = []
    for d in days:
        those = [r for r in rows if r.started.date() == d]
        rates.append(sum(r.fallback for r in those) / len(those) if those else 0)
    axes[1].plot([d.isoformat()[5:] for d in days], rates, marker="o")
    axes[1].set_ylim(0, 1)
    axes[1].set_title("出现“没听懂”的对话比例")
    axes[1].tick_params(axis="x", rotation=45, labelsize=7)
    top = Counter(i for r in rows for i in r.intents).most_common(10)
    axes[2].barh(
        [intent_label(name) for name, _ in reversed(top)],
        [n for _, n in reversed(top)],
    )
    axes[2].set_title("最常见的意图（对话数）")
    axes[2].tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def save_segment_chart(counts: Sequence[tuple[str, int]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_cjk_font(plt)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bars = ax.bar([name for name, _ in counts], [n for _, n in counts])
    ax.bar_label(bars, fontsize=7)
    ax.set_title("各客群的顾客数（最新快照）")
    ax.tick_params(axis="x", rotation=45, labelsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
