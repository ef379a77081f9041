"""Verification code rules at their boundaries."""

import datetime as dt

import pytest

from bot.identity.codes import (
    Check,
    PendingCode,
    SendRefusal,
    check_code,
    code_hash,
    new_code,
    refusal_to_send,
)
from bot.knowledge.schema import Verification

RULES = Verification(
    code_digits=6,
    code_ttl_minutes=5,
    max_attempts=5,
    resend_after_seconds=60,
    max_codes_per_hour=5,
)
NOW = dt.datetime(2026, 11, 25, 12, 0)
OPENID, PHONE = "oAlice000001", "13800000001"


def pending(code="123456", attempts=0, expires_in=300, customer_id=2):
    return PendingCode(
        1,
        customer_id,
        PHONE,
        code_hash(OPENID, PHONE, code),
        NOW + dt.timedelta(seconds=expires_in),
        attempts,
    )


def test_codes_have_the_configured_digits_and_vary():
    codes = {new_code(6) for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190


def test_the_stored_hash_binds_the_code_to_the_user_and_phone():
    assert code_hash(OPENID, PHONE, "1") != code_hash("oOther", PHONE, "1")
    assert code_hash(OPENID, PHONE, "1") != code_hash(OPENID, "13800000002", "1")


def test_the_right_code_in_time_passes():
    assert check_code(pending(), OPENID, "123456", NOW, RULES) is Check.OK


def test_another_users_code_fails():
    assert check_code(pending(), "oMallory", "123456", NOW, RULES) is Check.WRONG


def test_a_wrong_code_fails():
    assert check_code(pending(), OPENID, "123457", NOW, RULES) is Check.WRONG


def test_expiry_is_exclusive():
    almost = pending(expires_in=1)
    assert check_code(almost, OPENID, "123456", NOW, RULES) is Check.OK
    assert check_code(pending(expires_in=0), OPENID, "123456", NOW, RULES) is (
        Check.EXPIRED
    )


def test_attempts_run_out_at_the_maximum():
    assert check_code(pending(attempts=4), OPENID, "123456", NOW, RULES) is Check.OK
    assert check_code(pending(attempts=5), OPENID, "123456", NOW, RULES) is (
        Check.EXHAUSTED
    )


def test_no_pending_code():
    assert check_code(None, OPENID, "123456", NOW, RULES) is Check.NO_CODE


def test_a_code_for_a_phone_that_is_no_member_never_passes():
    stranger = pending(customer_id=None)
    assert check_code(stranger, OPENID, "123456", NOW, RULES) is Check.WRONG


@pytest.mark.parametrize(
    ("seconds_ago", "expected"),
    [(59, SendRefusal.TOO_SOON), (60, None), (3600, None)],
)
def test_resend_waits_the_configured_seconds(seconds_ago, expected):
    sent = [NOW - dt.timedelta(seconds=seconds_ago)]
    assert refusal_to_send(NOW, sent, sent, RULES) is expected


def test_at_most_five_codes_per_hour_per_user_and_per_phone():
    four = [NOW - dt.timedelta(minutes=10 * n + 2) for n in range(4)]
    five = [*four, NOW - dt.timedelta(minutes=50)]
    assert refusal_to_send(NOW, four, [], RULES) is None
    assert refusal_to_send(NOW, five, [], RULES) is SendRefusal.TOO_MANY
    assert refusal_to_send(NOW, [], five, RULES) is SendRefusal.TOO_MANY
    older = [*four, NOW - dt.timedelta(minutes=61)]
    assert refusal_to_send(NOW, older, [], RULES) is None
