"""Rows behind WeChat identity: codes, bindings, inbound message keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from bot.db import tables as t
from bot.identity.codes import PendingCode


class IdentityStore:
    """Reads and writes on the caller's connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def bound_customer(self, openid: str) -> int | None:
        return self._c.execute(
            select(t.customers.c.id).where(t.customers.c.wechat_openid == openid)
        ).scalar_one_or_none()

    def openid_of(self, customer_id: int) -> str | None:
        return self._c.execute(
            select(t.customers.c.wechat_openid).where(t.customers.c.id == customer_id)
        ).scalar_one_or_none()

    def customer_by_phone(self, phone: str) -> int | None:
        return self._c.execute(
            select(t.customers.c.id).where(t.customers.c.phone == phone)
        ).scalar_one_or_none()

    def name_and_gender(self, customer_id: int) -> tuple[str, str]:
        row = self._c.execute(
            select(t.customers.c.name, t.customers.c.gender).where(
                t.customers.c.id == customer_id
            )
        ).one()
        return row.name, row.gender

    def sends_since(self, since: dt.datetime, openid: str, phone: str):
        """(send times to this WeChat user, send times to this phone) after `since`."""
        codes = t.verification_codes
        rows = self._c.execute(
            select(codes.c.openid, codes.c.phone, codes.c.created_at).where(
                codes.c.created_at > since,
                (codes.c.openid == openid) | (codes.c.phone == phone),
            )
        ).all()
        return (
            [row.created_at for row in rows if row.openid == openid],
            [row.created_at for row in rows if row.phone == phone],
        )

    def add_code(
        self,
        openid: str,
        phone: str,
        customer_id: int | None,
        code_hash: str,
        now: dt.datetime,
        expires_at: dt.datetime,
    ) -> None:
        codes = t.verification_codes
        self._c.execute(
            update(codes)
            .where(codes.c.openid == openid, codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        self._c.execute(
            insert(codes).values(
                openid=openid,
                phone=phone,
                customer_id=customer_id,
                code_hash=code_hash,
                created_at=now,
                expires_at=expires_at,
                attempts=0,
            )
        )

    def pending_code(self, openid: str) -> PendingCode | None:
        codes = t.verification_codes
        row = self._c.execute(
            select(codes)
            .where(codes.c.openid == openid, codes.c.used_at.is_(None))
            .order_by(codes.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return PendingCode(
            row.id,
            row.customer_id,
            row.phone,
            row.code_hash,
            row.expires_at,
            row.attempts,
        )

    def count_attempt(self, code_id: int) -> None:
        codes = t.verification_codes
        self._c.execute(
            update(codes)
            .where(codes.c.id == code_id)
            .values(attempts=codes.c.attempts + 1)
        )

    def use_code(self, code_id: int, now: dt.datetime) -> None:
        codes = t.verification_codes
        self._c.execute(update(codes).where(codes.c.id == code_id).values(used_at=now))

    def bind(self, openid: str, customer_id: int) -> int | None:
        """Bind `openid` to the customer; returns the one it was bound to, if other."""
        people = t.customers
        previous = self.bound_customer(openid)
        self._c.execute(
            update(people)
            .where(people.c.wechat_openid == openid)
            .values(wechat_openid=None)
        )
        self._c.execute(
            update(people)
            .where(people.c.id == customer_id)
            .values(wechat_openid=openid)
        )
        return previous if previous != customer_id else None

    def unbind(self, openid: str) -> int | None:
        customer_id = self.bound_customer(openid)
        if customer_id is not None:
            self._c.execute(
                update(t.customers)
                .where(t.customers.c.id == customer_id)
                .values(wechat_openid=None)
            )
        return customer_id

    def record_inbound(
        self,
        channel: str,
        message_key: str,
        openid: str,
        kind: str,
        at: dt.datetime,
    ) -> None:
        """Note an inbound message; raises IntegrityError when the key is known
        (run it in a transaction of its own)."""
        self._c.execute(
            insert(t.inbound_messages).values(
                channel=channel,
                message_key=message_key,
                openid=openid,
                customer_id=self.bound_customer(openid),
                kind=kind,
                received_at=at,
            )
        )

    def decide_inbound(
        self, channel: str, message_key: str, reply: str | None, at: dt.datetime
    ) -> None:
        inbound = t.inbound_messages
        self._c.execute(
            update(inbound)
            .where(inbound.c.channel == channel, inbound.c.message_key == message_key)
            .values(decided_at=at, reply=reply)
        )

    def inbound_decision(
        self, channel: str, message_key: str
    ) -> tuple[bool, str | None]:
        """(decided, the passive reply) of a message."""
        inbound = t.inbound_messages
        row = self._c.execute(
            select(inbound.c.decided_at, inbound.c.reply).where(
                inbound.c.channel == channel, inbound.c.message_key == message_key
            )
        ).first()
        if row is None or row.decided_at is None:
            return False, None
        return True, row.reply

    def replies_after(self, customer_ids, since: dt.datetime) -> dict[int, list]:
        """Inbound message times per customer since `since` (for care outcomes)."""
        inbound = t.inbound_messages
        rows = self._c.execute(
            select(inbound.c.customer_id, inbound.c.received_at).where(
                inbound.c.customer_id.in_(list(customer_ids)),
                inbound.c.received_at >= since,
            )
        )
        found: dict[int, list] = {}
        for customer_id, at in rows:
            found.setdefault(customer_id, []).append(at)
        return found

    def inbound_count(self) -> int:
        return self._c.execute(
            select(func.count()).select_from(t.inbound_messages)
        ).scalar_one()
