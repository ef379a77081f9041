"""A snapshot in words: the fields of the segment, preference and strategy replies.

Every label comes with the evidence behind it, so a clerk can answer "为什么" herself.
"""

from __future__ import annotations

from typing import Any

from bot.customers.notes import Note
from bot.customers.present import listing
from bot.knowledge.schema import Currency, Playbook, Segments
from bot.locale.zh.clv import basis_note
from bot.locale.zh.money import estimate, money
from bot.locale.zh.numbers import chance
from bot.segments.playbook import by_key, word


def labels(snapshot: dict[str, Any], segments: Segments) -> dict[str, str]:
    known = segments.display_names()
    return {
        "segment": known["segment"].get(snapshot["segment"], snapshot["segment"]),
        "tier": known["tier"].get(snapshot["value_tier"], snapshot["value_tier"]),
        "lifecycle": known["lifecycle"].get(
            snapshot["lifecycle"], snapshot["lifecycle"]
        ),
    }


def segment_fields(
    name: str, snapshot: dict[str, Any], segments: Segments, currency: Currency
) -> dict[str, str]:
    """Slots of `say_customer_insight`: labels plus the evidence, one line each."""
    found = labels(snapshot, segments)
    details = snapshot.get("details") or {}
    if not details:
        evidence = "还没有购买记录。"
    else:
        evidence = "\n".join(
            [
                _rhythm(details),
                _rfm(snapshot, currency),
                _tier(details, currency),
                _clv(snapshot, currency),
            ]
        )
    return {
        "name": name,
        "segment": found["segment"],
        "tier": found["tier"],
        "lifecycle": found["lifecycle"],
        "as_of": snapshot["as_of"].isoformat(),
        "evidence": evidence,
    }


def _rhythm(details: dict) -> str:
    rhythm = details["rhythm"]
    basis = (
        f"按她{details['purchase_days']}次购买计算"
        if rhythm["own"]
        else "购买次数不多，按默认节奏估计"
    )
    return (
        f"· 最近一次购买在{details['days_since_last']}天前；她平时大约每"
        f"{rhythm['usual_gap']:.0f}天买一次（{basis}），超过{rhythm['at_risk_after']:.0f}天"
        f"算流失风险，超过{rhythm['churned_after']:.0f}天算已流失。"
    )


def _rfm(snapshot: dict, currency: Currency) -> str:
    return (
        f"· 共下单{snapshot['frequency']}次，"
        f"累计消费{money(snapshot['monetary_fen'], currency)}"
        f"（R{snapshot['r_score']} F{snapshot['f_score']} M{snapshot['m_score']}，"
        "按全体顾客五分位）。"
    )


def _tier(details: dict, currency: Currency) -> str:
    tier = details["tier"]
    per_purchase = money(tier["per_purchase_fen"], currency)
    return (
        f"· 价值分{tier['score']:.2f}："
        f"购买频次高于{chance(tier['frequency_pct'])}的顾客，"
        f"客单价{per_purchase}高于{chance(tier['per_purchase_pct'])}，"
        f"买过{tier['breadth']}个品类，高于{chance(tier['breadth_pct'])}。"
    )


def _clv(snapshot: dict, currency: Currency) -> str:
    clv = snapshot["details"]["clv"]
    return (
        f"· 预计未来12个月再买{clv['purchases_12m']:.1f}次，"
        f"约{estimate(snapshot['clv_fen'], currency)}；"
        f"仍是活跃顾客的概率{chance(clv['p_alive'])}。{basis_note(clv)}"
    )


def preference_fields(
    name: str, snapshot: dict | None, noted, band, currency: Currency
) -> dict[str, str]:
    """Slots of `say_customer_preferences`."""
    prefs = ((snapshot or {}).get("details") or {}).get("prefs") or {}
    return {
        "name": name,
        "categories": _shares(prefs.get("categories")),
        "brands": _shares(prefs.get("brands")),
        "price_band": (
            f"{money(band[0], currency)}–{money(band[1], currency)}" if band else "暂无"
        ),
        "promo": _affinity(prefs, "promo_share", "discount_seeker", "促销敏感型"),
        "new": _affinity(prefs, "new_share", "new_arrival_lover", "新品爱好者"),
        "noted": listing((Note(p.kind, p.value).label() for p in noted), empty="暂无"),
    }


def _shares(pairs) -> str:
    return listing(f"{name}（{share:.0%}）" for name, share in (pairs or []))


def _affinity(prefs: dict, share_key: str, flag_key: str, label: str) -> str:
    if share_key not in prefs:
        return "暂无"
    text = f"{prefs[share_key]:.0%}的消费"
    return f"{text}，属于{label}" if prefs.get(flag_key) else text


def strategy_fields(
    name: str, snapshot: dict[str, Any], segments: Segments, playbook: Playbook
) -> dict[str, str]:
    """Slots of `say_customer_strategy`."""
    prefs = (snapshot.get("details") or {}).get("prefs") or {}
    category = prefs["categories"][0][0] if prefs.get("categories") else None
    brand = prefs["brands"][0][0] if prefs.get("brands") else None
    strategy = by_key(playbook, snapshot.get("strategy") or "")
    offer, points = word(strategy, category, brand)
    found = labels(snapshot, segments)
    return {
        "name": name,
        "labels": f"{found['tier']}·{found['segment']}·{found['lifecycle']}",
        "strategy": strategy.name,
        "offer": offer,
        "talking_points": "\n".join(f"{i}. {p}" for i, p in enumerate(points, start=1)),
    }
