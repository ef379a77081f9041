"""Verification codes: how they are made, stored and checked (pure rules).

A code is stored only as a SHA-256 of (openid, phone, code): whoever reads the table
learns no code, and a code works only for the WeChat user it was sent for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from bot.knowledge.schema import Verification


class Check(str, Enum):
    OK = "ok"
    NO_CODE = "no_code"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"
    WRONG = "wrong"


class SendRefusal(str, Enum):
    TOO_SOON = "too_soon"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class PendingCode:
    id: int
    customer_id: int | None
    phone: str
    code_hash: str
    expires_at: dt.datetime
    attempts: int


def new_code(digits: int) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def code_hash(openid: str, phone: str, code: str) -> str:
    return hashlib.sha256(f"{openid}\n{phone}\n{code}".encode()).hexdigest()


def refusal_to_send(
    now: dt.datetime,
    sent_to_user: Sequence[dt.datetime],
    sent_to_phone: Sequence[dt.datetime],
    rules: Verification,
) -> SendRefusal | None:
    """Why no code may be sent now, given earlier sends to this user and this phone."""
    hour_ago = now - dt.timedelta(hours=1)
    if sent_to_user and (now - max(sent_to_user)).total_seconds() < (
        rules.resend_after_seconds
    ):
        return SendRefusal.TOO_SOON
    for sends in (sent_to_user, sent_to_phone):
        if sum(1 for at in sends if at > hour_ago) >= rules.max_codes_per_hour:
            return SendRefusal.TOO_MANY
    return None


def check_code(
    pending: PendingCode | None,
    openid: str,
    code: str,
    now: dt.datetime,
    rules: Verification,
) -> Check:
    """The verdict on `code` typed by `openid` against her latest unused code."""
    if pending is None:
        return Check.NO_CODE
    if pending.attempts >= rules.max_attempts:
        return Check.EXHAUSTED
    if now >= pending.expires_at:
        return Check.EXPIRED
    typed = code_hash(openid, pending.phone, code)
    if pending.customer_id is None or not hmac.compare_digest(typed, pending.code_hash):
        return Check.WRONG
    return Check.OK
