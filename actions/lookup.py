"""Identify the customer in front of the clerk by phone or member number."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    ServiceAction,
    actor_of,
    bound_customer,
    first_identifier,
    from_customer,
)
from actions.dialogue import offered, replay
from actions.names import CUSTOMER_SLOT, LOOKUP_CUSTOMER, PENDING_SLOT
from bot.customers.identifiers import IdentifierError
from bot.customers.masking import mask_phone
from bot.customers.present import card_fields, shorten
from bot.identity.senders import openid_of
from bot.services.customers import CustomerNotFound

KIND_LABELS = {"phone": "手机号", "member_no": "会员号"}


class ActionLookupCustomer(ServiceAction):
    """A clerk looks a customer up; a customer cannot look anyone up, her phone
    number starts her verification instead."""

    for_customers = True

    def name(self) -> str:
        return LOOKUP_CUSTOMER

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        found = first_identifier(tracker)
        if from_customer(tracker):
            await self.start_verification(dispatcher, tracker, found)
            return []
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
        fields = card_fields(card, self.services().knowledge.currency)
        dispatcher.utter_message(response="say_customer_card", **fields)
        events = [SlotSet(CUSTOMER_SLOT, str(card.customer_id))]
        waiting = offered(tracker, PENDING_SLOT)
        if waiting:
            # what the clerk asked before naming her (or with her number) is answered
            events += replay(tracker, waiting, confirm=False)
        return events

    async def start_verification(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        found: tuple[str, str] | None,
    ) -> None:
        identity = self.services().identity
        bound = await bound_customer(self, tracker)
        if bound is not None:
            own = found is not None and await self.call(identity.owns, bound, *found)
            dispatcher.utter_message(
                response="say_already_verified" if own else "say_only_own_data"
            )
            return
        if found is None or found[0] != "phone":
            dispatcher.utter_message(response="say_please_verify")
            return
        request = await self.call(
            identity.request_code,
            openid_of(tracker.sender_id),
            found[1],
            actor_of(tracker),
        )
        if request.invalid_phone:
            dispatcher.utter_message(response="say_verify_bad_phone")
        elif request.refused is not None:
            dispatcher.utter_message(response=f"say_code_{request.refused.value}")
        else:
            rules = self.services().knowledge.customer_service.verification
            dispatcher.utter_message(
                response="say_code_sent",
                phone=request.masked_phone,
                minutes=rules.code_ttl_minutes,
                digits=rules.code_digits,
            )
