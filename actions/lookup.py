"""Identify the customer in front of the clerk by phone or member number."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ServiceAction, actor_of, first_identifier
from actions.names import CUSTOMER_SLOT, LOOKUP_CUSTOMER
from bot.customers.identifiers import IdentifierError
from bot.customers.masking import mask_phone
from bot.customers.present import card_fields, shorten
from bot.services.customers import CustomerNotFound

KIND_LABELS = {"phone": "手机号", "member_no": "会员号"}


class ActionLookupCustomer(ServiceAction):
    def name(self) -> str:
        return LOOKUP_CUSTOMER

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        found = first_identifier(tracker)
        if found is None:
            dispatcher.utter_message(response="say_ask_customer_number")
            return []
        kind, text = found
        try:
            card = await self.call(
                self.services().customers.lookup, kind, text, actor_of(tracker)
            )
        except IdentifierError as error:
            dispatcher.utter_message(
                response=f"say_invalid_{error.code}",
                shown=shorten(text),
                digits=error.detail,
            )
            return [SlotSet(CUSTOMER_SLOT, None)]
        except CustomerNotFound as missing:
            value = missing.identifier.value
            dispatcher.utter_message(
                response="say_customer_not_found",
                kind_label=KIND_LABELS[kind],
                shown=mask_phone(value) if kind == "phone" else value,
            )
            return [SlotSet(CUSTOMER_SLOT, None)]
        dispatcher.utter_message(response="say_customer_card", **card_fields(card))
        return [SlotSet(CUSTOMER_SLOT, str(card.customer_id))]
