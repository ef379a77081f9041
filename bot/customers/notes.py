"""What a clerk notes about a customer ("记一下她喜欢黑色", "她不喜欢印花的") as
preference rows: likes, dislikes, sizes, or a free note when nothing is named.

Dislikes are what the recommender keeps away from her, so a note is read as a
dislike only when it says so with one of NEGATIVE_WORDS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NEGATIVE_WORDS = (
    "不喜欢",
    "不要",
    "讨厌",
    "过敏",
    "不穿",
    "不用",
    "别推",
    "不爱",
    "不考虑",
)
NAMED = ("color", "category", "brand", "product")
KIND_LABELS = {"like": "喜欢", "dislike": "不喜欢", "size": "尺码", "note": "备注"}
VALUE_LIMIT = 64


@dataclass(frozen=True)
class Note:
    kind: str
    value: str

    def label(self) -> str:
        return f"{KIND_LABELS.get(self.kind, self.kind)}：{self.value}"


def notes_from(text: str, entities: Iterable[tuple[str, str]]) -> list[Note]:
    """The notes in a message, from its entities (entity name, value)."""
    negative = any(word in text for word in NEGATIVE_WORDS)
    notes: list[Note] = []
    for entity, value in entities:
        value = value.strip()[:VALUE_LIMIT]
        if not value:
            continue
        if entity == "size":
            note = Note("size", value)
        elif entity in NAMED:
            note = Note("dislike" if negative else "like", value)
        else:
            continue
        if note not in notes:
            notes.append(note)
    if not notes and text.strip():
        notes.append(Note("note", text.strip()[:VALUE_LIMIT]))
    return notes
