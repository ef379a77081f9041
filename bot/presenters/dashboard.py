"""The dashboard's figures as chart data for the browser: Chinese titles, axis and
series names, what to say when a chart is empty and why, and for each bar the
filters of the conversation list it drills down to."""

from __future__ import annotations

from typing import Any

from bot.locale.zh.intents import channel_label, intent_label
from bot.locale.zh.labels import kind_label, trigger_label
from bot.services.dashboard import (
    CareFigures,
    ConversationFigures,
    MigrationFigures,
    SegmentFigures,
)
from bot.services.recommendation_report import AcceptanceReport


def conversations_chart(figures: ConversationFigures) -> dict[str, Any]:
    days = [
        (figures.start.fromordinal(n)).isoformat()
        for n in range(figures.start.toordinal(), figures.end.toordinal() + 1)
    ]
    channels = sorted({d.channel for d in figures.days})
    cells = {(d.day.isoformat(), d.channel): d for d in figures.days}
    series = [
        {
            "name": channel_label(channel),
            "key": channel,
            "data": [
                cells[(day, channel)].conversations if (day, channel) in cells else 0
                for day in days
            ],
        }
        for channel in channels
    ]
    totals = [sum(s["data"][k] for s in series) for k in range(len(days))]
    fallbacks = [
        sum(d.fallback for d in figures.days if d.day.isoformat() == day)
        for day in days
    ]
    handoffs = [
        sum(d.handoff for d in figures.days if d.day.isoformat() == day) for day in days
    ]
    return {
        "title": "每天的对话数（按渠道）",
        "empty": None if figures.total else "所选日期和门店没有对话",
        "days": days,
        "series": series,
        "rates": {
            "title": "没听懂和转人工的比例",
            "fallback": [_share(f, n) for f, n in zip(fallbacks, totals, strict=True)],
            "handoff": [_share(h, n) for h, n in zip(handoffs, totals, strict=True)],
            "names": {"fallback": "没听懂", "handoff": "转人工"},
        },
        "intents": {
            "title": f"最常见的{len(figures.intents)}个意图",
            "labels": [intent_label(i) for i, _ in figures.intents],
            "keys": [i for i, _ in figures.intents],
            "counts": [n for _, n in figures.intents],
        },
        "axis": {"x": "日期", "y": "对话数", "rate": "占当天对话"},
    }


def recommendations_chart(report: AcceptanceReport) -> dict[str, Any]:
    rows = report.by.get("kind", ())
    shown = sum(r.shown for r in rows)
    return {
        "title": f"推荐采纳（{report.days}天内，按推荐类型）",
        "empty": None if shown else "所选日期和门店没有推荐记录",
        "labels": [kind_label(r.group) for r in rows],
        "series": [
            {"name": "买了", "data": [r.bought for r in rows]},
            {"name": "不要", "data": [r.declined for r in rows]},
            {
                "name": "未记录结果",
                "data": [r.shown - r.bought - r.declined for r in rows],
            },
        ],
        "rates": [round(r.rate, 4) for r in rows],
        "axis": {"y": "推荐次数"},
    }


def care_chart(figures: CareFigures) -> dict[str, Any]:
    report = figures.outcomes
    rows = report.by.get("trigger", ())
    if figures.sent:
        empty = None
    elif figures.pending:
        empty = (
            f"最近{report.days}天还没有发出关怀消息；"
            f"已计划 {figures.pending} 条，等待发送"
        )
    else:
        empty = f"最近{report.days}天没有关怀消息：先运行 salesbot care plan"
    return {
        "title": f"关怀消息：{report.conversion_days}天内下单的比例，发送 vs 对照组",
        "empty": empty,
        "labels": [trigger_label(r.group) for r in rows],
        "series": [
            {
                "name": "已发送",
                "data": [round(r.rate, 4) for r in rows],
                "counts": [[r.converted, r.sent] for r in rows],
            },
            {
                "name": "对照组（未发送）",
                "data": [round(r.holdout_rate, 4) for r in rows],
                "counts": [[r.holdout_converted, r.holdout] for r in rows],
            },
        ],
        "uplift": [None if r.uplift is None else round(r.uplift, 1) for r in rows],
        "axis": {"y": "下单比例"},
    }


def segments_chart(figures: SegmentFigures, names: dict[str, str]) -> dict[str, Any]:
    return {
        "title": "客群分布"
        + (f"（{figures.as_of.isoformat()} 的快照）" if figures.as_of else ""),
        "empty": None
        if figures.counts
        else "还没有分群快照：先运行 salesbot segment"
        if figures.as_of is None
        else "这家门店的顾客不在快照里",
        "labels": [names.get(k, k) for k, _ in figures.counts],
        "keys": [k for k, _ in figures.counts],
        "counts": [n for _, n in figures.counts],
        "axis": {"y": "顾客数"},
    }


def migration_chart(
    figures: MigrationFigures, order: list[str], names: dict[str, str]
) -> dict[str, Any]:
    if figures.before is None:
        only = figures.after.isoformat() if figures.after else None
        empty = (
            f"只有一次分群快照（{only}），至少两次才能看顾客在客群间的迁移"
            if only
            else "还没有分群快照：先运行 salesbot segment"
        )
        return {"title": "客群迁移", "empty": empty}
    seen = {a for a, _, _ in figures.pairs} | {b for _, b, _ in figures.pairs}
    keys = [k for k in order if k in seen] + sorted(seen - set(order))
    index = {k: n for n, k in enumerate(keys)}
    before, after = figures.before.isoformat(), figures.after.isoformat()
    return {
        "title": f"客群迁移：{before} → {after}",
        "empty": None if figures.pairs else "两次快照里没有共同的顾客",
        "labels": [names.get(k, k) for k in keys],
        "cells": [[index[b], index[a], n] for a, b, n in figures.pairs],
        "max": max((n for _, _, n in figures.pairs), default=0),
        "axis": {
            "x": f"{figures.after.isoformat()} 的客群",
            "y": f"{figures.before.isoformat()} 的客群",
        },
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
