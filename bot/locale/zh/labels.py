"""Chinese names of the keys managers see in reports: suggestion kinds, care
triggers. An unknown key shows as itself."""

from __future__ import annotations

KINDS = {"personal": "个性化推荐", "cross": "搭配推荐", "up": "升级推荐"}
TRIGGERS = {
    "thank_you": "购后感谢",
    "care_tip": "保养提示",
    "replenish": "补货提醒",
    "birthday": "生日关怀",
    "win_back": "唤回",
    "vip_perks": "会员权益",
    "new_arrival": "新品通知",
}


def kind_label(kind: str) -> str:
    return KINDS.get(kind, kind)


def trigger_label(trigger: str) -> str:
    return TRIGGERS.get(trigger, trigger)
