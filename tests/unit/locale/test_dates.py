import datetime as dt

import pytest

from bot.locale.zh.dates import number, parse_day

TODAY = dt.date(2026, 11, 25)  # a Wednesday
YEAR_END = dt.date(2026, 12, 28)  # a Monday, four days before the new year


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三天后提醒她保养大衣", dt.date(2026, 11, 28)),
        ("3天后", dt.date(2026, 11, 28)),
        ("３天后", dt.date(2026, 11, 28)),  # full-width digits
        ("十天后提醒她来店里看新品", dt.date(2026, 12, 5)),
        ("十五天以后", dt.date(2026, 12, 10)),
        ("二十天后", dt.date(2026, 12, 15)),
        ("一周后给她发个保养提醒", dt.date(2026, 12, 2)),
        ("两周后提醒她护理皮鞋", dt.date(2026, 12, 9)),
        ("2周后", dt.date(2026, 12, 9)),
        ("两个星期以后", dt.date(2026, 12, 9)),
        ("三个礼拜之后", dt.date(2026, 12, 16)),
        ("一个半月后", dt.date(2027, 1, 9)),
        ("半个月后提醒她补货面霜", dt.date(2026, 12, 10)),
        ("半月后", dt.date(2026, 12, 10)),
        ("明天回访", dt.date(2026, 11, 26)),
        ("后天提醒我跟进她", dt.date(2026, 11, 27)),
        ("大后天", dt.date(2026, 11, 28)),
        ("今天下午提醒我", dt.date(2026, 11, 25)),
        ("帮我定个下周一的回访", dt.date(2026, 11, 30)),
        ("下周日", dt.date(2026, 12, 6)),
        ("下个星期三", dt.date(2026, 12, 2)),
        ("下礼拜五", dt.date(2026, 12, 4)),
        ("下周提醒我给她打电话", dt.date(2026, 12, 2)),
        ("下下周一", dt.date(2026, 12, 7)),
        ("周五提醒她", dt.date(2026, 11, 27)),
        ("星期三", dt.date(2026, 12, 2)),
        ("这周五", dt.date(2026, 11, 27)),
        ("本周六", dt.date(2026, 11, 28)),
        ("月底给她发个关怀", dt.date(2026, 11, 30)),
        ("月末", dt.date(2026, 11, 30)),
        ("下个月底", dt.date(2026, 12, 31)),
        ("下个月提醒她精华快用完了", dt.date(2026, 12, 25)),
        ("下个月5号", dt.date(2026, 12, 5)),
        ("两个月后", dt.date(2027, 1, 25)),
        ("3个月后", dt.date(2027, 2, 25)),
        ("12月3日提醒她", dt.date(2026, 12, 3)),
        ("12月10号提醒她来取改好的裤子", dt.date(2026, 12, 10)),
        ("十二月十号", dt.date(2026, 12, 10)),
        ("1月5号", dt.date(2027, 1, 5)),
        ("11月1日", dt.date(2027, 11, 1)),  # passed this year: next year's
        ("12/24", dt.date(2026, 12, 24)),
        ("2027年1月8日", dt.date(2027, 1, 8)),
        ("30号", dt.date(2026, 11, 30)),
        ("10号提醒她", dt.date(2026, 12, 10)),  # the 10th has passed this month
        ("二十六号", dt.date(2026, 11, 26)),
    ],
)
def test_the_day_a_clerk_means(text, expected):
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一周后", dt.date(2027, 1, 4)),
        ("下周三", dt.date(2027, 1, 6)),
        ("月底", dt.date(2026, 12, 31)),
        ("下个月", dt.date(2027, 1, 28)),
        ("下个月底", dt.date(2027, 1, 31)),
        ("1月3号", dt.date(2027, 1, 3)),
        ("5号", dt.date(2027, 1, 5)),
        ("大后天", dt.date(2026, 12, 31)),
        ("十天后", dt.date(2027, 1, 7)),
        ("周日", dt.date(2027, 1, 3)),
        ("两个月后", dt.date(2027, 2, 28)),
    ],
)
def test_across_the_year_end(text, expected):
    assert parse_day(text, YEAR_END) == expected


@pytest.mark.parametrize(
    "text",
    [
        "给她安排一条感谢消息",
        "2月30日",
        "五百天后",
        "0天后",
        "13月1日",
        "32号",
        "2025年1月1日",
        "她生日几号",
    ],
)
def test_no_day_or_an_impossible_one_is_none(text):
    assert parse_day(text, TODAY) is None


def test_leap_day_only_in_a_leap_year():
    assert parse_day("2月29日", dt.date(2027, 3, 1)) == dt.date(2028, 2, 29)
    assert parse_day("2027年2月29日", dt.date(2026, 12, 1)) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("三", 3), ("十", 10), ("十五", 15), ("二十一", 21), ("两", 2)],
)
def test_numerals(text, value):
    assert number(text) == value
