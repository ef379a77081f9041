"""The human handoff queue: a customer asks for a person, the bot steps aside.

While a conversation waits in the queue the channel does not pass its messages to
the bot; they are kept here for the clerk, whose replies go back to the customer
through `send(openid, text)`. Closing the handoff (or `expire_hours` passing) gives
the conversation back to the bot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.care.routes import Window
from bot.customers.masking import mask_name, mask_text
from bot.db.handoff_store import HandoffStore
from bot.db.uow import UnitOfWork
from bot.db.wechat_store import WindowStore
from bot.knowledge import Knowledge
from bot.services.common import audit
from bot.services.customers import Actor
from bot.timeutil import utcnow

MAX_BODY = 2000


class HandoffError(LookupError):
    """The handoff is unknown or closed, or the staff member is unknown."""


class WindowClosed(HandoffError):
    """WeChat would refuse the reply: her customer-service window is closed or has
    no message left (`window`: the last one, or None if she never opened one)."""

    def __init__(self, window: Window | None) -> None:
        super().__init__("her WeChat customer-service window is closed or used up")
        self.window = window


@dataclass(frozen=True)
class QueueEntry:
    id: int
    channel: str
    customer: str
    waiting_since: dt.datetime
    reason: str
    window: Window | None = None  # WeChat only: how long replies can still go out


@dataclass(frozen=True)
class ThreadMessage:
    author: str
    body: str
    at: dt.datetime
    delivery: str


class HandoffService:
    def __init__(
        self,
        engine: Engine,
        knowledge: Knowledge,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._expire = dt.timedelta(
            hours=knowledge.customer_service.handoff.expire_hours
        )
        self._clock = clock

    def open(
        self,
        actor: Actor,
        openid: str | None,
        customer_id: int | None,
        said: str | Sequence[str],
    ) -> tuple[int, bool]:
        """(handoff id, True if opened now); an open one for the sender is reused.
        `said`: her recent messages, oldest first, each kept as its own message of
        the thread; the last one (her request) is the queue's reason."""
        messages = [said] if isinstance(said, str) else [m for m in said if m]
        messages = [m[:MAX_BODY] for m in messages] or ["转人工"]
        now = self._clock()
        with UnitOfWork(self._engine) as uow:
            store = self._current(uow)
            current = store.waiting_for(actor.sender_id)
            if current is not None:
                uow.commit()
                return current, False
            handoff_id = store.open(
                {
                    "sender_id": actor.sender_id,
                    "channel": actor.channel,
                    "openid": openid,
                    "customer_id": customer_id,
                    "store_id": store.home_store(customer_id),
                    "reason": messages[-1],
                    "created_at": now,
                }
            )
            for text in messages:
                store.add_message(handoff_id, "customer", text, now)
            audit(uow, now, actor, "handoff_open", customer_id, {"id": handoff_id})
            uow.commit()
        return handoff_id, True

    def waiting(self, sender_id: str) -> int | None:
        """The handoff this conversation waits in, if any. Asked for every message a
        customer sends, so it only reads: a handoff past `expire_hours` counts as
        ended here and is marked so by the next queue read or handoff."""
        since = self._clock() - self._expire
        with UnitOfWork(self._engine) as uow:
            return HandoffStore(uow.connection).waiting_for(sender_id, since)

    def customer_said(self, handoff_id: int, text: str) -> None:
        with UnitOfWork(self._engine) as uow:
            HandoffStore(uow.connection).add_message(
                handoff_id, "customer", text[:MAX_BODY], self._clock()
            )
            uow.commit()

    def queue(self, store_id: int | None = None) -> list[QueueEntry]:
        """Waiting conversations, oldest first; names, phone numbers and codes
        masked (clerks of the store read the queue)."""
        with UnitOfWork(self._engine) as uow:
            rows = self._current(uow).waiting(store_id)
            windows = WindowStore(uow.connection)
            entries = [
                QueueEntry(
                    row.id,
                    row.channel,
                    mask_name(row.customer_name)
                    if row.customer_name
                    else "未绑定的顾客",
                    row.created_at,
                    mask_text(row.reason, [row.customer_name or ""]),
                    windows.get(row.openid) if row.openid else None,
                )
                for row in rows
            ]
            uow.commit()
        return entries

    def thread(self, handoff_id: int) -> list[ThreadMessage]:
        with UnitOfWork(self._engine) as uow:
            store = HandoffStore(uow.connection)
            if store.get(handoff_id) is None:
                raise HandoffError(f"no handoff {handoff_id}")
            name = store.customer_name(handoff_id) or ""
            return [
                ThreadMessage(
                    row.author,
                    mask_text(row.body, [name])
                    if row.author == "customer"
                    else row.body,
                    row.at,
                    row.delivery,
                )
                for row in store.messages(handoff_id)
            ]

    def reply(
        self,
        handoff_id: int,
        staff_username: str,
        text: str,
        send: Callable[[str, str], None],
    ) -> None:
        """Send a clerk's reply to the waiting customer; a failure is kept, raised.
        On WeChat the reply spends one message of her window, and is refused
        (WindowClosed, nothing sent) when WeChat would refuse it."""
        text = text.strip()[:MAX_BODY]
        if not text:
            raise ValueError("the reply is empty")
        now = self._clock()
        with UnitOfWork(self._engine) as uow:
            handoff, _ = self._open_handoff(
                HandoffStore(uow.connection), handoff_id, staff_username
            )
            if handoff.openid:
                windows = WindowStore(uow.connection)
                if not windows.reserve(handoff.openid, now):
                    raise WindowClosed(windows.get(handoff.openid))
            uow.commit()
        with UnitOfWork(self._engine) as uow:
            store = HandoffStore(uow.connection)
            handoff, staff_id = self._open_handoff(store, handoff_id, staff_username)
            error = None
            try:
                send(handoff.openid, text)
            except Exception as failure:  # noqa: BLE001 (kept with the message)
                error = str(failure)[:500]
            store.add_message(
                handoff_id,
                "staff",
                text,
                now,
                staff_id=staff_id,
                delivery="failed" if error else "ok",
                error=error,
            )
            actor = Actor(handoff.sender_id, handoff.channel, staff_username)
            audit(uow, now, actor, "handoff_reply", handoff.customer_id)
            uow.commit()
        if error:
            raise HandoffError(f"the reply was not delivered: {error}")

    def close(self, handoff_id: int, staff_username: str) -> None:
        now = self._clock()
        with UnitOfWork(self._engine) as uow:
            store = HandoffStore(uow.connection)
            handoff, staff_id = self._open_handoff(store, handoff_id, staff_username)
            store.close(handoff_id, staff_id, now)
            actor = Actor(handoff.sender_id, handoff.channel, staff_username)
            audit(uow, now, actor, "handoff_close", handoff.customer_id)
            uow.commit()

    def _current(self, uow: UnitOfWork) -> HandoffStore:
        """The queue with handoffs nobody closed in `expire_hours` ended."""
        now = self._clock()
        store = HandoffStore(uow.connection)
        store.expire(now - self._expire, now)
        return store

    @staticmethod
    def _open_handoff(store: HandoffStore, handoff_id: int, staff_username: str):
        handoff = store.get(handoff_id)
        if handoff is None or handoff.status != "waiting":
            raise HandoffError(f"handoff {handoff_id} is not waiting")
        staff_id = store.staff_id(staff_username)
        if staff_id is None:
            raise HandoffError(f"no active staff member {staff_username!r}")
        return handoff, staff_id
