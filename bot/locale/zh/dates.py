"""The day a clerk means: "三天后", "明天", "下周一", "半个月后", "月底", "12月3日".

Numerals, Arabic or Chinese ("15", "十五", "两", "二十一"), are read by `cn2an`; the
expressions themselves are a small grammar of the forms shop assistants type, each
resolved to one calendar day (a reminder needs a day, not a span). Libraries that
parse Chinese time expressions were tried and left out (see the README): `jionlp`
answers spans for weeks and months and misses "月底"/"下个月", `dateparser` misreads
"下周三" and most relative forms.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import cn2an

NUMERAL = r"(\d{1,3}|[零〇一二两三四五六七八九十百]{1,4})"
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
WEEK = r"(?:周|星期|礼拜)"
UNITS = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7}
AFTER = r"(?:后|之后|以后|过后)"
MAX_DAYS = 366
NAMED_DAYS = (("大后天", 3), ("后天", 2), ("明天", 1), ("明日", 1), ("今天", 0))


def number(text: str) -> int | None:
    """Arabic or Chinese numerals: "3", "三", "十", "十五", "二十", "两", "一百"."""
    if text.isdigit():
        return int(text)
    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError):
        return None
    return int(value) if float(value).is_integer() else None


def parse_day(text: str, today: dt.date) -> dt.date | None:
    """The first day named in `text`, on or after `today`; None if none, impossible
    or more than a year ahead."""
    day = _parse(text, today)
    if day is None or not today <= day <= today + dt.timedelta(days=MAX_DAYS):
        return None
    return day


def _parse(text: str, today: dt.date) -> dt.date | None:
    for parser in PARSERS:
        found, day = parser(text, today)
        if found:
            return day
    return None


def _named(text: str, today: dt.date):
    for word, days in NAMED_DAYS:
        if word in text:
            return True, today + dt.timedelta(days=days)
    return False, None


def _full_date(text: str, today: dt.date):
    match = re.search(
        r"(\d{4}|[零〇一二三四五六七八九]{4})年"
        + NUMERAL
        + r"月"
        + NUMERAL
        + r"[日号]?",
        text,
    )
    if not match:
        return False, None
    year = _year(match.group(1))
    month, day = number(match.group(2)), number(match.group(3))
    return True, _date(year, month, day)


def _half_month(text: str, today: dt.date):
    if re.search(r"半个?月" + AFTER, text):
        return True, today + dt.timedelta(days=15)
    return False, None


def _months_after(text: str, today: dt.date):
    if match := re.search(NUMERAL + r"个(?:半)?月" + AFTER, text):
        months = number(match.group(1))
        if not months:
            return True, None
        day = _add_months(today, months)
        if "半" in match.group(0):
            day += dt.timedelta(days=15)
        return True, day
    return False, None


def _days_or_weeks_after(text: str, today: dt.date):
    pattern = NUMERAL + r"个?(星期|礼拜|周|天|日)(半)?" + AFTER
    if match := re.search(pattern, text):
        count = number(match.group(1))
        if not count:
            return True, None
        days = count * UNITS[match.group(2)]
        if match.group(3):
            days += UNITS[match.group(2)] // 2
        return True, today + dt.timedelta(days=days)
    return False, None


def _week_after_next(text: str, today: dt.date):
    if match := re.search(r"下下(?:个)?" + WEEK + r"([一二三四五六日天])?", text):
        monday = _next_monday(today) + dt.timedelta(days=7)
        offset = WEEKDAYS[match.group(1)] if match.group(1) else today.weekday()
        return True, monday + dt.timedelta(days=offset)
    return False, None


def _next_week(text: str, today: dt.date):
    if match := re.search(r"下(?:个)?" + WEEK + r"([一二三四五六日天])?", text):
        if match.group(1):
            return True, _next_monday(today) + dt.timedelta(
                days=WEEKDAYS[match.group(1)]
            )
        return True, today + dt.timedelta(days=7)
    return False, None


def _month_end(text: str, today: dt.date):
    if re.search(r"下(?:个)?月(?:底|末)", text):
        first = _add_months(today.replace(day=1), 1)
        return True, first.replace(day=_last_day(first.year, first.month))
    if "月底" in text or "月末" in text:
        return True, today.replace(day=_last_day(today.year, today.month))
    return False, None


def _next_month(text: str, today: dt.date):
    if match := re.search(r"下(?:个)?月" + NUMERAL + r"[日号]", text):
        first = _add_months(today.replace(day=1), 1)
        return True, _date(first.year, first.month, number(match.group(1)))
    if "下个月" in text or "下月" in text:
        return True, _add_months(today, 1)
    return False, None


def _this_week(text: str, today: dt.date):
    if match := re.search(r"(这|本)(?:个)?" + WEEK + r"([一二三四五六日天])", text):
        monday = today - dt.timedelta(days=today.weekday())
        return True, monday + dt.timedelta(days=WEEKDAYS[match.group(2)])
    if match := re.search(WEEK + r"([一二三四五六日天])", text):
        ahead = (WEEKDAYS[match.group(1)] - today.weekday()) % 7 or 7
        return True, today + dt.timedelta(days=ahead)
    return False, None


def _month_day(text: str, today: dt.date):
    match = re.search(NUMERAL + r"月" + NUMERAL + r"[日号]?", text) or re.search(
        r"(?<!\d)(\d{1,2})[/.](\d{1,2})(?!\d)", text
    )
    if not match:
        return False, None
    month, day = number(match.group(1)), number(match.group(2))
    return True, _next_date(today, month, day)


def _day_of_month(text: str, today: dt.date):
    """ "10号": this month if it is still ahead, else next month."""
    if match := re.search(r"(?<![\d月])" + NUMERAL + r"[号日](?!子)", text):
        day = number(match.group(1))
        if not day or day > 31:
            return True, None
        this = _date(today.year, today.month, day)
        if this is not None and this >= today:
            return True, this
        first = _add_months(today.replace(day=1), 1)
        return True, _date(first.year, first.month, day)
    return False, None


PARSERS = (
    _named,
    _full_date,
    _months_after,
    _half_month,
    _days_or_weeks_after,
    _week_after_next,
    _next_week,
    _month_end,
    _next_month,
    _this_week,
    _month_day,
    _day_of_month,
)


def _year(text: str) -> int:
    if text.isdigit():
        return int(text)
    return int("".join(str(number(c) or 0) for c in text))


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, _last_day(year, month)))


def _date(year: int, month: int | None, day: int | None) -> dt.date | None:
    if not month or not day:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _next_date(today: dt.date, month: int | None, day: int | None) -> dt.date | None:
    """Month and day without a year: this year's if still ahead, else next year's."""
    if not month or not day:
        return None
    for year in (today.year, today.year + 1):
        candidate = _date(year, month, day)
        if candidate is None:
            continue
        if candidate >= today:
            return candidate
    return None


def long_date(day: dt.date) -> str:
    """2026-11-30 -> 2026年11月30日 (as WeChat's `time` and `date` keywords take it)."""
    return f"{day.year}年{day.month}月{day.day}日"
