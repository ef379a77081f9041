"""What every action shares: who asks, the customer in context, safe service calls."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue import (
    confidence,
    confirmed,
    latest_metadata,
    offer_intents,
    picked,
    replay,
    request_of,
)
from actions.names import (
    CHOICES_SLOT,
    CUSTOMER_SLOT,
    IDENTIFIER_ENTITIES,
    LOOKUP_CUSTOMER,
    PENDING_SLOT,
)
from bot import bootstrap
from bot.identity.senders import CONSOLE_CHANNEL, CUSTOMER_CHANNELS, openid_of
from bot.services.customers import Actor
from bot.timeutil import utcnow

logger = logging.getLogger(__name__)
SESSION = dt.timedelta(hours=1)


def from_customer(tracker: Tracker) -> bool:
    """The conversation is with a customer (WeChat), not a clerk. The channel name
    is set by the Rasa server from the channel class, never by the sender."""
    return tracker.get_latest_input_channel() in CUSTOMER_CHANNELS


def actor_of(tracker: Tracker) -> Actor:
    """Who asks. On the clerks' console the staff member and store come from the
    console's login session (the channel is authenticated by a shared secret)."""
    channel = tracker.get_latest_input_channel() or "unknown"
    if channel != CONSOLE_CHANNEL:
        return Actor(sender_id=tracker.sender_id, channel=channel)
    staff = latest_metadata(tracker).get("staff") or {}
    return Actor(
        sender_id=tracker.sender_id,
        channel=channel,
        staff_username=staff.get("username"),
        staff_id=staff.get("id"),
        store_id=staff.get("store_id"),
    )


def customer_in_context(tracker: Tracker) -> int | None:
    value = tracker.get_slot(CUSTOMER_SLOT)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def conversation_start(tracker: Tracker) -> dt.datetime:
    """When this conversation (Rasa session) started, in UTC."""
    started = None
    for event in tracker.events:
        if event.get("event") == "session_started" or started is None:
            started = event.get("timestamp") or started
    if not started:
        return utcnow() - SESSION
    return dt.datetime.fromtimestamp(float(started), dt.timezone.utc).replace(
        tzinfo=None
    )


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def first_identifier(tracker: Tracker) -> tuple[str, str] | None:
    """The first phone or member number in the latest message, in typed order."""
    entities = [
        e
        for e in tracker.latest_message.get("entities", [])
        if e.get("entity") in IDENTIFIER_ENTITIES and e.get("value")
    ]
    if not entities:
        return None
    first = min(entities, key=lambda e: e.get("start", 0))
    return first["entity"], str(first["value"])


async def bound_customer(action: ServiceAction, tracker: Tracker) -> int | None:
    """The member this WeChat user proved to be, if any."""
    openid = openid_of(tracker.sender_id)
    if openid is None:
        return None
    return await action.call(action.services().identity.bound_customer, openid)


async def known_customer(action: ServiceAction, tracker: Tracker) -> int | None:
    """Whom the conversation is about, if anyone, without asking: the customer
    herself (verified) on WeChat, the customer in context for a clerk."""
    if from_customer(tracker):
        return await bound_customer(action, tracker)
    return customer_in_context(tracker)


class ServiceAction(Action, ABC):
    """Runs `act`; a failure below is logged and answered politely, never leaked.

    Actions are for clerks unless `for_customers`: a customer asking a clerk's
    question (her segment, the shop's strategy for her) gets a polite refusal.
    """

    services = staticmethod(bootstrap.services)
    for_customers = False
    writes = False  # changes data: acts only on a confident, confirmed meaning

    @abstractmethod
    def name(self) -> str:
        """The action's name in domain.yml."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if from_customer(tracker) and not self.for_customers:
            dispatcher.utter_message(response="say_staff_only")
            return []
        try:
            if self.writes and self.would_write(tracker):
                unsure = self.unsure(dispatcher, tracker)
                if unsure is not None:
                    return unsure
            return await self.act(dispatcher, tracker)
        except Exception:
            logger.exception("%s failed for sender %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(response="say_service_error")
            return []

    @abstractmethod
    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        """Reply through `dispatcher`; return events."""

    def would_write(self, tracker: Tracker) -> bool:
        """Would acting on this message change data? (`writes` actions only.)"""
        return True

    def unsure(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list | None:
        """Events that ask instead of writing, or None when the meaning is sure:
        the message picks one of the choices just offered (it is replayed as
        that choice), or the intent is confirmed or confident enough."""
        choice = picked(tracker)
        if choice is not None:
            return act_on_choice(dispatcher, tracker, choice)
        if confirmed(tracker) is not None:
            return None
        rules = self.services().knowledge.conversation
        if confidence(tracker) >= rules.write_confidence:
            return None
        return self.offer_likely(dispatcher, tracker)

    def offer_likely(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        """Ask which of the likeliest meanings of the latest message was meant."""
        rules = self.services().knowledge.conversation
        return offer_intents(
            dispatcher,
            tracker,
            rules.offered_intents,
            rules.unsure_below,
            from_customer(tracker),
        )

    async def call(self, function, *args):
        """Database work runs in a thread so the action server's loop stays free."""
        return await asyncio.to_thread(function, *args)


class CustomerInContextAction(ServiceAction):
    """An answer about the customer the conversation is about: for a clerk the one
    looked up, for a customer herself (her verified WeChat binding, nothing typed)."""

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        if from_customer(tracker):
            customer_id = await self.verified_customer(dispatcher, tracker)
            if customer_id is None:
                return []
        elif first_identifier(tracker) is not None:
            # a number and a question in one message: look her up, then answer
            return [
                SlotSet(PENDING_SLOT, request_of(tracker, keep_identifiers=False)),
                FollowupAction(LOOKUP_CUSTOMER),
            ]
        else:
            customer_id = customer_in_context(tracker)
        if customer_id is None:
            dispatcher.utter_message(response="say_no_customer_in_context")
            return [SlotSet(PENDING_SLOT, request_of(tracker))]
        events = await self.answer(dispatcher, customer_id, actor_of(tracker), tracker)
        return list(events or [])

    async def verified_customer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> int | None:
        """Her own customer id, or None after telling her why not (not verified yet,
        or she named someone else's phone or member number)."""
        customer_id = await bound_customer(self, tracker)
        if customer_id is None:
            dispatcher.utter_message(response="say_please_verify")
            return None
        named = first_identifier(tracker)
        if named is not None and not await self.call(
            self.services().identity.owns, customer_id, *named
        ):
            dispatcher.utter_message(response="say_only_own_data")
            return None
        return customer_id

    @abstractmethod
    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> list | None:
        """Reply about `customer_id` for `actor`; events to return, if any."""


def act_on_choice(
    dispatcher: CollectingDispatcher, tracker: Tracker, choice: dict
) -> list:
    """Act on a picked choice: replay its meaning, or ask to rephrase ("都不是")."""
    if choice.get("intent") is None:
        dispatcher.utter_message(response=choice.get("reply") or "say_rephrase")
        return [SlotSet(CHOICES_SLOT, None)]
    return replay(tracker, choice, confirm=True)
