"""The tracker store the Rasa server runs with: Rasa's SQL tracker store, which
also folds each batch of new events into salesbot's conversation summaries (in the
application database, `DATABASE_URL`), so managers' pages never scan events. Its
connections are checked before use, so a database that was restarted costs no
turn once it is back. A tracker it saved is kept for the conversation's next turn
while the database shows nothing written since (bot/runtime/tracker_cache.py).

Configured in the endpoints that `bot.runtime.servers` writes:
`type: bot.runtime.tracker_store.SummarizingTrackerStore`.

`save` writes rows as Rasa 3.6.21's own save does; on a Rasa upgrade compare the two
(`tests/unit/runtime/test_rasa_patches.py` fails on any other version).
"""

from __future__ import annotations

import itertools
import json
import logging

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot import config
from bot.db.engine import make_engine, shared_engine
from bot.runtime import rasa_patches  # noqa: F401 (Rasa 3.6 fix, see the module)
from bot.runtime.tracker_cache import Kept, TrackerCache
from bot.services.conversation_index import ConversationIndex

logger = logging.getLogger(__name__)


class SummarizingTrackerStore(SQLTrackerStore):
    _index: ConversationIndex | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = _engine(url)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.cache = TrackerCache(config.tracker_cache_size())

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's latest session: the tracker this server saved last
        turn when the database holds just what that save left, else Rasa's read."""
        kept = self.cache.take(sender_id)
        if kept is not None:
            with self.session_scope() as session:
                current = self._stored(session, sender_id) == (kept.rows, kept.last_id)
            if current:
                self.cache.lend(kept)
                return kept.tracker
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save: the events not stored yet are appended. Which those are is
        known for a tracker this store handed out; for another, Rasa's count of the
        session's stored events finds them. The new events then go to the
        summaries."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        stored = self.cache.returned(tracker)
        with self.session_scope() as session:
            if stored is None:
                stored = self._event_query(
                    session, sender_id, fetch_events_from_all_sessions=False
                ).count()
            new = [e.as_dict() for e in itertools.islice(tracker.events, stored, None)]
            rows = [self._row(sender_id, data) for data in new]
            session.add_all(rows)
            session.flush()
            kept = self._kept(session, tracker, rows) if self.cache.size else None
            session.commit()
        if kept is not None:
            self.cache.keep(kept)
        else:
            self.cache.forget(sender_id)
        self._summarise(sender_id, new)

    def _kept(self, session, tracker: DialogueStateTracker, rows: list) -> Kept | None:
        """The tracker as this save leaves it, unless rows were written after ours."""
        count, last_id = self._stored(session, tracker.sender_id)
        ours = rows[-1].id if rows else last_id
        if ours != last_id:
            return None
        return Kept(tracker, len(tracker.events), count, last_id)

    def _row(self, sender_id: str, data: dict):
        """An event's row as Rasa's save writes it."""
        intent = data.get("parse_data", {}).get("intent", {})
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=data["event"],
            timestamp=data.get("timestamp"),
            intent_name=intent.get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    def _stored(self, session, sender_id: str) -> tuple[int, int | None]:
        """The conversation's event rows, every session: how many, the newest id."""
        event = self.SQLEvent
        query = sa.select(sa.func.count(event.id), sa.func.max(event.id)).where(
            event.sender_id == sender_id
        )
        count, last_id = session.execute(query).one()
        return count, last_id

    def _summarise(self, sender_id: str, new: list[dict]) -> None:
        """Fold the new events into the conversation's summary, on the event loop
        like the save itself. In a worker thread each of its statements waited for
        the GIL while the loop ran other turns: its p95 was 16.6 ms under load, and
        the lookup turn's p95 94 ms against 64 ms with the fold done here."""
        try:
            self._summaries().record(sender_id, new)
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


def _engine(url: sa.engine.URL) -> sa.engine.Engine:
    """Rasa's engine had no pre-ping (after a database restart or outage every
    pooled connection failed one turn before it was replaced), and on SQLite no
    pool (each read and save of a turn opened the file anew) and a rollback
    journal synced on every save: SQLite gets salesbot's own engine (a pool, WAL,
    synchronous=NORMAL), PostgreSQL Rasa's pool sizes with a pre-ping."""
    if url.get_backend_name() == "sqlite":
        return make_engine(url.render_as_string(hide_password=False))
    return sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
