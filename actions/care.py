"""Care for the customer in context: what is due, reminders, care tips, opting out."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    CustomerInContextAction,
    actor_of,
    customer_in_context,
    from_customer,
    latest_text,
)
from actions.dialogue import ask_between, confirmed
from actions.names import (
    ASK_CARE_TIPS,
    ASK_FOLLOWUPS,
    RESUBSCRIBE,
    SCHEDULE_CARE,
    UNSUBSCRIBE,
)
from actions.recommend import named_item
from bot.locale.zh.dates import parse_day
from bot.services.customers import Actor
from bot.timeutil import local_date

EVERYTHING = ("全部", "所有", "什么都不要", "任何消息")
MARKETING_WORDS = ("营销", "优惠", "活动", "促销", "新品", "全部", "所有")


class ActionAskFollowups(CustomerInContextAction):
    """Her follow-ups; with no customer in context, a clerk signed in on the console
    gets her store's follow-ups of today ("今天要跟进哪些客户")."""

    def name(self) -> str:
        return ASK_FOLLOWUPS

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
        actor = actor_of(tracker)
        if customer_in_context(tracker) is not None or actor.store_id is None:
            return await super().act(dispatcher, tracker)
        view = await self.call(
            self.services().care.store_followups, actor.store_id, actor.staff_id, actor
        )
        if not view.items:
            dispatcher.utter_message(
                response="say_no_store_followups", store=view.store
            )
            return []
        lines = [f"· {item.customer} {item.label}：{item.body}" for item in view.items]
        more = f"\n……共{view.total}条" if view.total > len(view.items) else ""
        dispatcher.utter_message(
            response="say_store_followups",
            store=view.store,
            lines="\n".join(lines) + more,
        )
        return []

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        view = await self.call(self.services().care.followups, customer_id, actor)
        if not view.items:
            dispatcher.utter_message(response="say_no_followups", name=view.masked_name)
            return
        lines = [
            f"{item.day.month}月{item.day.day}日 {item.label()}：{item.body}"
            for item in view.items[:5]
        ]
        dispatcher.utter_message(
            response="say_followups", name=view.masked_name, lines="\n".join(lines)
        )


class ActionScheduleCare(CustomerInContextAction):
    writes = True

    def name(self) -> str:
        return SCHEDULE_CARE

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        desk = self.services().care
        today = local_date(desk.now(), desk.tz)
        day = parse_day(latest_text(tracker), today)
        if day is None:
            dispatcher.utter_message(response="say_ask_care_day")
            return
        done = await self.call(
            desk.schedule, customer_id, actor, day, latest_text(tracker)
        )
        if done.refused:
            dispatcher.utter_message(
                response="say_reminder_refused_no_consent", name=done.masked_name
            )
            return
        dispatcher.utter_message(
            response="say_task_scheduled" if done.for_clerk else "say_care_scheduled",
            name=done.masked_name,
            when=f"{done.when.month}月{done.when.day}日 {done.when:%H:%M}",
        )


class ActionAskCareTips(CustomerInContextAction):
    for_customers = True

    def name(self) -> str:
        return ASK_CARE_TIPS

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        about = named_item(tracker)
        view = await self.call(self.services().care.tips, customer_id, actor, about)
        if not view.tips:
            response = "say_no_care_tips_for" if about else "say_no_care_tips"
            dispatcher.utter_message(
                response=response, name=view.masked_name, about=about
            )
            return
        lines = [f"· {product}：{tip}" for product, tip in view.tips]
        dispatcher.utter_message(
            response="say_care_tips" if view.bought else "say_care_tips_for_kind",
            name=view.masked_name,
            lines="\n".join(lines),
        )


class ActionUnsubscribe(CustomerInContextAction):
    for_customers = True
    writes = True

    def name(self) -> str:
        return UNSUBSCRIBE

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        everything = any(word in latest_text(tracker) for word in EVERYTHING)
        name = await self.call(
            self.services().care.unsubscribe, customer_id, actor, everything
        )
        dispatcher.utter_message(
            response="say_unsubscribed_all" if everything else "say_unsubscribed",
            name=name,
        )


class ActionResubscribe(CustomerInContextAction):
    """A clerk records that the customer wants messages again (audited); "营销" or
    "优惠" in the request brings marketing back too, else service messages only."""

    for_customers = True
    writes = True

    def name(self) -> str:
        return RESUBSCRIBE

    def unsure(self, dispatcher: CollectingDispatcher, tracker: Tracker):
        """Opting back in is always confirmed first: read wrongly, "别再发了" would
        switch her messages back on."""
        found = super().unsure(dispatcher, tracker)
        if found is not None or confirmed(tracker) is not None:
            return found
        return ask_between(
            dispatcher,
            tracker,
            "say_confirm_resubscribe",
            ["resubscribe", "unsubscribe"],
            from_customer(tracker),
            reply="say_deny_ack",
        )

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        customer_id: int,
        actor: Actor,
        tracker: Tracker,
    ) -> None:
        marketing = any(word in latest_text(tracker) for word in MARKETING_WORDS)
        name = await self.call(
            self.services().care.resubscribe, customer_id, actor, marketing
        )
        dispatcher.utter_message(
            response="say_resubscribed_all" if marketing else "say_resubscribed",
            name=name,
        )
