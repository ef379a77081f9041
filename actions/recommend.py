"""Suggestions for the customer in context, why they were made, what came of them."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    CustomerInContextAction,
    ServiceAction,
    actor_of,
    from_customer,
    known_customer,
)
from actions.names import (
    EXPLAIN_RECOMMENDATIONS,
    HANDLE_DENY,
    ITEM_ENTITIES,
    LOOKUP_CUSTOMER,
    RECOMMEND_ACTIONS,
    RECOMMEND_CROSS_SELL,
    RECOMMEND_PRODUCTS,
    RECOMMEND_UPSELL,
    RECORD_PURCHASE,
)
from bot.recommend.present import addressed, suggestion_lines
from bot.services.customers import Actor

KIND_LABELS = {"personal": "个性化推荐", "cross": "搭配推荐", "up": "升级推荐"}
NOTHING_FITS = {
    "personal": "say_no_recommendations_personal",
    "cross": "say_no_recommendations_cross",
    "up": "say_no_recommendations_up",
}


def named_item(tracker: Tracker) -> str | None:
    """The product, category or brand named in the latest message, if any."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") in ITEM_ENTITIES and entity.get("value"):
            return str(entity["value"])
    return None


class _Recommend(CustomerInContextAction):
    kind = "personal"
    for_customers = True

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        service = self.services().recommendations
        view = await self.call(
            service.recommend, customer_id, self.kind, actor, named_item(tracker)
        )
        if not view.suggestions:
            dispatcher.utter_message(
                response=NOTHING_FITS[self.kind], name=view.masked_name
            )
            return
        dispatcher.utter_message(
            response="say_recommendations",
            name=view.masked_name,
            kind=KIND_LABELS[self.kind],
            lines="\n".join(
                addressed(suggestion_lines(view.suggestions), from_customer(tracker))
            ),
        )


class ActionRecommendProducts(_Recommend):
    kind = "personal"

    def name(self) -> str:
        return RECOMMEND_PRODUCTS


class ActionRecommendCrossSell(_Recommend):
    kind = "cross"

    def name(self) -> str:
        return RECOMMEND_CROSS_SELL


class ActionRecommendUpsell(_Recommend):
    kind = "up"

    def name(self) -> str:
        return RECOMMEND_UPSELL


class ActionExplainRecommendations(CustomerInContextAction):
    for_customers = True

    def name(self) -> str:
        return EXPLAIN_RECOMMENDATIONS

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        service = self.services().recommendations
        last = await self.call(service.last_answer, customer_id, actor)
        if not last.items:
            dispatcher.utter_message(
                response="say_nothing_recommended", name=last.masked_name
            )
            return
        lines = addressed(
            [f"{n}. {s.name}：{s.reason}" for n, s in enumerate(last.items, 1)],
            from_customer(tracker),
        )
        dispatcher.utter_message(
            response="say_recommendation_reasons",
            name=last.masked_name,
            lines="\n".join(lines),
        )


class ActionRecordPurchase(CustomerInContextAction):
    def name(self) -> str:
        return RECORD_PURCHASE

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        service = self.services().recommendations
        outcome = await self.call(
            service.record_purchase, customer_id, actor, named_item(tracker)
        )
        _reply_outcome(dispatcher, outcome, "say_purchase_recorded")


class ActionHandleDeny(ServiceAction):
    """ "不要" right after suggestions declines them (and a named category, brand
    or product becomes a dislike); anywhere else it is a plain no."""

    for_customers = True

    def name(self) -> str:
        return HANDLE_DENY

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        customer_id = await known_customer(self, tracker)
        if customer_id is None or not _after_suggestions(tracker):
            dispatcher.utter_message(response="say_deny_ack")
            return []
        service = self.services().recommendations
        outcome = await self.call(
            service.decline, customer_id, actor_of(tracker), named_item(tracker)
        )
        _reply_outcome(dispatcher, outcome, "say_recommendation_declined")
        return []


def _after_suggestions(tracker: Tracker) -> bool:
    """Were suggestions the last thing shown about this customer?"""
    for event in reversed(tracker.events):
        if event.get("event") == "action":
            name = event.get("name")
            if name in RECOMMEND_ACTIONS:
                return True
            if name == LOOKUP_CUSTOMER:
                return False
    return False


def _reply_outcome(dispatcher: CollectingDispatcher, outcome, recorded: str) -> None:
    if outcome.status == "nothing_shown":
        dispatcher.utter_message(
            response="say_nothing_recommended", name=outcome.masked_name
        )
    elif outcome.status == "ask_which":
        lines = [f"{n}. {s.name}" for n, s in enumerate(outcome.items, 1)]
        dispatcher.utter_message(response="say_which_item", lines="\n".join(lines))
    else:
        dispatcher.utter_message(
            response=recorded,
            name=outcome.masked_name,
            items="、".join(s.name for s in outcome.items),
        )
