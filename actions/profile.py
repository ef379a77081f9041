"""Follow-up questions about the customer in context: segment, preferences, history."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.base import CustomerInContextAction
from actions.names import CUSTOMER_HISTORY, CUSTOMER_PREFERENCES, CUSTOMER_SEGMENT
from bot import config
from bot.customers.present import card_fields, history_fields, preference_fields
from bot.services.customers import Actor


class ActionCustomerSegment(CustomerInContextAction):
    def name(self) -> str:
        return CUSTOMER_SEGMENT

    async def answer(
        self, dispatcher: CollectingDispatcher, customer_id: int, actor: Actor
    ) -> None:
        card = await self.call(self.services().customers.card, customer_id, actor)
        dispatcher.utter_message(response="say_customer_segment", **card_fields(card))


class ActionCustomerPreferences(CustomerInContextAction):
    def name(self) -> str:
        return CUSTOMER_PREFERENCES

    async def answer(
        self, dispatcher: CollectingDispatcher, customer_id: int, actor: Actor
    ) -> None:
        view = await self.call(
            self.services().customers.preferences, customer_id, actor
        )
        dispatcher.utter_message(
            response="say_customer_preferences", **preference_fields(view)
        )


class ActionCustomerHistory(CustomerInContextAction):
    def name(self) -> str:
        return CUSTOMER_HISTORY

    async def answer(
        self, dispatcher: CollectingDispatcher, customer_id: int, actor: Actor
    ) -> None:
        view = await self.call(self.services().customers.history, customer_id, actor)
        response = "say_customer_history" if view.orders else "say_no_history"
        fields = history_fields(view, config.business_timezone())
        dispatcher.utter_message(response=response, **fields)
