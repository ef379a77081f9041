"""Binding a WeChat user to a member: phone number, verification code, bind.

The answer to "send me a code for this phone" is the same whether or not the phone
belongs to a member, so nobody can learn who is a member by asking. A code is sent
only to the member's own phone (through the pluggable `send_code`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.care.planner import salutation
from bot.customers.identifiers import (
    IdentifierError,
    normalise_phone,
    to_identifier,
)
from bot.customers.masking import mask_phone
from bot.db.identity_store import IdentityStore
from bot.db.uow import UnitOfWork
from bot.identity.codes import (
    Check,
    SendRefusal,
    check_code,
    code_hash,
    new_code,
    refusal_to_send,
)
from bot.knowledge import Knowledge
from bot.services.common import audit
from bot.services.customers import Actor
from bot.timeutil import utcnow

logger = logging.getLogger(__name__)

SendCode = Callable[[str, str], None]


@dataclass(frozen=True)
class CodeRequest:
    """`refused` is None when a code went out (or would have, for a non-member)."""

    masked_phone: str
    refused: SendRefusal | None = None
    invalid_phone: bool = False


@dataclass(frozen=True)
class Verification:
    verdict: Check
    greeting_name: str | None = None


class IdentityService:
    def __init__(
        self,
        engine: Engine,
        knowledge: Knowledge,
        send_code: SendCode,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._rules = knowledge.customer_service.verification
        self._send_code = send_code
        self._clock = clock

    def bound_customer(self, openid: str) -> int | None:
        with UnitOfWork(self._engine) as uow:
            return IdentityStore(uow.connection).bound_customer(openid)

    def owns(self, customer_id: int, kind: str, text: str) -> bool:
        """Whether the phone or member number typed is her own."""
        try:
            identifier = to_identifier(kind, text)
        except IdentifierError:
            return False
        with UnitOfWork(self._engine) as uow:
            found = uow.customers.find_id(identifier.kind, identifier.value)
        return found == customer_id

    def request_code(self, openid: str, phone_text: str, actor: Actor) -> CodeRequest:
        try:
            phone = normalise_phone(phone_text)
        except IdentifierError:
            return CodeRequest(masked_phone=phone_text[:20], invalid_phone=True)
        now = self._clock()
        with UnitOfWork(self._engine) as uow:
            store = IdentityStore(uow.connection)
            to_user, to_phone = store.sends_since(
                now - dt.timedelta(hours=1), openid, phone
            )
            refused = refusal_to_send(now, to_user, to_phone, self._rules)
            if refused is not None:
                return CodeRequest(mask_phone(phone), refused)
            customer_id = store.customer_by_phone(phone)
            code = new_code(self._rules.code_digits)
            expires = now + dt.timedelta(minutes=self._rules.code_ttl_minutes)
            store.add_code(
                openid, phone, customer_id, code_hash(openid, phone, code), now, expires
            )
            audit(
                uow,
                now,
                actor,
                "request_code",
                customer_id,
                {"phone": mask_phone(phone), "member": customer_id is not None},
            )
            uow.commit()
        if customer_id is not None:
            self._send_code(phone, code)
        return CodeRequest(mask_phone(phone))

    def verify(self, openid: str, code: str, actor: Actor) -> Verification:
        now = self._clock()
        with UnitOfWork(self._engine) as uow:
            store = IdentityStore(uow.connection)
            pending = store.pending_code(openid)
            verdict = check_code(pending, openid, code.strip(), now, self._rules)
            if verdict is Check.NO_CODE:
                return Verification(verdict)
            store.count_attempt(pending.id)
            if verdict is not Check.OK:
                audit(uow, now, actor, "verify_code_failed", None, {"why": verdict})
                uow.commit()
                return Verification(verdict)
            store.use_code(pending.id, now)
            had_account = store.openid_of(pending.customer_id) is not None
            previous = store.bind(openid, pending.customer_id)
            name, gender = store.name_and_gender(pending.customer_id)
            detail = {"replaced_account": had_account, "moved_from": previous}
            audit(uow, now, actor, "bind_wechat", pending.customer_id, detail)
            uow.commit()
        return Verification(verdict, salutation(name, gender))

    def unbind(self, openid: str, actor: Actor) -> bool:
        now = self._clock()
        with UnitOfWork(self._engine) as uow:
            customer_id = IdentityStore(uow.connection).unbind(openid)
            if customer_id is None:
                return False
            audit(uow, now, actor, "unbind_wechat", customer_id)
            uow.commit()
        return True

    def decide_inbound(self, channel: str, message_key: str, reply: str | None):
        """How the message was answered (a passive reply's text, or None), for a
        retry of it that reaches another server."""
        with UnitOfWork(self._engine) as uow:
            IdentityStore(uow.connection).decide_inbound(
                channel, message_key, reply, self._clock()
            )
            uow.commit()

    def inbound_decision(self, channel: str, message_key: str):
        """(decided, the passive reply) of a message seen before."""
        with UnitOfWork(self._engine) as uow:
            return IdentityStore(uow.connection).inbound_decision(channel, message_key)

    def record_inbound(
        self, channel: str, message_key: str, openid: str, kind: str
    ) -> bool:
        """Note an inbound message (for care replies); False if seen before."""
        try:
            with UnitOfWork(self._engine) as uow:
                IdentityStore(uow.connection).record_inbound(
                    channel, message_key, openid, kind, self._clock()
                )
                uow.commit()
        except IntegrityError:
            return False
        return True
