"""When a tablet's message starts a new bot conversation."""

import datetime as dt

import pytest

from bot.conversations.tablet import TabletBound, starts_over
from bot.customers.identifiers import names_a_customer

BOUND = TabletBound(idle_minutes=10, max_turns=40)
QUIET = dt.timedelta(minutes=11)
BUSY = dt.timedelta(minutes=2)


@pytest.mark.parametrize(
    "text",
    [
        "查13800000000",
        "帮我查一下 138-0000-0000 的顾客",
        "+86 138 0000 0000",
        "１３８００００００００",
        "会员号M00000001",
        "m0000 0001",
    ],
)
def test_a_phone_or_member_number_names_a_customer(text):
    assert names_a_customer(text)


@pytest.mark.parametrize(
    "text",
    ["她是什么类型的客户", "查12345", "订单号 23800000000", "M123", "给她推荐点东西"],
)
def test_other_words_do_not(text):
    assert not names_a_customer(text)


def test_naming_a_customer_after_a_quiet_spell_starts_over():
    assert starts_over("查13800000000", 5, QUIET, BOUND)
    assert not starts_over("查13800000000", 5, BUSY, BOUND)


def test_a_long_conversation_starts_over_at_the_next_customer_however_busy():
    assert starts_over("查13800000000", 40, BUSY, BOUND)
    assert not starts_over("查13800000000", 39, BUSY, BOUND)


def test_a_question_without_a_customer_never_starts_over():
    assert not starts_over("她最近买了啥", 400, QUIET, BOUND)


def test_an_empty_conversation_has_nothing_to_leave():
    assert not starts_over("查13800000000", 0, QUIET, BOUND)
