"""The tracker store the Rasa server runs with: Rasa's SQL tracker store, which
also folds each batch of new events into salesbot's conversation summaries (in the
application database, `DATABASE_URL`), so managers' pages never scan events. Its
connections are checked before use, so a database that was restarted costs no
turn once it is back.

Configured in the endpoints that `bot.runtime.servers` writes:
`type: bot.runtime.tracker_store.SummarizingTrackerStore`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker

from bot import config
from bot.db.engine import shared_engine
from bot.runtime import rasa_patches  # noqa: F401 (Rasa 3.6 fix, see the module)
from bot.services.conversation_index import ConversationIndex

logger = logging.getLogger(__name__)
# the events the save in progress (one per task) writes
_saving: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "salesbot_saving", default=None
)


class SummarizingTrackerStore(SQLTrackerStore):
    _index: ConversationIndex | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Rasa's engine has no pre-ping: after a database restart or outage every
        # pooled connection failed one turn before it was replaced.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, pool_pre_ping=True, **create_engine_kwargs(url)
        )
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _additional_events(self, session, tracker: DialogueStateTracker):
        new = list(super()._additional_events(session, tracker))
        saving = _saving.get()
        if saving is not None:
            saving.extend(new)
        return iter(new)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save, which finds the new events with a count query; the same
        events then go to the summaries (a second count cost 8% of the server's
        CPU under load)."""
        saving: list = []
        token = _saving.set(saving)
        try:
            await super().save(tracker)
        finally:
            _saving.reset(token)
        new = [event.as_dict() for event in saving]
        try:
            await asyncio.to_thread(self._summaries().record, tracker.sender_id, new)
        except Exception as error:  # the events are stored; reindexing mends this
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            logger.error(
                "conversation summary not updated (%s); "
                "`salesbot reindex-conversations` rebuilds it",
                first,
            )

    def _summaries(self) -> ConversationIndex:
        if self._index is None:
            self._index = ConversationIndex(shared_engine(config.database_url()))
        return self._index
