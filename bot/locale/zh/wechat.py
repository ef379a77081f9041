"""What clerks read about a customer's WeChat window and a care message's route."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.care.routes import Window
from bot.timeutil import local_datetime

ROUTE_LABELS = {
    "customer_service": "客服消息",
    "template": "模板消息",
    "subscribe": "订阅通知",
    "associate": "店员发送",
    "none": "不发送",
}
REASON_LABELS = {
    "window_open": "她的客服窗口开着",
    "subscribed": "她订阅了这条通知",
    "service_notice": "服务通知",
    "marketing": "营销内容不能用模板消息",
    "no_template": "没有配置模板",
    "no_wechat": "没有绑定微信",
    "not_following": "她已取消关注公众号",
    "template_field": "内容放不进模板字段",
    "template_refused": "微信拒收了模板消息",
    "not_subscribed": "她的订阅已用完",
    "no_consent": "她已退订",
}


def _at(moment: dt.datetime, tz: ZoneInfo) -> str:
    local = local_datetime(moment, tz)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def window_note(window: Window | None, now: dt.datetime, tz: ZoneInfo) -> str:
    """'还能回复 3 条，窗口 12月2日 10:00 关闭' or why replies cannot go out."""
    if window is None:
        return "她还没有在微信上发过消息，微信不允许主动发客服消息"
    if not window.is_open(now):
        return (
            f"她的微信客服窗口已在 {_at(window.closes_at, tz)} 关闭，现在回复微信会拒收"
        )
    left = window.left(now)
    if left == 0:
        return "这个窗口里微信允许的消息已经发完，等她再发消息才能回复"
    return f"还能回复 {left} 条，窗口 {_at(window.closes_at, tz)} 关闭"


def route_label(route: str | None, reason: str | None) -> str:
    if not route:
        return ""
    label = ROUTE_LABELS.get(route, route)
    why = REASON_LABELS.get(reason or "", reason or "")
    return f"{label}（{why}）" if why else label
