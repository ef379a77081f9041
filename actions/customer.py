"""What customers ask for themselves (membership, new arrivals, promotions), proving
who they are, and asking for a person. Clerks may ask the first three about the
customer in context."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    CustomerInContextAction,
    ServiceAction,
    actor_of,
    bound_customer,
    from_customer,
    known_customer,
)
from actions.names import (
    ASK_BIRTHDAY,
    ASK_MEMBERSHIP,
    ASK_NEW_ARRIVALS,
    ASK_PROMOTIONS,
    CODE_ENTITY,
    HUMAN_HANDOFF,
    VERIFY_CODE,
)
from bot.identity.codes import Check
from bot.identity.senders import openid_of
from bot.locale.zh.money import money
from bot.services.customers import Actor

VERDICTS = {
    Check.OK: "say_verified",
    Check.NO_CODE: "say_please_verify",
    Check.EXPIRED: "say_code_expired",
    Check.EXHAUSTED: "say_code_exhausted",
    Check.WRONG: "say_code_wrong",
}
REASON_TURNS = 3
PRIVATE_INTENTS = ("verify_code", "lookup_customer")


class ActionAskMembership(CustomerInContextAction):
    for_customers = True

    def name(self) -> str:
        return ASK_MEMBERSHIP

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        services = self.services()
        currency = services.knowledge.currency
        view = await self.call(services.customers.membership, customer_id, actor)
        card = view.card
        if view.next_level is None:
            upgrade = "已是最高等级"
        else:
            level, gap = view.next_level
            upgrade = f"再消费{money(gap, currency)}可升级为{level}"
        dispatcher.utter_message(
            response="say_membership",
            name=card.masked_name,
            level=card.level,
            member_no=card.member_no,
            spend=money(card.lifetime_spend_fen, currency),
            upgrade=upgrade,
            store=card.home_store,
        )


class ActionAskBirthday(CustomerInContextAction):
    for_customers = True

    def name(self) -> str:
        return ASK_BIRTHDAY

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        view = await self.call(self.services().customers.birthday, customer_id, actor)
        if view.birthday is None:
            dispatcher.utter_message(response="say_no_birthday", name=view.masked_name)
            return
        dispatcher.utter_message(
            response="say_birthday",
            name=view.masked_name,
            day=f"{view.birthday.month}月{view.birthday.day}日",
            until="就是今天" if view.days_until == 0 else f"还有{view.days_until}天",
        )


class _Highlights(ServiceAction):
    """New arrivals or promotions: personal when the customer is known, the shop's
    list otherwise (no personal data is needed to answer)."""

    for_customers = True
    kind = "new"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        customer_id = await known_customer(self, tracker)
        services = self.services()
        rules = services.knowledge.customer_service
        limit = (
            rules.new_arrivals_shown if self.kind == "new" else rules.promotions_shown
        )
        view = await self.call(
            services.recommendations.highlights,
            self.kind,
            customer_id,
            actor_of(tracker),
            limit,
        )
        if not view.items:
            dispatcher.utter_message(response=f"say_no_highlights_{self.kind}")
            return []
        lines = [
            f"{n}. {item.name}（{money(item.price_fen, services.knowledge.currency)}）"
            for n, item in enumerate(view.items, start=1)
        ]
        dispatcher.utter_message(
            response=f"say_highlights_{self.kind}",
            lines="\n".join(lines),
            order="常买的品类排在前面" if view.personal else "按最近的热度排序",
        )
        return []


class ActionAskNewArrivals(_Highlights):
    kind = "new"

    def name(self) -> str:
        return ASK_NEW_ARRIVALS


class ActionAskPromotions(_Highlights):
    kind = "promo"

    def name(self) -> str:
        return ASK_PROMOTIONS


class ActionHumanHandoff(ServiceAction):
    """A customer asking for a person joins the queue the clerks' console shows;
    the bot stays silent in her conversation until a clerk closes it."""

    for_customers = True
    writes = True

    def name(self) -> str:
        return HUMAN_HANDOFF

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        if not from_customer(tracker):
            dispatcher.utter_message(response="say_handoff_staff")
            return []
        customer_id = await bound_customer(self, tracker)
        _, opened = await self.call(
            self.services().handoff.open,
            actor_of(tracker),
            openid_of(tracker.sender_id),
            customer_id,
            _recent_texts(tracker),
        )
        dispatcher.utter_message(
            response="say_handoff_queued" if opened else "say_handoff_waiting"
        )
        return []


class ActionVerifyCode(ServiceAction):
    for_customers = True

    def name(self) -> str:
        return VERIFY_CODE

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        if not from_customer(tracker):
            dispatcher.utter_message(response="say_code_not_for_staff")
            return []
        if await bound_customer(self, tracker) is not None:
            dispatcher.utter_message(response="say_already_verified")
            return []
        code = next(tracker.get_latest_entity_values(CODE_ENTITY), None)
        if code is None:
            dispatcher.utter_message(response="say_please_verify")
            return []
        result = await self.call(
            self.services().identity.verify,
            openid_of(tracker.sender_id),
            code,
            actor_of(tracker),
        )
        dispatcher.utter_message(
            response=VERDICTS[result.verdict], name=result.greeting_name or ""
        )
        return []


def _recent_texts(tracker: Tracker) -> list[str]:
    """Her last few messages, oldest first, so the clerk sees what she wanted;
    never the phone numbers and codes she sent to verify herself."""
    texts = [
        event.get("text") or ""
        for event in tracker.events
        if event.get("event") == "user"
        and not (event.get("text") or "").startswith("/")
        and _intent(event) not in PRIVATE_INTENTS
    ]
    return [text for text in texts[-REASON_TURNS:] if text] or ["转人工"]


def _intent(event: dict) -> str | None:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")
