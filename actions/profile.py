"""Questions about the customer in context: segment, preferences, strategy, history."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import CustomerInContextAction, latest_text
from actions.dialogue import confirmed
from actions.names import (
    CUSTOMER_HISTORY,
    CUSTOMER_PREFERENCES,
    CUSTOMER_SEGMENT,
    CUSTOMER_STRATEGY,
    NOTE_ENTITIES,
    NOTE_PREFERENCE,
)
from actions.recommend import after_suggestions, reply_outcome, said_of
from bot import config
from bot.customers.notes import notes_from
from bot.customers.present import card_fields, history_fields
from bot.locale.zh.text import is_question
from bot.segments.explain import preference_fields, segment_fields, strategy_fields
from bot.services.customers import Actor


class ActionCustomerSegment(CustomerInContextAction):
    """Segment, value tier and lifecycle with the evidence; the quick label before
    the first segmentation run."""

    def name(self) -> str:
        return CUSTOMER_SEGMENT

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        customers = self.services().customers
        knowledge = self.services().knowledge
        view = await self.call(customers.insight, customer_id, actor, "segment")
        if view.snapshot:
            fields = segment_fields(
                view.masked_name, view.snapshot, knowledge.segments, knowledge.currency
            )
            dispatcher.utter_message(response="say_customer_insight", **fields)
            return
        card = await self.call(customers.card, customer_id, actor)
        fields = card_fields(card, knowledge.currency)
        dispatcher.utter_message(response="say_customer_segment", **fields)


class ActionCustomerPreferences(CustomerInContextAction):
    def name(self) -> str:
        return CUSTOMER_PREFERENCES

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        customers = self.services().customers
        view = await self.call(customers.insight, customer_id, actor, "preferences")
        fields = preference_fields(
            view.masked_name,
            view.snapshot,
            view.noted,
            view.price_band_fen,
            self.services().knowledge.currency,
        )
        dispatcher.utter_message(response="say_customer_preferences", **fields)


class ActionCustomerStrategy(CustomerInContextAction):
    def name(self) -> str:
        return CUSTOMER_STRATEGY

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        services = self.services()
        view = await self.call(
            services.customers.insight, customer_id, actor, "strategy"
        )
        if not view.snapshot:
            dispatcher.utter_message(response="say_no_snapshot", name=view.masked_name)
            return
        knowledge = services.knowledge
        fields = strategy_fields(
            view.masked_name, view.snapshot, knowledge.segments, knowledge.playbook
        )
        dispatcher.utter_message(response="say_customer_strategy", **fields)


class ActionCustomerHistory(CustomerInContextAction):
    for_customers = True

    def name(self) -> str:
        return CUSTOMER_HISTORY

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        view = await self.call(self.services().customers.history, customer_id, actor)
        response = "say_customer_history" if view.orders else "say_no_history"
        fields = history_fields(
            view, config.business_timezone(), self.services().knowledge.currency
        )
        dispatcher.utter_message(response=response, **fields)


class ActionNotePreference(CustomerInContextAction):
    """ "记一下她喜欢黑色" / "她不喜欢印花的" / "她穿S码": likes, dislikes, sizes.
    Right after suggestions, a dislike also declines the suggestions it names (and
    only those): "她不喜欢黄色" declines nothing when nothing yellow was shown."""

    writes = True

    def name(self) -> str:
        return NOTE_PREFERENCE

    def unsure(self, dispatcher: CollectingDispatcher, tracker: Tracker):
        """A question is never noted as a fact ("她一般穿多大码" is not a note)."""
        found = super().unsure(dispatcher, tracker)
        if (
            found is None
            and not confirmed(tracker)
            and is_question(latest_text(tracker))
        ):
            return self.offer_likely(dispatcher, tracker)
        return found

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> list:
        message = tracker.latest_message
        entities = [
            (e["entity"], str(e["value"]))
            for e in message.get("entities", [])
            if e.get("entity") in NOTE_ENTITIES and e.get("value")
        ]
        notes = notes_from(latest_text(tracker), entities)
        dislikes = tuple(n.value for n in notes if n.kind == "dislike")
        if dislikes and after_suggestions(tracker):
            service = self.services().recommendations
            outcome = await self.call(
                service.decline, customer_id, actor, said_of(tracker), dislikes
            )
            notes = [
                n
                for n in notes
                if n.kind != "dislike" or n.value not in outcome.disliked
            ]
            if not notes:
                return reply_outcome(
                    dispatcher, tracker, outcome, "say_declined_dislike"
                )
        customers = self.services().customers
        view = await self.call(customers.note_preferences, customer_id, actor, notes)
        dispatcher.utter_message(
            response="say_preference_noted",
            name=view.masked_name,
            notes="；".join(note.label() for note in view.notes),
        )
        return []
