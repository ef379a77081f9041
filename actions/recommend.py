"""Suggestions for the customer in context, why they were made, what came of them."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    CustomerInContextAction,
    ServiceAction,
    actor_of,
    conversation_start,
    from_customer,
    known_customer,
    latest_text,
)
from actions.dialogue import ask, ask_between, confirmed, request_of
from actions.names import (
    EXPLAIN_RECOMMENDATIONS,
    HANDLE_DENY,
    ITEM_ENTITIES,
    LOOKUP_CUSTOMER,
    NAMED_ENTITIES,
    RECOMMEND_ACTIONS,
    RECOMMEND_CROSS_SELL,
    RECOMMEND_PRODUCTS,
    RECOMMEND_UPSELL,
    RECORD_PURCHASE,
)
from bot.locale.zh.text import is_plain_refusal
from bot.recommend.present import addressed, suggestion_lines
from bot.recommend.references import points_at
from bot.services.customers import Actor
from bot.services.recommendations import Said

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
                addressed(
                    suggestion_lines(
                        view.suggestions, self.services().knowledge.currency
                    ),
                    from_customer(tracker),
                )
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
    """ "她买了第二个" / "那副黑色手套她拿了": the suggestion meant is resolved
    against every answer of the conversation; anything unclear is asked."""

    writes = True

    def name(self) -> str:
        return RECORD_PURCHASE

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> list:
        service = self.services().recommendations
        said = said_of(tracker)
        outcome = await self.call(service.record_purchase, customer_id, actor, said)
        return reply_outcome(dispatcher, tracker, outcome, "say_purchase_recorded")


class ActionHandleDeny(ServiceAction):
    """ "不要" / "不感兴趣" right after suggestions declines that answer, or the
    suggestions it names; naming something that was not suggested only asks
    whether to keep it as a dislike. Anywhere else it is a plain no."""

    for_customers = True
    writes = True

    def name(self) -> str:
        return HANDLE_DENY

    def would_write(self, tracker: Tracker) -> bool:
        return after_suggestions(tracker)

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        customer_id = await known_customer(self, tracker)
        if customer_id is None or not after_suggestions(tracker):
            dispatcher.utter_message(response="say_deny_ack")
            return []
        said = said_of(tracker)
        plain = confirmed(tracker) is not None or is_plain_refusal(said.text)
        if not plain and not said.named and not points_at(said.text):
            return _ask_what_she_declined(dispatcher, tracker)
        service = self.services().recommendations
        outcome = await self.call(
            service.decline, customer_id, actor_of(tracker), said, (), plain
        )
        if outcome.status == "not_shown" and said.named:
            return _offer_dislike(dispatcher, tracker, said.named)
        return reply_outcome(
            dispatcher, tracker, outcome, "say_recommendation_declined"
        )


def said_of(tracker: Tracker) -> Said:
    """The latest message as the recommendation service reads it."""
    named = tuple(
        str(e["value"])
        for e in tracker.latest_message.get("entities", [])
        if e.get("entity") in NAMED_ENTITIES and e.get("value")
    )
    mark = confirmed(tracker) or {}
    return Said(
        latest_text(tracker),
        conversation_start(tracker),
        tuple(dict.fromkeys(named)),
        tuple(mark.get("chosen") or ()),
    )


def after_suggestions(tracker: Tracker) -> bool:
    """Were suggestions the last thing shown about this customer?"""
    for event in reversed(tracker.events):
        if event.get("event") == "action":
            name = event.get("name")
            if name in RECOMMEND_ACTIONS:
                return True
            if name == LOOKUP_CUSTOMER:
                return False
    return False


def _ask_what_she_declined(dispatcher, tracker: Tracker) -> list:
    """A no with a reason the catalogue has no word for ("她不爱带拉链的"): all of
    the answer, or (for a clerk) a note about her?"""
    return ask_between(
        dispatcher,
        tracker,
        "say_offer_intents",
        ["deny", "note_preference"],
        from_customer(tracker),
        reply="say_deny_ack",
    )


def _offer_dislike(dispatcher, tracker: Tracker, named: tuple[str, ...]) -> list:
    """She said no to something that was not suggested: keep it as a dislike?"""
    request = request_of(tracker)
    choices = [
        {
            **request,
            "intent": "note_preference",
            "title": f"记下她不喜欢{'、'.join(named)}",
        },
        {"intent": None, "title": "不用记", "reply": "say_deny_ack"},
    ]
    return ask(dispatcher, "say_not_suggested", choices, named="、".join(named))


def reply_outcome(dispatcher, tracker: Tracker, outcome, recorded: str) -> list:
    if outcome.status == "nothing_shown":
        dispatcher.utter_message(
            response="say_nothing_recommended", name=outcome.masked_name
        )
    elif outcome.status == "not_shown":
        dispatcher.utter_message(response="say_not_among_suggestions")
    elif outcome.status == "ask_which":
        request = request_of(tracker)
        choices = [
            {**request, "title": item.name, "chosen": [item.id]}
            for item in outcome.items
        ]
        return ask(dispatcher, "say_which_item", choices)
    else:
        items = "、".join(s.name for s in outcome.items)
        dispatcher.utter_message(
            response=recorded if items else "say_dislike_noted",
            name=outcome.masked_name,
            items=items,
            disliked="、".join(outcome.disliked),
        )
    return []
