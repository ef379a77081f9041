"""WeChat drops a reply that takes longer than 5 seconds. A second Rasa server,
sharing the action server, is set to wait only 1 ms for the bot: an answer that needs
the action server then goes "success" at once and the reply follows through the
customer-service API."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.channels.wechat_simulator import WeChatSimulator
from bot.config import PROJECT_ROOT
from bot.runtime.servers import free_port, start_rasa_server
from tests.e2e.conftest import MODEL, WECHAT_TOKEN, ObservedWeChat


@pytest.fixture(scope="module")
def impatient(bot, tmp_path_factory) -> Iterator[WeChatSimulator]:
    port = free_port()
    logs = tmp_path_factory.mktemp("impatient")
    env = {**bot.env, "SALESBOT_WECHAT_REPLY_WITHIN": "0.001"}
    rasa = start_rasa_server(
        MODEL, port, bot.action_port, env, logs / "rasa.log", PROJECT_ROOT
    )
    try:
        rasa.wait_healthy(300)
        yield ObservedWeChat(
            bot.wechat_api,
            f"http://127.0.0.1:{port}/webhooks/wechat/webhook",
            WECHAT_TOKEN,
        )
    finally:
        rasa.stop()


def test_a_slow_answer_arrives_through_the_customer_service_api(bot, impatient):
    openid = f"oSlow{int(time.time() * 1000)}"
    started = time.monotonic()
    answer = impatient.text(openid, "有什么新品")
    assert answer.status == 200 and answer.body == "success"
    assert time.monotonic() - started < 2
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sent = [m["text"] for m in bot.wechat_api.sent if m["touser"] == openid]
        if sent:
            break
        time.sleep(0.1)
    assert len(sent) == 1 and sent[0].startswith("最近到的新品")


def test_a_retry_of_a_slow_message_is_not_answered_twice(bot, impatient):
    openid = f"oSlowRetry{int(time.time() * 1000)}"
    msg_id = int(time.time() * 1000)
    first = impatient.text(openid, "有什么新品", msg_id=msg_id)
    again = impatient.text(openid, "有什么新品", msg_id=msg_id)
    assert first.body == again.body == "success"
    time.sleep(5)
    sent = [m["text"] for m in bot.wechat_api.sent if m["touser"] == openid]
    assert len(sent) == 1


def test_a_retry_reaching_another_server_gets_the_same_reply(bot, impatient):
    """WeChat missed the first server's reply and retries the message; the balancer
    sends the retry to another server, which must not run it again nor answer
    "success" (the customer would get nothing): it answers what the first did."""
    openid = f"oRetryElsewhere{int(time.time() * 1000)}"
    msg_id = int(time.time() * 1000) + 7
    first = bot.wechat().text(openid, "你好", msg_id=msg_id)
    assert first.status == 200 and first.reply
    again = impatient.text(openid, "你好", msg_id=msg_id)
    assert again.status == 200 and again.reply == first.reply
    assert not [m for m in bot.wechat_api.sent if m["touser"] == openid]
