"""Answers to the assistant's own questions, and messages it could not place."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ServiceAction, act_on_choice
from actions.dialogue import ask, offered, picked
from actions.names import CHOICES_SLOT, CHOOSE_OPTION, OFFER_INTENTS


class ActionChooseOption(ServiceAction):
    """A number (or a tapped button) answering the question just asked."""

    for_customers = True

    def name(self) -> str:
        return CHOOSE_OPTION

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        choice = picked(tracker)
        if choice is not None:
            return act_on_choice(dispatcher, tracker, choice)
        choices = offered(tracker, CHOICES_SLOT)
        if choices:
            return ask(dispatcher, "say_pick_a_number", choices, count=len(choices))
        dispatcher.utter_message(response="say_nothing_to_choose")
        return []


class ActionOfferIntents(ServiceAction):
    """The first miss offers the likeliest meanings as choices; a second miss in a
    row gets the help text (Rasa's two stages: affirm a guess, then rephrase)."""

    for_customers = True

    def name(self) -> str:
        return OFFER_INTENTS

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        if offered(tracker, CHOICES_SLOT):
            dispatcher.utter_message(response="say_not_understood")
            return [SlotSet(CHOICES_SLOT, None)]
        return self.offer_likely(dispatcher, tracker)
