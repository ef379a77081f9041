"""Asking instead of guessing: one short question with choices, acted on once answered.

A choice is offered as Rasa buttons (REST, console; the payload is the
`choose_option` intent with the choice's number) and as numbered lines on WeChat,
where the customer types the number. The choices live in a slot for one turn: an
answer counts only right after the question. Picking one replays the original
message with the chosen meaning (confidence 1, marked as confirmed), so the action
that acts on it reads the same text and entities as if it had been understood at once.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.names import (
    CHOICE_ENTITY,
    CHOICES_SLOT,
    CHOOSE_INTENT,
    IDENTIFIER_ENTITIES,
    INTENT_ACTIONS,
    PENDING_SLOT,
)
from bot.locale.zh import intents as labels
from bot.locale.zh.dates import number
from bot.recommend.references import ordinal_in

CONFIRMED = "salesbot_confirmed"
NEITHER_WORDS = (labels.NEITHER, "都不对", "都不要", "都不用", "不是")
PICK = re.compile(
    r"^\s*(?:选|就|要|是)?\s*(?:第)?\s*(\d|[一二两三四五])\s*(?:个|项|条|款|种)?\s*(?:吧|的)?\s*[.!。]?\s*$"
)


def confirmed(tracker: Tracker) -> dict[str, Any] | None:
    """What the person confirmed by picking a choice, if this message is a replay."""
    mark = tracker.latest_message.get(CONFIRMED)
    return mark if isinstance(mark, dict) else None


def confidence(tracker: Tracker) -> float:
    intent = tracker.latest_message.get("intent") or {}
    return float(intent.get("confidence") or 0.0)


def offered(tracker: Tracker, slot: str) -> Any:
    """The slot's value if it was set since the previous user message: a question
    the person has just been asked (or a request made in this very turn)."""
    users = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            users += 1
            if users == 2:
                return None
        elif kind == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def buttons(choices: list[dict]) -> list[dict[str, str]]:
    return [
        {
            "title": choice["title"],
            "payload": f"/{CHOOSE_INTENT}"
            + json.dumps({CHOICE_ENTITY: str(n)}, separators=(",", ":")),
        }
        for n, choice in enumerate(choices, start=1)
    ]


def ask(
    dispatcher: CollectingDispatcher, response: str, choices: list[dict], **fields
) -> list[dict]:
    """Ask one question with `choices` (dicts with title, intent, text, entities
    and optionally chosen suggestion ids); the answer is read next turn."""
    dispatcher.utter_message(response=response, buttons=buttons(choices), **fields)
    return [SlotSet(CHOICES_SLOT, choices)]


def picked(tracker: Tracker) -> dict | None:
    """The choice the latest message picks among those just offered, if any."""
    choices = offered(tracker, CHOICES_SLOT)
    if not choices:
        return None
    text = (tracker.latest_message.get("text") or "").strip(" .!。")
    if text in NEITHER_WORDS and choices[-1].get("intent") is None:
        return choices[-1]
    n = _choice_number(tracker)
    if n is None and any(c.get("chosen") for c in choices):
        # "她买了第二个" right after "是哪一款？": the second of the choices shown
        n = ordinal_in(text)
    if n is None or not 1 <= n <= len(choices):
        return None
    return choices[n - 1]


def request_of(tracker: Tracker, keep_identifiers: bool = True) -> dict:
    """The latest message as a request that can be replayed later."""
    message = tracker.latest_message
    entities = [
        e
        for e in message.get("entities", [])
        if keep_identifiers or e.get("entity") not in IDENTIFIER_ENTITIES
    ]
    return {
        "intent": (message.get("intent") or {}).get("name"),
        "confidence": confidence(tracker),
        "text": message.get("text") or "",
        "entities": entities,
    }


def replay(tracker: Tracker, request: dict, confirm: bool) -> list[dict]:
    """Hand `request` to the action of its intent as if it had just been said;
    `confirm` marks it as the person's own pick (no second question)."""
    intent = request.get("intent")
    if intent not in INTENT_ACTIONS:
        return [SlotSet(CHOICES_SLOT, None), SlotSet(PENDING_SLOT, None)]
    parse = {
        "intent": {
            "name": intent,
            "confidence": 1.0 if confirm else request.get("confidence", 1.0),
        },
        "entities": request.get("entities") or [],
        "text": request.get("text") or "",
    }
    if confirm:
        parse[CONFIRMED] = {"chosen": request.get("chosen") or []}
    event = {
        "event": "user",
        "timestamp": None,
        "text": parse["text"],
        "parse_data": parse,
        "input_channel": tracker.get_latest_input_channel(),
        "metadata": latest_metadata(tracker),
    }
    return [
        SlotSet(CHOICES_SLOT, None),
        SlotSet(PENDING_SLOT, None),
        event,
        FollowupAction(INTENT_ACTIONS[intent]),
    ]


def offer_intents(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    count: int,
    floor: float,
    for_customer: bool,
) -> list[dict]:
    """The likeliest intents of the latest message as choices, plus "neither";
    the help text when none of them can be offered."""
    names = labels.CUSTOMER if for_customer else labels.CLERK
    ranking = tracker.latest_message.get("intent_ranking") or []
    likely = [
        r["name"]
        for r in ranking
        if r.get("name") in names and float(r.get("confidence") or 0) >= floor
    ][:count]
    if not likely:
        dispatcher.utter_message(response="say_not_understood")
        return [SlotSet(CHOICES_SLOT, None)]
    return ask_between(dispatcher, tracker, "say_offer_intents", likely, for_customer)


def ask_between(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    response: str,
    intents: list[str],
    for_customer: bool,
    reply: str | None = None,
) -> list[dict]:
    """Ask which of `intents` the latest message meant (those the person may be
    offered, by their labels), plus "neither" (answered with `reply`, else a
    request to rephrase)."""
    names = labels.CUSTOMER if for_customer else labels.CLERK
    request = request_of(tracker)
    choices = [
        {**request, "intent": name, "title": names[name]}
        for name in intents
        if name in names
    ]
    choices.append({"intent": None, "title": labels.NEITHER, "reply": reply})
    return ask(dispatcher, response, choices)


def _choice_number(tracker: Tracker) -> int | None:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == CHOICE_ENTITY:
            value = number(str(entity.get("value", "")))
            if value:
                return value
    match = PICK.match(tracker.latest_message.get("text") or "")
    return number(match.group(1)) if match else None


def latest_metadata(tracker: Tracker) -> dict:
    """The metadata the channel attached to the latest user message (a replayed
    message carries its original's)."""
    for event in reversed(tracker.events):
        metadata = event.get("metadata")
        if event.get("event") == "user" and isinstance(metadata, dict) and metadata:
            return metadata
    return {}
