"""The recommender comparison as a text table and a grouped bar chart, and what
train-recommender chose."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.recommend.blend import SOURCES, BlendSettings
from bot.recommend.offline import CONTENDERS, Comparison
from bot.reports.fonts import use_cjk_font

VIEW_TITLES = {
    "new": "new items only (what she had not bought before)",
    "all": "all purchases (buying again counts)",
}
CHART_VIEWS = {"new": "只算她没买过的商品", "all": "算她买的所有商品（含回购）"}
CHART_NAMES = {
    "popularity": "热销榜",
    "item-knn": "相似商品 (item-KNN)",
    "ease": "EASE",
    "als": "ALS 矩阵分解",
    "rules": "关联规则",
    "again": "再次购买",
    "blended": "混合推荐（本系统）",
}
CHART_METRICS = {
    "hit_rate": "命中率",
    "recall": "召回率",
    "ndcg": "NDCG",
    "coverage": "覆盖率",
}


def metric_names(comparison: Comparison) -> list[str]:
    k = comparison.k
    return [f"hit_rate@{k}", f"recall@{k}", f"ndcg@{k}", "coverage"]


def comparison_table(comparison: Comparison, baseline: str = "popularity") -> str:
    metrics = metric_names(comparison)
    recall = f"recall@{comparison.k}"
    base = comparison.results[baseline][recall]
    lines = [
        f"view: {VIEW_TITLES.get(comparison.view, comparison.view)}",
        f"train customers {comparison.train_customers}, "
        f"test customers {comparison.test_customers}, "
        f"items {comparison.items}, holdout {comparison.holdout_days} days",
        f"{'recommender':<12}"
        + "".join(f"{m:>13}" for m in metrics)
        + f"{'x ' + baseline:>15}"
        + f"{'seconds':>9}",
    ]
    for name, result in comparison.results.items():
        ratio = result[recall] / base if base else float("nan")
        cells = "".join(f"{result[m]:>13.4f}" for m in metrics)
        took = comparison.seconds.get(name, float("nan"))
        lines.append(f"{name:<12}{cells}{ratio:>15.2f}{took:>9.1f}")
    if comparison.chosen:
        lines.append(
            f"settings chosen on the last {comparison.holdout_days} days "
            "of the training period (NDCG, then Recall):"
        )
        lines += [f"  {name:<12}{how}" for name, how in comparison.chosen.items()]
    return "\n".join(lines)


def describe_learning(learning: dict, settings: BlendSettings) -> str:
    """One line on the weights a model was trained with and why."""
    weights = " / ".join(
        f"{source} {settings.weight(source):g}"
        for source in SOURCES
        if settings.weight(source) > 0
    )
    if not learning.get("chosen"):
        return f"weights {weights} as configured ({learning.get('why', 'not chosen')})"
    scores, before = learning["validation"], learning.get("started_scores", {})
    k = next(name for name in scores if name.startswith("ndcg@")).split("@")[1]
    line = (
        f"weights {weights} chosen on the last {learning['validation_days']} days "
        f"({learning['view']} view, {learning['customers']} customers, "
        f"{learning['tried']} weightings tried, {learning['seconds']:.1f}s): "
        f"NDCG@{k} {scores[f'ndcg@{k}']:.4f}, Recall@{k} {scores[f'recall@{k}']:.4f}"
    )
    if before:
        line += (
            f"; the configured weights scored NDCG@{k} {before[f'ndcg@{k}']:.4f}, "
            f"Recall@{k} {before[f'recall@{k}']:.4f}"
        )
    return line


def save_comparison_chart(comparisons: Sequence[Comparison], path: Path) -> None:
    """One panel per view, a bar per recommender and metric, labelled in Chinese."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_cjk_font(plt)
    fig, axes = plt.subplots(
        len(comparisons), 1, figsize=(10, 4.8 * len(comparisons)), squeeze=False
    )
    for ax, comparison in zip(axes[:, 0], comparisons, strict=True):
        _panel(ax, comparison)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def _panel(ax, comparison: Comparison) -> None:
    metrics = metric_names(comparison)
    names = list(comparison.results)
    width = 0.8 / len(names)
    x = np.arange(len(metrics))
    colours = {
        name: f"C{n}" for n, name in enumerate(CONTENDERS)
    }  # same in every panel
    for n, name in enumerate(names):
        values = [comparison.results[name][m] for m in metrics]
        bars = ax.bar(
            x + n * width,
            values,
            width,
            label=CHART_NAMES.get(name, name),
            color=colours.get(name),
        )
        ax.bar_label(bars, fmt="%.3f", fontsize=6)
    labels = [
        CHART_METRICS[m.split("@")[0]] + (f"@{m.split('@')[1]}" if "@" in m else "")
        for m in metrics
    ]
    ax.set_xticks(x + width * (len(names) - 1) / 2, labels=labels)
    ax.set_ylim(0, 1.25)  # room for the legend above the bars
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("测试顾客的平均值")
    ax.set_title(
        f"推荐算法对比（{CHART_VIEWS.get(comparison.view, comparison.view)}）："
        f"最近{comparison.holdout_days}天留作测试"
        f"（{comparison.test_customers}位测试顾客，{comparison.items}件商品）"
    )
    ax.legend(fontsize=8, ncol=4, loc="upper center")
