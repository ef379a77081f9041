import datetime as dt

import pytest

from bot.care.when import number, parse_day

TODAY = dt.date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三天后提醒她保养大衣", dt.date(2026, 11, 28)),
        ("3天后", dt.date(2026, 11, 28)),
        ("十天后提醒她来店里看新品", dt.date(2026, 12, 5)),
        ("一周后给她发个保养提醒", dt.date(2026, 12, 2)),
        ("两周后提醒她护理皮鞋", dt.date(2026, 12, 9)),
        ("两个星期以后", dt.date(2026, 12, 9)),
        ("半个月后提醒她补货面霜", dt.date(2026, 12, 10)),
        ("明天回访", dt.date(2026, 11, 26)),
        ("后天提醒我跟进她", dt.date(2026, 11, 27)),
        ("大后天", dt.date(2026, 11, 28)),
        ("帮我定个下周一的回访", dt.date(2026, 11, 30)),
        ("下周日", dt.date(2026, 12, 6)),
        ("下周提醒我给她打电话", dt.date(2026, 12, 2)),
        ("周五提醒她", dt.date(2026, 11, 27)),
        ("星期三", dt.date(2026, 12, 2)),
        ("月底给她发个关怀", dt.date(2026, 11, 30)),
        ("下个月提醒她精华快用完了", dt.date(2026, 12, 25)),
        ("两个月后", dt.date(2027, 1, 25)),
        ("12月3日提醒她", dt.date(2026, 12, 3)),
        ("1月5号", dt.date(2027, 1, 5)),
        ("二十天后", dt.date(2026, 12, 15)),
    ],
)
def test_the_day_a_clerk_means(text, expected):
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize(
    "text", ["给她安排一条感谢消息", "2月30日", "五百天后", "0天后", "13月1日"]
)
def test_no_day_or_an_impossible_one_is_none(text):
    assert parse_day(text, TODAY) is None


def test_numbers():
    assert [number(t) for t in ("两", "十", "十五", "二十", "二十三", "7")] == [
        2,
        10,
        15,
        20,
        23,
        7,
    ]
