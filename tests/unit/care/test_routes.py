import datetime as dt

import pytest

from bot.care.routes import Facts, Window, choose, opens_window, reopened, window_after

NOW = dt.datetime(2026, 12, 1, 2, 0)
TEMPLATES = {"thank_you": "t-thanks", "replenish": "t-replenish"}
SUBSCRIPTIONS = {"replenish": "s-replenish"}


def facts(**changes) -> Facts:
    values = {
        "openid": "oWang0000001",
        "service_consent": True,
        "marketing_consent": True,
        "has_store": True,
    }
    return Facts(**{**values, **changes})


def route(trigger, is_marketing=False, keep=0, **changes):
    found = choose(
        trigger, is_marketing, facts(**changes), NOW, TEMPLATES, SUBSCRIPTIONS, keep
    )
    return found.kind, found.reason, found.template_id


def test_windows_follow_wechats_rules():
    message = window_after("message", NOW)
    assert (message.closes_at - NOW, message.quota) == (dt.timedelta(hours=48), 5)
    event = window_after("event", NOW)
    assert (event.closes_at - NOW, event.quota) == (dt.timedelta(minutes=1), 3)
    assert message.left(NOW + dt.timedelta(hours=47)) == 5
    assert message.left(NOW + dt.timedelta(hours=48)) == 0
    assert Window("message", NOW, NOW + dt.timedelta(hours=1), 5, 4).left(NOW) == 1


def test_a_click_never_shortens_an_open_message_window_but_a_message_renews_it():
    used = Window("message", NOW, NOW + dt.timedelta(hours=40), 5, 2)
    assert reopened(used, "event", NOW) is used
    assert reopened(used, "message", NOW).used == 0
    spent = Window("message", NOW, NOW + dt.timedelta(hours=40), 5, 5)
    assert reopened(spent, "event", NOW).quota == 3  # nothing left: the click's


@pytest.mark.parametrize(
    "kind, opens",
    [
        ("text", "message"),
        ("image", "message"),
        ("subscribe", "event"),
        ("event:click", "event"),
        ("event:scancode_p", "event"),
        ("event:view", None),
        ("unsubscribe", None),
        ("event:popup", None),
    ],
)
def test_what_opens_a_window(kind, opens):
    assert opens_window(kind) == opens


def test_an_open_window_takes_any_message_while_quota_is_left():
    open_window = window_after("message", NOW - dt.timedelta(hours=2))
    assert route("win_back", True, window=open_window)[0] == "customer_service"
    nearly = Window("message", NOW, NOW + dt.timedelta(hours=1), 5, 4)
    assert route("thank_you", window=nearly)[0] == "customer_service"
    assert route("thank_you", keep=1, window=nearly)[:2] == (
        "template",
        "service_notice",
    )


def test_outside_the_window_service_notices_take_a_template_or_subscription():
    closed = window_after("message", NOW - dt.timedelta(hours=49))
    assert route("thank_you", window=closed) == (
        "template",
        "service_notice",
        "t-thanks",
    )
    granted = frozenset({"s-replenish"})
    assert route("replenish", True, subscribed=granted) == (
        "subscribe",
        "subscribed",
        "s-replenish",
    )
    assert route("care_tip") == ("associate", "no_template", None)


def test_marketing_never_takes_a_template():
    for trigger in ("win_back", "birthday", "vip_perks", "new_arrival"):
        assert route(trigger, True)[:2] == ("associate", "marketing")


def test_no_consent_no_wechat_or_no_store():
    assert route("thank_you", service_consent=False)[:2] == ("none", "no_consent")
    assert route("replenish", True, marketing_consent=False)[:2] == (
        "none",
        "no_consent",
    )
    assert route("thank_you", openid=None)[:2] == ("associate", "no_wechat")
    assert route("win_back", True, has_store=False)[:2] == ("none", "marketing")
