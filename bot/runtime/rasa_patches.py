"""Four fixes to Rasa 3.6.21 itself, applied in the Rasa server when it loads our
tracker store (bot/runtime/tracker_store.py imports this module).

1. An action server that cannot be reached (refused, timed out, answering 5xx) made
Rasa log the error and answer nothing at all: the clerk or customer saw no reply.
`RemoteAction.run` now answers with the domain's `say_service_error` response
instead (the channel's own variant), and the turn goes on as before; a rejection
(`ActionExecutionRejection`, used by forms) still propagates.

2. Rasa checks every action server reply against a JSON schema with
`jsonschema.validate(result, schema)`. That call checks the schema itself against
its metaschema on every call before it checks the reply, and the schema never
changes. A profile of the Rasa server under load found this step the largest single
cost of a turn with a custom action: 68 ms CPU per lookup turn, against 36 ms with
the validator built once (issue #17). Here the validator is built once, its schema
checked once, and each reply is validated by it; an invalid reply raises the same
`ValidationError`, with the same added hint, as Rasa's own method.

3. A turn whose lock store or tracker store fails (PostgreSQL refusing connections,
a lock not got within TICKET_LOCK_LIFETIME) raised out of `Agent.handle_message`;
Rasa's REST channel logged it and answered `[]`, so the clerk saw nothing.
`Agent.handle_message` now answers such a turn with `say_service_error` too. The
turn was not saved, so what it had collected for a REST or console reply is
dropped first: the clerk is told to try again, not shown half a turn that the
conversation does not hold.

4. Rasa wraps every tracker store in a `FailSafeTrackerStore`, which turns a
failed read into "no such conversation" and a failed write into a write to memory.
When the database fails for one turn, Rasa then answers it as the first turn of a
new conversation (the clerk's customer forgotten: a wrong answer, not an error),
and the save that follows compares that short tracker with the stored one and
writes nothing, or the wrong events; a failed save is lost without a word. The
wrapper now passes errors on: the turn gets the apology of fix 3 and nothing is
written.

Drop this module when upgrading Rasa: `tests/unit/runtime/test_rasa_patches.py` fails
on any other Rasa version, so that the upgrade looks at whether the fix is still
needed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import aiohttp
import rasa
from rasa.core.actions.action import (
    ActionExecutionRejection,
    RemoteAction,
    create_bot_utterance,
)
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

PATCHED_FOR = "3.6.21"
UNAVAILABLE_RESPONSE = "say_service_error"
logger = logging.getLogger(__name__)
_rasa_run = RemoteAction.run
_rasa_handle_message = Agent.handle_message


async def _retrieve(self: FailSafeTrackerStore, sender_id: str):
    return await self._tracker_store.retrieve(sender_id)


async def _retrieve_full_tracker(self: FailSafeTrackerStore, sender_id: str):
    return await self._tracker_store.retrieve_full_tracker(sender_id)


async def _save(self: FailSafeTrackerStore, tracker) -> None:
    await self._tracker_store.save(tracker)


@functools.lru_cache(maxsize=1)
def reply_validator():
    """The validator of Rasa's action reply schema, its schema checked once."""
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    from jsonschema import ValidationError

    try:
        reply_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}"
            "/custom-actions"
        )
        raise error


async def _run(self: RemoteAction, output_channel, nlg, tracker, domain) -> list:
    try:
        return await _rasa_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except (RasaException, aiohttp.ClientError, asyncio.TimeoutError) as failure:
        logger.error(
            "action %s failed (%s): answered with %s",
            self.name(),
            failure,
            UNAVAILABLE_RESPONSE,
        )
        draft = await nlg.generate(UNAVAILABLE_RESPONSE, tracker, output_channel.name())
        if not draft:
            raise
        draft["utter_action"] = UNAVAILABLE_RESPONSE
        return [create_bot_utterance(draft)]


async def _handle_message(self: Agent, message: UserMessage):
    try:
        return await _rasa_handle_message(self, message)
    except Exception as failure:  # noqa: BLE001 (any store failure: apologise)
        logger.error(
            "message of %s not processed (%s: %s): answered with %s",
            message.sender_id,
            type(failure).__name__,
            failure,
            UNAVAILABLE_RESPONSE,
        )
        channel = message.output_channel
        tracker = DialogueStateTracker(message.sender_id, self.domain.slots)
        draft = await self.nlg.generate(UNAVAILABLE_RESPONSE, tracker, channel.name())
        if not draft:
            raise
        if isinstance(channel, CollectingOutputChannel):
            channel.messages.clear()
        await channel.send_response(message.sender_id, draft)
        return None


def apply() -> bool:
    """Patch Rasa's methods (once); False on a Rasa these fixes were not written for."""
    if rasa.__version__ != PATCHED_FOR:
        return False
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction.run = _run
    Agent.handle_message = _handle_message
    FailSafeTrackerStore.retrieve = _retrieve
    FailSafeTrackerStore.retrieve_full_tracker = _retrieve_full_tracker
    FailSafeTrackerStore.save = _save
    return True


apply()
