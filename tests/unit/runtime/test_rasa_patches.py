"""The fix to Rasa's per-reply schema check (bot/runtime/rasa_patches.py)."""

import jsonschema
import pytest
import rasa
from rasa.core.actions.action import RemoteAction

from bot.runtime import rasa_patches

GOOD = {
    "events": [{"event": "slot", "name": "customer_id", "value": "7"}],
    "responses": [{"text": "好的"}],
}


def test_it_was_written_for_this_rasa():
    """On an upgrade this fails: check whether Rasa still re-checks its schema on
    every reply, then drop the module or move PATCHED_FOR."""
    assert rasa.__version__ == rasa_patches.PATCHED_FOR
    assert rasa_patches.apply()


def test_rasa_runs_the_patched_check():
    import bot.runtime.tracker_store  # noqa: F401 (what the Rasa server loads)

    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result


def test_the_schema_is_checked_once_not_per_reply(monkeypatch):
    checks = []
    rasa_patches.reply_validator.cache_clear()
    cls = jsonschema.validators.validator_for(
        RemoteAction.action_response_format_spec()
    )
    original = cls.check_schema.__func__

    def counting(klass, schema, *args, **kwargs):
        checks.append(1)
        return original(klass, schema, *args, **kwargs)

    monkeypatch.setattr(cls, "check_schema", classmethod(counting))
    action = RemoteAction("action_lookup_customer", None)
    for _ in range(50):
        assert action._validate_action_result(GOOD)
    assert len(checks) == 1
    rasa_patches.reply_validator.cache_clear()


def test_a_bad_reply_is_refused_as_rasa_refuses_it():
    action = RemoteAction("action_lookup_customer", None)
    bad = {"events": "not a list"}
    with pytest.raises(jsonschema.ValidationError) as mine:
        action._validate_action_result(bad)
    assert "Failed to validate Action server response" in mine.value.message
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, RemoteAction.action_response_format_spec())


def test_rasa_runs_the_patched_action_call():
    import bot.runtime.tracker_store  # noqa: F401 (what the Rasa server loads)

    assert RemoteAction.run is rasa_patches._run


def _run_unreachable(channel: str, rejecting: bool = False):
    import asyncio

    import yaml
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot.config import PROJECT_ROOT

    text = (PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")
    responses = yaml.safe_load(text)["responses"]
    domain = Domain.empty()  # Domain.load's schema check warns on Python 3.10

    class Channel(CollectingOutputChannel):
        @classmethod
        def name(cls):
            return channel

    action = RemoteAction(
        "action_lookup_customer", EndpointConfig("http://127.0.0.1:1/")
    )
    tracker = DialogueStateTracker("unit", [])
    nlg = TemplatedNaturalLanguageGenerator(responses)
    return asyncio.run(action.run(Channel(), nlg, tracker, domain))


def test_an_unreachable_action_server_gets_the_channels_polite_reply():
    (clerk,) = _run_unreachable("rest")
    (customer,) = _run_unreachable("wechat")
    assert clerk.text.startswith("抱歉，系统暂时查不到数据")
    assert customer.text.startswith("抱歉，系统暂时出了点问题")
    assert clerk.metadata.get("utter_action") == rasa_patches.UNAVAILABLE_RESPONSE


class _GoneDatabase(Exception):
    pass


class _FailingLockStore:
    """A lock store whose database refuses connections."""

    def lock(self, conversation_id: str):
        raise _GoneDatabase("connection refused")


class _Unreached:
    def __getattr__(self, name):
        raise AssertionError(f"the processor was reached ({name})")


def _turn_without_database(channel_name: str, said_before: list[dict]):
    import asyncio

    import yaml
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.shared.core.domain import Domain

    from bot.config import PROJECT_ROOT

    text = (PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")
    domain = Domain.empty()  # Domain.load's schema check warns on Python 3.10
    domain.responses = yaml.safe_load(text)["responses"]

    class Channel(CollectingOutputChannel):
        @classmethod
        def name(cls):
            return channel_name

    agent = Agent(domain=domain)
    agent.lock_store = _FailingLockStore()
    agent.processor = _Unreached()
    channel = Channel()
    channel.messages.extend(said_before)
    answer = asyncio.run(agent.handle_message(UserMessage("你好", channel, "c1")))
    return answer, channel.messages


def test_rasa_runs_the_patched_message_handler():
    from rasa.core.agent import Agent

    import bot.runtime.tracker_store  # noqa: F401 (what the Rasa server loads)

    assert Agent.handle_message is rasa_patches._handle_message


def test_a_turn_the_stores_cannot_hold_gets_the_apology_alone():
    answer, clerk = _turn_without_database("rest", [{"text": "half a turn"}])
    assert answer is None
    assert [m["text"] for m in clerk] == [
        "抱歉，系统暂时查不到数据，请稍后再试。如果一直这样，请联系门店店长。"
    ]
    _, customer = _turn_without_database("wechat", [])
    assert [m["text"][:14] for m in customer] == ["抱歉，系统暂时出了点问题，请"]


def test_a_tracker_store_failure_is_not_taken_for_a_new_conversation():
    import asyncio

    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    import bot.runtime.tracker_store  # noqa: F401 (what the Rasa server loads)

    class Gone(InMemoryTrackerStore):
        async def retrieve(self, sender_id):
            raise _GoneDatabase("connection refused")

        async def retrieve_full_tracker(self, sender_id):
            raise _GoneDatabase("connection refused")

        async def save(self, tracker):
            raise _GoneDatabase("connection refused")

    store = FailSafeTrackerStore(Gone(Domain.empty()))
    with pytest.raises(_GoneDatabase):
        asyncio.run(store.retrieve("c1"))
    with pytest.raises(_GoneDatabase):
        asyncio.run(store.retrieve_full_tracker("c1"))
    with pytest.raises(_GoneDatabase):
        asyncio.run(store.save(DialogueStateTracker("c1", [])))
    assert store._fallback_tracker_store is None  # nothing went to memory
