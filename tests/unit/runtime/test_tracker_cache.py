"""Trackers kept between turns (bot/runtime/tracker_cache.py): what is handed out,
when, and what a save may take as already stored."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import config
from bot.runtime.tracker_cache import Kept, TrackerCache, worth_keeping


def tracker(sender: str = "s1", first_turn: bool = False) -> DialogueStateTracker:
    """A tracker as reading it gives (from `session_started`), or as the first
    turn leaves it (`action_session_start` before that)."""
    t = DialogueStateTracker(sender, [])
    if first_turn:
        t.update(ActionExecuted("action_session_start"))
    t.update(SessionStarted())
    t.update(ActionExecuted("action_listen"))
    t.update(UserUttered("你好", {"name": "greet", "confidence": 0.9}))
    return t


def kept(t: DialogueStateTracker, rows: int = 4, last_id: int = 40) -> Kept:
    return Kept(t, len(t.events), rows, last_id)


def test_a_saved_tracker_is_handed_out_once():
    cache = TrackerCache(8)
    t = tracker()
    cache.keep(kept(t))
    taken = cache.take("s1")
    assert taken is not None and taken.tracker is t
    assert (taken.rows, taken.last_id) == (4, 40)
    assert cache.take("s1") is None


def test_a_tracker_changed_after_its_save_is_not_handed_out():
    cache = TrackerCache(8)
    t = tracker()
    cache.keep(kept(t))
    t.update(ActionExecuted("utter_greet"))  # a turn that never saved
    assert cache.take("s1") is None


def test_a_save_of_the_lent_tracker_knows_what_is_stored():
    cache = TrackerCache(8)
    t = tracker()
    cache.keep(kept(t))
    cache.lend(cache.take("s1"))
    t.update(ActionExecuted("utter_greet"))
    assert cache.returned(t) == 3  # the three events it held when saved
    assert cache.returned(t) is None  # once


def test_another_tracker_of_the_conversation_must_be_counted():
    cache = TrackerCache(8)
    t = tracker()
    cache.keep(kept(t))
    cache.lend(cache.take("s1"))
    assert cache.returned(tracker()) is None


def test_a_new_turn_abandons_a_lent_tracker_that_was_never_saved():
    cache = TrackerCache(8)
    t = tracker()
    cache.keep(kept(t))
    cache.lend(cache.take("s1"))
    assert cache.take("s1") is None  # the turn failed; the next one reads
    assert cache.returned(t) is None


def test_the_least_recently_saved_go_first():
    cache = TrackerCache(2)
    for sender in ("a", "b", "c"):
        cache.keep(kept(tracker(sender)))
    assert len(cache) == 2
    assert cache.take("a") is None
    assert cache.take("b") is not None and cache.take("c") is not None


def test_size_zero_keeps_nothing():
    cache = TrackerCache(0)
    cache.keep(kept(tracker()))
    assert len(cache) == 0 and cache.take("s1") is None


def test_forget_drops_kept_and_lent():
    cache = TrackerCache(8)
    t = tracker()
    cache.keep(kept(t))
    cache.forget("s1")
    assert cache.take("s1") is None
    cache.keep(kept(t))
    cache.lend(cache.take("s1"))
    cache.forget("s1")
    assert cache.returned(t) is None


def test_only_a_tracker_that_reading_would_give_is_worth_keeping():
    assert worth_keeping(tracker())
    assert worth_keeping(tracker(first_turn=True))
    assert not worth_keeping(DialogueStateTracker("empty", []))
    restarted = tracker()
    restarted.update(ActionExecuted("action_session_start"))
    restarted.update(SessionStarted())  # the old session is still in it
    assert not worth_keeping(restarted)
    cache = TrackerCache(8)
    cache.keep(kept(restarted))
    assert cache.take("s1") is None


def test_the_cache_size_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("SALESBOT_TRACKER_CACHE", raising=False)
    assert config.tracker_cache_size() == 256
    monkeypatch.setenv("SALESBOT_TRACKER_CACHE", "0")
    assert config.tracker_cache_size() == 0
    for wrong in ("-1", "many", "1.5", ""):
        monkeypatch.setenv("SALESBOT_TRACKER_CACHE", wrong)
        with pytest.raises(ValueError, match="SALESBOT_TRACKER_CACHE must be a number"):
            config.tracker_cache_size()
