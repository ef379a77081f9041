"""Staff login for the consoles: bcrypt passwords, lockout, server-side sessions.

A session is a random token in an HttpOnly cookie; the database keeps only its
SHA-256, so a copy of the table opens no session. Each session carries its own CSRF
token. After `max_failures` wrong passwords in a row the account is locked for
`lockout_minutes`; a locked account refuses even the right password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.db.staff_store import StaffStore
from bot.db.uow import UnitOfWork
from bot.security.passwords import verify_password
from bot.services.common import audit
from bot.services.customers import Actor
from bot.timeutil import utcnow

HEAD_OFFICE = "head_office"
MANAGER_ROLES = ("manager", HEAD_OFFICE)


@dataclass(frozen=True)
class AuthRules:
    max_failures: int = 5
    lockout_minutes: int = 15
    session_hours: int = 12


DEFAULT_RULES = AuthRules()


@dataclass(frozen=True)
class StaffSession:
    session_id: int
    staff_id: int
    username: str
    display_name: str
    role: str
    store_id: int | None
    store_name: str | None
    csrf_token: str
    conversation: int

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGER_ROLES

    @property
    def head_office(self) -> bool:
        return self.role == HEAD_OFFICE

    @property
    def sender_id(self) -> str:
        """The bot conversation of this clerk's current customer."""
        return f"console:{self.username}:{self.session_id}:{self.conversation}"

    def actor(self) -> Actor:
        return Actor(
            self.sender_id, "console", self.username, self.staff_id, self.store_id
        )


class LoginRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "wrong" or "locked"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffAuth:
    def __init__(
        self,
        engine: Engine,
        rules: AuthRules = DEFAULT_RULES,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._rules = rules
        self._clock = clock

    def login(self, username: str, password: str, address: str) -> str:
        """A new session token, or LoginRefused. Both outcomes are audited."""
        now = self._clock()
        with UnitOfWork(self._engine) as uow:
            store = StaffStore(uow.connection)
            staff = store.by_username(username[:32])
            actor = Actor(f"login:{address}", "console", username[:32])
            if staff is None or not staff.active:
                verify_password(password, _DUMMY_HASH)  # same time as a real check
                audit(uow, now, actor, "login_failed", None, {"why": "unknown"})
                uow.commit()
                raise LoginRefused("wrong")
            if staff.locked_until and staff.locked_until > now:
                audit(uow, now, actor, "login_failed", None, {"why": "locked"})
                uow.commit()
                raise LoginRefused("locked")
            if not verify_password(password, staff.password_hash):
                locked = None
                if store.count_failure(staff.id) >= self._rules.max_failures:
                    locked = now + dt.timedelta(minutes=self._rules.lockout_minutes)
                    store.set_failures(staff.id, 0, locked)
                audit(uow, now, actor, "login_failed", None, {"why": "password"})
                uow.commit()
                raise LoginRefused("locked" if locked else "wrong")
            store.set_failures(staff.id, 0, None)
            store.drop_expired(now)
            token = secrets.token_urlsafe(32)
            store.add_session(
                {
                    "token_hash": _digest(token),
                    "staff_id": staff.id,
                    "csrf_token": secrets.token_urlsafe(32),
                    "conversation": 1,
                    "created_at": now,
                    "expires_at": now + dt.timedelta(hours=self._rules.session_hours),
                }
            )
            audit(uow, now, actor, "login", None)
            uow.commit()
        return token

    def session(self, token: str | None) -> StaffSession | None:
        if not token:
            return None
        with UnitOfWork(self._engine) as uow:
            store = StaffStore(uow.connection)
            row = store.session(_digest(token))
            if row is None or row.expires_at <= self._clock():
                return None
            staff = store.by_id(row.staff_id)
        if staff is None or not staff.active:
            return None
        return StaffSession(
            row.id,
            staff.id,
            staff.username,
            staff.display_name,
            staff.role,
            staff.store_id,
            staff.store_name,
            row.csrf_token,
            row.conversation,
        )

    def new_conversation(self, session: StaffSession) -> None:
        """The next customer: a fresh bot conversation for this clerk."""
        with UnitOfWork(self._engine) as uow:
            StaffStore(uow.connection).next_conversation(session.session_id)
            uow.commit()

    def logout(self, token: str) -> None:
        with UnitOfWork(self._engine) as uow:
            StaffStore(uow.connection).drop_session(_digest(token))
            uow.commit()


_DUMMY_HASH = "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5Z9dNqgyp0wH/0YHVr9X0aE7GNmYhH2"
