"""What the WeChat channel makes of a parsed message (before the bot sees it)."""

import pytest

from bot.channels.wechat import BadRequest, _inbound

BASE = {
    "ToUserName": "gh_shop",
    "FromUserName": "oAlice000001",
    "CreateTime": "1790000000",
}


def test_text_keeps_the_words_and_the_msg_id():
    got = _inbound(
        {**BASE, "MsgType": "text", "Content": " 有什么新品 ", "MsgId": "42"}
    )
    assert (got.kind, got.text, got.key) == ("text", "有什么新品", "42")


@pytest.mark.parametrize("typed", ["/ask_history", "//restart", "／restart", " /x"])
def test_a_leading_slash_cannot_name_an_intent(typed):
    got = _inbound({**BASE, "MsgType": "text", "Content": typed, "MsgId": "1"})
    assert not (got.text or "").startswith(("/", "／"))


def test_only_a_slash_is_no_message():
    got = _inbound({**BASE, "MsgType": "text", "Content": "/", "MsgId": "1"})
    assert got.text is None


def test_events_become_intents_the_bot_knows():
    follow = _inbound({**BASE, "MsgType": "event", "Event": "subscribe"})
    leave = _inbound({**BASE, "MsgType": "event", "Event": "unsubscribe"})
    click = _inbound({**BASE, "MsgType": "event", "Event": "CLICK"})
    assert (follow.text, follow.silent) == ("/greet", False)
    assert (leave.text, leave.silent) == ("/unsubscribe", True)
    assert click.text is None


@pytest.mark.parametrize("kind", ["image", "voice", "video", "location"])
def test_media_gets_the_text_only_answer(kind):
    got = _inbound({**BASE, "MsgType": kind, "MsgId": "7"})
    assert got.text == "/send_media"


def test_long_texts_are_cut():
    got = _inbound({**BASE, "MsgType": "text", "Content": "好" * 5000, "MsgId": "1"})
    assert len(got.text) == 1000


@pytest.mark.parametrize(
    "change",
    [
        {"FromUserName": {"x": "1"}},
        {"FromUserName": "../etc"},
        {"MsgType": None},
        {"Content": {"b": "x"}},
        {"MsgId": "1;drop"},
    ],
)
def test_malformed_fields_are_bad_requests(change):
    message = {**BASE, "MsgType": "text", "Content": "hi", "MsgId": "1", **change}
    message = {k: v for k, v in message.items() if v is not None}
    with pytest.raises(BadRequest):
        _inbound(message)
