"""Which bot conversation a tablet's message goes to (bot/conversations/tablet.py
says when a new one starts)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine

from bot.conversations.tablet import TabletBound, starts_over
from bot.customers.identifiers import names_a_customer
from bot.db.staff_store import StaffStore
from bot.db.summary_store import SummaryStore
from bot.db.uow import UnitOfWork
from bot.services.staff_auth import StaffSession


class TabletConversations:
    def __init__(
        self, engine: Engine, bound: TabletBound, clock: Callable[[], float] = time.time
    ) -> None:
        self._engine = engine
        self._bound = bound
        self._clock = clock

    def for_message(self, session: StaffSession, message: str) -> StaffSession:
        """`session` itself, or the session moved on to a new conversation when
        `message` starts one. Most messages name nobody: they read nothing."""
        if not names_a_customer(message):
            return session
        with UnitOfWork(self._engine) as uow:
            summary = SummaryStore(uow.connection).get(session.sender_id)
            if summary is None:
                return session
            quiet = dt.timedelta(seconds=max(0.0, self._clock() - summary.last))
            if not starts_over(message, summary.user_turns, quiet, self._bound):
                return session
            StaffStore(uow.connection).next_conversation(session.session_id)
            uow.commit()
        return dataclasses.replace(session, conversation=session.conversation + 1)
