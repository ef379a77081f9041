import datetime as dt
from zoneinfo import ZoneInfo

from bot.care.routes import Window, window_after
from bot.locale.zh.wechat import route_label, window_note

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 1, 2, 0)  # 10:00 in Shanghai


def test_the_note_says_how_many_replies_are_left_and_until_when():
    window = window_after("message", NOW)
    assert (
        window_note(window, NOW, SHANGHAI) == "还能回复 5 条，窗口 12月3日 10:00 关闭"
    )


def test_the_note_says_why_no_reply_can_go():
    assert "还没有在微信上发过消息" in window_note(None, NOW, SHANGHAI)
    closed = window_after("event", NOW - dt.timedelta(minutes=2))
    assert window_note(closed, NOW, SHANGHAI).startswith(
        "她的微信客服窗口已在 12月1日 09:59 关闭"
    )
    spent = Window("message", NOW, NOW + dt.timedelta(hours=3), 5, 5)
    assert "已经发完" in window_note(spent, NOW, SHANGHAI)


def test_route_labels_name_the_route_and_the_reason():
    assert route_label("associate", "marketing") == "店员发送（营销内容不能用模板消息）"
    assert route_label(None, None) == ""
