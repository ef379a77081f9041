"""The fake of WeChat's API refuses what WeChat refuses (else the tests prove nothing)."""

import pytest
import requests

from tests.fakes.wechat import APPID, SECRET, FakeWeChatServer


@pytest.fixture()
def fake():
    server = FakeWeChatServer()
    server.register_template("t1", {"thing1": "thing", "time2": "time"})
    server.register_subscribe_template("s1", {"thing1": "thing"})
    yield server
    server.stop()


def plain(fake):
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    return requests.get(f"{fake.base}token", params=params, timeout=5).json()


def stable(fake, force=False):
    body = {
        "grant_type": "client_credential",
        "appid": APPID,
        "secret": SECRET,
        "force_refresh": force,
    }
    return requests.post(f"{fake.base}stable_token", json=body, timeout=5).json()


def send(fake, token, api, body):
    answer = requests.post(
        f"{fake.base}{api}", params={"access_token": token}, json=body, timeout=5
    )
    return answer.json()["errcode"]


def text(openid="oWang0000001"):
    return {"touser": openid, "msgtype": "text", "text": {"content": "您好"}}


def test_a_new_plain_token_retires_the_last_one_five_minutes_later(fake):
    first = plain(fake)["access_token"]
    second = plain(fake)["access_token"]
    fake.customer_did("oWang0000001", "message")
    assert send(fake, first, "message/custom/send", text()) == 0
    fake.advance(301)
    fake.customer_did("oWang0000001", "message")
    assert send(fake, first, "message/custom/send", text()) == 42001
    assert send(fake, second, "message/custom/send", text()) == 0
    assert send(fake, "forged", "message/custom/send", text()) == 40001
    assert fake.fetches("token") == 2


def test_stable_tokens_are_shared_until_their_last_five_minutes(fake):
    one, two = stable(fake), stable(fake)
    assert one["access_token"] == two["access_token"] and fake.fetches() == 2
    fake.advance(7200 - 299)
    renewed = stable(fake)
    assert renewed["access_token"] != one["access_token"]
    fake.customer_did("oWang0000001", "message")
    assert send(fake, one["access_token"], "message/custom/send", text()) == 0
    forced = stable(fake, force=True)["access_token"]
    assert send(fake, renewed["access_token"], "message/custom/send", text()) == 42001
    assert send(fake, forced, "message/custom/send", text()) == 0


def test_the_window_and_its_quota(fake):
    token = stable(fake)["access_token"]
    assert send(fake, token, "message/custom/send", text()) == 45015
    fake.customer_did("oWang0000001", "event")
    assert [send(fake, token, "message/custom/send", text()) for _ in range(4)] == [
        0,
        0,
        0,
        45047,
    ]
    fake.customer_did("oWang0000001", "message")
    fake.advance(48 * 3600 + 1)
    token = stable(fake)["access_token"]
    assert send(fake, token, "message/custom/send", text()) == 45015
    fake.unfollow("oWang0000001")
    assert send(fake, token, "message/custom/send", text()) == 43004


def test_templates_take_registered_ids_and_fields_of_their_type(fake):
    token = stable(fake)["access_token"]

    def template(template_id="t1", **data):
        values = {"thing1": "羊毛大衣", "time2": "2026年11月30日", **data}
        body = {
            "touser": "oWang0000001",
            "template_id": template_id,
            "data": {k: {"value": v} for k, v in values.items()},
        }
        return send(fake, token, "message/template/send", body)

    assert template() == 0
    assert template("unknown") == 40037
    assert template(thing1="一" * 21) == 47003
    assert template(time2="昨天") == 47003
    assert template(thing3="多出来的") == 47003


def test_a_subscribe_notice_needs_an_unused_one_off_subscription(fake):
    token = stable(fake)["access_token"]
    body = {
        "touser": "oWang0000001",
        "template_id": "s1",
        "data": {"thing1": {"value": "洁面乳"}},
    }
    assert send(fake, token, "message/subscribe/bizsend", body) == 43101
    fake.grant_subscription("oWang0000001", "s1")
    assert send(fake, token, "message/subscribe/bizsend", body) == 0
    assert send(fake, token, "message/subscribe/bizsend", body) == 43101
