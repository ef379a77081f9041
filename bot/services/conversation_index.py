"""Keeping the conversation summaries current: each batch of new tracker events is
folded into its conversation's row as Rasa stores it, and `reindex` rebuilds rows
from the tracker (after an upgrade, or for conversations that retention trimmed)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy.engine import Engine

from bot.conversations.summary import Summary, fold
from bot.db.summary_store import SummaryStore
from bot.db.tracker_store import TrackerStore
from bot.db.uow import UnitOfWork

BATCH = 500


class ConversationIndex:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, sender_id: str, new_events: Sequence[dict]) -> None:
        """Fold events Rasa has just stored into the conversation's summary."""
        if not new_events:
            return
        with UnitOfWork(self._engine) as uow:
            store = SummaryStore(uow.connection)
            summary = fold(store.get(sender_id, lock=True), sender_id, new_events)
            if summary is not None:
                _put(store, summary)
            uow.commit()

    def reindex(
        self,
        tracker: TrackerStore,
        senders: Iterable[str] | None = None,
        progress: Callable[[int], None] = lambda n: None,
    ) -> int:
        """Rebuild the summaries of `senders` (every conversation in the tracker by
        default) from their events, BATCH conversations per transaction; how many
        conversations have a summary now."""
        wanted = list(tracker.senders() if senders is None else senders)
        written = 0
        for chunk in range(0, len(wanted), BATCH):
            part = wanted[chunk : chunk + BATCH]
            events = tracker.events_of(part)
            with UnitOfWork(self._engine) as uow:
                store = SummaryStore(uow.connection)
                store.delete_senders(part)
                for sender in part:
                    summary = fold(None, sender, events.get(sender, []))
                    if summary is not None:
                        _put(store, summary)
                        written += 1
                uow.commit()
            progress(len(part))
        return written


def _put(store: SummaryStore, summary: Summary) -> None:
    customer_id, home_store, segment = store.resolve(
        summary.customer_ids, summary.openid
    )
    store_id = summary.store_id if summary.store_id is not None else home_store
    store.put(summary, store_id, customer_id, segment)
