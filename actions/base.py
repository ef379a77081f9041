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
from bot.services.customers import Actor

logger = logging.getLogger(__name__)


def actor_of(tracker: Tracker) -> Actor:
    return Actor(
        sender_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
    )


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


class ServiceAction(Action, ABC):
    """Runs `act`; a failure below is logged and answered politely, never leaked."""

    services = staticmethod(bootstrap.services)

    @abstractmethod
    def name(self) -> str:
        """The action's name in domain.yml."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
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
    """An answer about the customer the conversation is about; asks for one if none."""

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        customer_id = customer_in_context(tracker)
        if customer_id is None:
            dispatcher.utter_message(response="say_no_customer_in_context")
            return []
        await self.answer(dispatcher, customer_id, actor_of(tracker), tracker)
        return []

    @abstractmethod
    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        """Reply about `customer_id` for `actor`."""
