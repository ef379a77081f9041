"""The day a clerk means: "三天后", "明天", "下周一", "半个月后", "月底", "12月3日"."""

from __future__ import annotations

import calendar
import datetime as dt
import re

DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
NUMBER = r"(\d+|[零一二两三四五六七八九十]+)"
UNITS = {"天": 1, "日": 1, "周": 7, "星期": 7, "个星期": 7, "礼拜": 7, "个礼拜": 7}
MAX_DAYS = 366


def number(text: str) -> int | None:
    """Arabic or Chinese numerals up to 99: "3", "三", "十", "十五", "二十", "两"."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, units = text.partition("十")
        value = (DIGITS.get(tens, 0) if tens else 1) * 10
        return value + (DIGITS.get(units, 0) if units else 0)
    if len(text) == 1 and text in DIGITS:
        return DIGITS[text]
    return None


def parse_day(text: str, today: dt.date) -> dt.date | None:
    """The first day named in `text`, on or after `today`; None if none or too far."""
    day = _parse(text, today)
    if day is None or not today <= day <= today + dt.timedelta(days=MAX_DAYS):
        return None
    return day


def _parse(text: str, today: dt.date) -> dt.date | None:
    for word, days in (("大后天", 3), ("后天", 2), ("明天", 1), ("今天", 0)):
        if word in text:
            return today + dt.timedelta(days=days)
    if "半个月" in text:
        return today + dt.timedelta(days=15)
    if match := re.search(NUMBER + r"个?月(?:后|之后|以后)", text):
        months = number(match.group(1))
        return _add_months(today, months) if months else None
    if match := re.search(
        NUMBER + r"(个星期|个礼拜|星期|礼拜|周|天|日)(?:后|之后|以后)", text
    ):
        count = number(match.group(1))
        return (
            today + dt.timedelta(days=count * UNITS[match.group(2)]) if count else None
        )
    if match := re.search(r"下(?:个)?(?:周|星期|礼拜)([一二三四五六日天])", text):
        monday = today + dt.timedelta(days=7 - today.weekday())
        return monday + dt.timedelta(days=WEEKDAYS[match.group(1)])
    if re.search(r"下(?:个)?(?:周|星期|礼拜)", text):
        return today + dt.timedelta(days=7)
    if "下个月" in text:
        return _add_months(today, 1)
    if match := re.search(r"(?:周|星期|礼拜)([一二三四五六日天])", text):
        ahead = (WEEKDAYS[match.group(1)] - today.weekday()) % 7 or 7
        return today + dt.timedelta(days=ahead)
    if "月底" in text:
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if match := re.search(NUMBER + r"月" + NUMBER + r"[日号]", text):
        month, day = number(match.group(1)), number(match.group(2))
        return _next_date(today, month, day)
    return None


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_date(today: dt.date, month: int | None, day: int | None) -> dt.date | None:
    if not month or not day:
        return None
    for year in (today.year, today.year + 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None
