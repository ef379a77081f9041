"""Asking instead of guessing: which answers count, and what a pick replays."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue import (
    CONFIRMED,
    ask,
    offer_intents,
    offered,
    picked,
    replay,
    request_of,
)
from actions.names import CHOICES_SLOT, PENDING_SLOT

CHOICES = [
    {
        "title": "云裳 羊毛大衣 黑色",
        "intent": "record_purchase",
        "text": "她买了",
        "entities": [],
        "chosen": [7],
    },
    {"title": "都不是", "intent": None},
]


def user(text, intent="record_purchase", confidence=0.9, metadata=None):
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": confidence}},
        "metadata": metadata or {},
        "input_channel": "console",
    }


def tracker(events, text, intent="choose_option", confidence=1.0, ranking=None):
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "intent_ranking": ranking or [],
    }
    return Tracker(
        "clerk-1",
        {},
        latest,
        [*events, user(text, intent, confidence)],
        False,
        None,
        None,
        None,
    )


ASKED = [
    user("她买了", metadata={"staff": {"id": 3}}),
    {"event": "slot", "name": CHOICES_SLOT, "value": CHOICES},
]


def test_a_number_right_after_the_question_picks_that_choice():
    assert picked(tracker(ASKED, "1")) == CHOICES[0]
    assert picked(tracker(ASKED, "第一个")) == CHOICES[0]
    assert picked(tracker(ASKED, "选2")) == CHOICES[1]
    assert picked(tracker(ASKED, "都不是")) == CHOICES[1]


def test_an_ordinal_in_a_sentence_picks_among_the_items_offered():
    assert picked(tracker(ASKED, "她买了第一个", "record_purchase")) == CHOICES[0]


def test_a_number_out_of_range_or_a_sentence_picks_nothing():
    assert picked(tracker(ASKED, "5")) is None
    assert picked(tracker(ASKED, "她买了大衣")) is None


def test_an_answer_counts_only_right_after_the_question():
    later = [*ASKED, user("她喜欢什么", "ask_preferences")]
    assert offered(tracker(later, "1"), CHOICES_SLOT) is None
    assert picked(tracker(later, "1")) is None


def test_a_pick_replays_the_original_request_as_confirmed():
    events = replay(tracker(ASKED, "1"), CHOICES[0], confirm=True)
    replayed = next(e for e in events if e.get("event") == "user")
    assert replayed["text"] == "她买了"
    assert replayed["parse_data"]["intent"] == {
        "name": "record_purchase",
        "confidence": 1.0,
    }
    assert replayed["parse_data"][CONFIRMED] == {"chosen": [7]}
    assert replayed["metadata"] == {"staff": {"id": 3}}
    assert replayed["input_channel"] == "console"
    assert events[-1] == {
        "event": "followup",
        "timestamp": None,
        "name": "action_record_purchase",
    }
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {
        CHOICES_SLOT: None,
        PENDING_SLOT: None,
    }


def test_a_resumed_request_keeps_its_own_confidence():
    pending = request_of(tracker([], "她喜欢什么", "ask_preferences", 0.62))
    events = replay(tracker([], "M00000001", "lookup_customer"), pending, confirm=False)
    replayed = next(e for e in events if e.get("event") == "user")
    assert replayed["parse_data"]["intent"]["confidence"] == 0.62
    assert CONFIRMED not in replayed["parse_data"]


def test_the_likeliest_labelled_intents_are_offered_with_neither():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "deny", "confidence": 0.3},
        {"name": "choose_option", "confidence": 0.1},
        {"name": "note_preference", "confidence": 0.2},
        {"name": "ask_history", "confidence": 0.01},
    ]
    dispatcher = CollectingDispatcher()
    events = offer_intents(
        dispatcher,
        tracker([], "她不要那种", "nlu_fallback", 0.45, ranking),
        2,
        0.05,
        False,
    )
    (message,) = dispatcher.messages
    assert message["response"] == "say_offer_intents"
    assert [b["title"] for b in message["buttons"]] == [
        "记录她不要刚才推荐的商品",
        "记下她的偏好",
        "都不是",
    ]
    assert message["buttons"][1]["payload"] == '/choose_option{"choice":"2"}'
    (slot,) = events
    assert [c["intent"] for c in slot["value"]] == ["deny", "note_preference", None]


def test_nothing_to_offer_is_the_help_text():
    dispatcher = CollectingDispatcher()
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "greet", "confidence": 0.3},
    ]
    offer_intents(
        dispatcher, tracker([], "啊", "nlu_fallback", 0.45, ranking), 2, 0.05, False
    )
    assert dispatcher.messages[0]["response"] == "say_not_understood"


def test_asking_keeps_the_choices_for_the_next_message():
    dispatcher = CollectingDispatcher()
    (slot,) = ask(dispatcher, "say_which_item", CHOICES)
    assert slot == {
        "event": "slot",
        "timestamp": None,
        "name": CHOICES_SLOT,
        "value": CHOICES,
    }
    assert len(dispatcher.messages[0]["buttons"]) == 2
