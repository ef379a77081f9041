"""Why a lifetime-value fit was not used, in words a manager reads."""

from __future__ import annotations

PROBLEMS = {
    "optimiser_failed": "拟合没有收敛",
    "at_bounds": "参数落在边界上",
    "no_dropout": "拟合结果是没有人会流失",
    "singular": "参数处在不稳定点",
    "few_repeat_buyers": "复购顾客太少",
    "few_buyers": "有购买的顾客太少",
}


def basis_note(clv: dict) -> str:
    """'' for a trusted BG/NBD fit; otherwise what was used instead and why."""
    if clv.get("model", "bgnbd") == "bgnbd":
        return ""
    reasons = "、".join(PROBLEMS.get(p, p) for p in clv.get("problems", ())) or "未知"
    return f"（BG/NBD模型在这份数据上不可用：{reasons}；按她的购买节奏估计）"
