"""Summaries and transcripts of conversations from Rasa tracker events (dicts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.identity.senders import openid_of

FALLBACKS = frozenset(
    {"nlu_fallback", "action_default_fallback", "utter_default", "action_offer_intents"}
)
HANDOFF = "action_human_handoff"


@dataclass(frozen=True)
class Summary:
    sender_id: str
    channel: str
    started: float
    last: float
    user_turns: int
    intents: tuple[str, ...]
    lowest_confidence: float | None
    fallback: bool
    handoff: bool
    staff: str | None
    store_id: int | None
    staff_id: int | None
    customer_ids: tuple[int, ...]
    openid: str | None


@dataclass(frozen=True)
class Turn:
    event_id: int
    at: float
    author: str  # customer, clerk or bot
    text: str
    intent: str | None = None
    confidence: float | None = None
    actions: tuple[str, ...] = ()
    handoff: bool = False  # said to or by a person in the handoff queue, not the bot


def summarize(sender_id: str, events: Sequence[dict]) -> Summary | None:
    """None for a conversation without a single user message."""
    return fold(None, sender_id, events)


def fold(
    previous: Summary | None, sender_id: str, events: Sequence[dict]
) -> Summary | None:
    """`previous` (the summary of the events before) updated with the events after
    it, so a conversation is summarised as it happens, a few events at a time, and
    `fold(fold(None, s, a), s, b) == summarize(s, a + b)`. None while the
    conversation has no user message."""
    users = [e for e in events if e.get("event") == "user"]
    if previous is None and not users:
        return None
    intents: list[str] = list(previous.intents) if previous else []
    confidences = [previous.lowest_confidence] if previous else []
    for event in users:
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name"):
            intents.append(intent["name"])
        if isinstance(intent.get("confidence"), (int, float)):
            confidences.append(float(intent["confidence"]))
    confidences = [c for c in confidences if c is not None]
    names = {e.get("name") for e in events if e.get("event") == "action"}
    names |= set(intents)
    staff = next(
        (
            (e.get("metadata") or {}).get("staff")
            for e in reversed(users)
            if isinstance((e.get("metadata") or {}).get("staff"), dict)
        ),
        None,
    )
    customers = list(previous.customer_ids) if previous else []
    for event in events:
        if event.get("event") == "slot" and event.get("name") == "customer_id":
            value = event.get("value")
            if value not in (None, "") and str(value).isdigit():
                customers.append(int(value))
    last = float(events[-1].get("timestamp") or 0) if events else 0.0
    return Summary(
        sender_id=sender_id,
        channel=(users[-1].get("input_channel") or "unknown")
        if users
        else previous.channel,
        started=previous.started if previous else float(users[0].get("timestamp") or 0),
        last=max(last, previous.last) if previous else last,
        user_turns=len(users) + (previous.user_turns if previous else 0),
        intents=tuple(dict.fromkeys(intents)),
        lowest_confidence=min(confidences) if confidences else None,
        fallback=bool(names & FALLBACKS) or bool(previous and previous.fallback),
        handoff=HANDOFF in names or bool(previous and previous.handoff),
        staff=staff.get("username") if staff else _kept(previous, "staff"),
        store_id=staff.get("store_id") if staff else _kept(previous, "store_id"),
        staff_id=staff.get("id") if staff else _kept(previous, "staff_id"),
        customer_ids=tuple(dict.fromkeys(customers)),
        openid=openid_of(sender_id),
    )


def _kept(previous: Summary | None, name: str):
    return getattr(previous, name) if previous else None


def _said(text: str) -> str:
    """A tapped choice arrives as its payload (`/choose_option{"choice":"3"}`);
    a manager reads what was tapped."""
    if text.startswith("/choose_option"):
        try:
            choice = json.loads(text[len("/choose_option") :] or "{}").get("choice")
        except (ValueError, AttributeError):
            choice = None
        return f"（点了第{choice}个选项）" if choice else "（点了一个选项）"
    return text


def transcript(events: Sequence[dict]) -> list[Turn]:
    """User messages with intent, confidence and the actions run for them; bot
    replies in between. Channel-made messages (`/greet` for a follow) are marked."""
    turns: list[Turn] = []
    actions: list[str] = []
    current: Turn | None = None

    for event in events:
        kind = event.get("event")
        if kind == "user":
            if current is not None:
                turns[turns.index(current)] = _with_actions(current, actions)
            actions = []
            intent = (event.get("parse_data") or {}).get("intent") or {}
            author = "customer" if event.get("input_channel") == "wechat" else "clerk"
            current = Turn(
                event["id"],
                float(event.get("timestamp") or 0),
                author,
                _said(event.get("text") or ""),
                intent.get("name"),
                intent.get("confidence"),
            )
            turns.append(current)
        elif kind == "action" and event.get("name") not in (
            "action_listen",
            "action_session_start",
        ):
            actions.append(event.get("name") or "")
        elif kind == "bot":
            turns.append(
                Turn(
                    event["id"],
                    float(event.get("timestamp") or 0),
                    "bot",
                    event.get("text") or "",
                )
            )
    if current is not None:
        turns[turns.index(current)] = _with_actions(current, actions)
    return turns


def _with_actions(turn: Turn, actions: list[str]) -> Turn:
    return Turn(
        turn.event_id,
        turn.at,
        turn.author,
        turn.text,
        turn.intent,
        turn.confidence,
        tuple(actions),
    )
