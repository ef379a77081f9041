"""The recommender comparison as a text table and a grouped bar chart."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.recommend.offline import Comparison
from bot.reports.fonts import use_cjk_font


def metric_names(comparison: Comparison) -> list[str]:
    k = comparison.k
    return [f"hit_rate@{k}", f"recall@{k}", f"ndcg@{k}", "coverage"]


def comparison_table(comparison: Comparison, baseline: str = "popularity") -> str:
    metrics = metric_names(comparison)
    recall = f"recall@{comparison.k}"
    base = comparison.results[baseline][recall]
    lines = [
        f"train customers {comparison.train_customers}, "
        f"test customers {comparison.test_customers}, "
        f"items {comparison.items}, holdout {comparison.holdout_days} days",
        f"{'recommender':<12}"
        + "".join(f"{m:>13}" for m in metrics)
        + f"{'x ' + baseline:>15}",
    ]
    for name, result in comparison.results.items():
        ratio = result[recall] / base if base else float("nan")
        cells = "".join(f"{result[m]:>13.4f}" for m in metrics)
        lines.append(f"{name:<12}{cells}{ratio:>15.2f}")
    if comparison.chosen:
        lines.append(
            f"settings chosen on the last {comparison.holdout_days} days "
            "of the training period (NDCG, then Recall):"
        )
        lines += [f"  {name:<12}{how}" for name, how in comparison.chosen.items()]
    return "\n".join(lines)


def save_comparison_chart(comparison: Comparison, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_cjk_font(plt)
    metrics = metric_names(comparison)
    names = list(comparison.results)
    width = 0.8 / len(names)
    x = np.arange(len(metrics))
    fig, ax = plt.subplots(figsize=(9, 5))
    for n, name in enumerate(names):
        values = [comparison.results[name][m] for m in metrics]
        bars = ax.bar(x + n * width, values, width, label=name)
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    ax.set_xticks(x + width * (len(names) - 1) / 2, labels=metrics)
    ax.set_ylim(0, 1)
    ax.set_ylabel("测试顾客的平均值")
    ax.set_title(
        f"推荐算法对比：最近{comparison.holdout_days}天留作验证"
        f"（{comparison.test_customers}位测试顾客，{comparison.items}件商品）"
    )
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
