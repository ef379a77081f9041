"""Trackers a Rasa server keeps between a conversation's turns.

Rasa's SQL tracker store reads a conversation's whole session and rebuilds its
tracker event by event on every turn, then counts the stored events again to find
which ones are new. At 15 turns that was a third of the Rasa server's CPU in a
lookup turn, growing with every turn (issue #17). A tracker this server saved is
kept here and handed back on the conversation's next turn, when one cheap query
(the conversation's row count and newest row id) shows that nothing was written
or deleted since: by another Rasa server that took a turn, by `salesbot forget`
or by retention. Otherwise the tracker is read from the database as before.

A kept tracker is handed out once (`take`) and comes back with the next save
(`keep`); a turn that fails before saving leaves nothing behind, so its unsaved
events can never be taken for stored ones. Correctness across servers rests on
the lock store (one turn of a conversation at a time, anywhere), as Rasa's own
save does.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass

from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker


@dataclass(frozen=True)
class Kept:
    """A tracker as saved, and the conversation's rows as that save left them."""

    tracker: DialogueStateTracker
    length: int  # events the tracker held when saved: every one of them stored
    rows: int  # event rows of the conversation in the database, all sessions
    last_id: int | None  # the newest of those rows

    def unchanged(self) -> bool:
        """Nothing was added to the tracker after it was saved."""
        return len(self.tracker.events) == self.length


def worth_keeping(tracker: DialogueStateTracker) -> bool:
    """Whether the tracker is what reading its conversation would give: Rasa reads
    only the latest session, which starts with `session_started` (the first
    turn's `action_session_start` stands just before it). A tracker that started
    a new session in this turn still holds the old one; the next turn reads it
    afresh, as Rasa would."""
    if not tracker.events:
        return False
    later = itertools.islice(tracker.events, 2, None)
    return not any(isinstance(event, SessionStarted) for event in later)


class TrackerCache:
    """Kept trackers, the least recently saved dropped beyond `size`; and the ones
    handed out to a turn in progress, by conversation."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        self._lent: dict[str, Kept] = {}

    def take(self, sender_id: str) -> Kept | None:
        """The kept tracker of a conversation, no longer kept; None if there is none
        or it was changed after its save."""
        self._lent.pop(sender_id, None)  # a turn that never saved: abandoned
        kept = self._kept.pop(sender_id, None)
        if kept is None or not kept.unchanged():
            return None
        return kept

    def lend(self, kept: Kept) -> None:
        """`kept` was found current and handed to a turn."""
        self._lent[kept.tracker.sender_id] = kept

    def returned(self, tracker: DialogueStateTracker) -> int | None:
        """How many of the tracker's events are stored, if it is the one lent out
        for its conversation; None when its save must count them."""
        kept = self._lent.pop(tracker.sender_id, None)
        if kept is None or kept.tracker is not tracker:
            return None
        return kept.length

    def keep(self, kept: Kept) -> None:
        sender_id = kept.tracker.sender_id
        self._lent.pop(sender_id, None)
        if self.size <= 0 or not worth_keeping(kept.tracker):
            self._kept.pop(sender_id, None)
            return
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        self._kept.pop(sender_id, None)
        self._lent.pop(sender_id, None)

    def __len__(self) -> int:
        return len(self._kept)
