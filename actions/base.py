"""What every action shares: who asks, the customer in context, safe service calls."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.names import CUSTOMER_SLOT, IDENTIFIER_ENTITIES
from bot import bootstrap
from bot.identity.senders import CONSOLE_CHANNEL, CUSTOMER_CHANNELS, openid_of
from bot.services.customers import Actor

logger = logging.getLogger(__name__)


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


def latest_metadata(tracker: Tracker) -> dict:
    """The metadata the channel attached to the latest user message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata")
            return metadata if isinstance(metadata, dict) else {}
    return {}


def customer_in_context(tracker: Tracker) -> int | None:
    value = tracker.get_slot(CUSTOMER_SLOT)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


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
            return await self.act(dispatcher, tracker)
        except Exception:
            logger.exception("%s failed for sender %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(response="say_service_error")
            return []

    @abstractmethod
    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        """Reply through `dispatcher`; return events."""

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
        else:
            customer_id = customer_in_context(tracker)
        if customer_id is None:
            dispatcher.utter_message(response="say_no_customer_in_context")
            return []
        await self.answer(dispatcher, customer_id, actor_of(tracker), tracker)
        return []

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
    ) -> None:
        """Reply about `customer_id` for `actor`."""
