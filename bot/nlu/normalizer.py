"""A pipeline step before the tokenizer: every message is normalised
(`bot.locale.zh.text.normalize`) before anything reads it, on every channel, in
`rasa test` and in /model/parse alike. The actions see the normalised text too.

Training examples without entity annotations are normalised the same way; an
annotated example only has its full-width characters folded one by one (its
entity offsets must not move), and a unit test keeps it free of anything else.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.locale.zh.text import normalize, normalize_in_place


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class TextNormalizer(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            text = message.get(TEXT)
            if not text:
                continue
            if message.get(ENTITIES):
                message.set(TEXT, normalize_in_place(text))
            else:
                message.set(TEXT, normalize(text) or text)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.set(TEXT, normalize(text) or text)
        return messages
