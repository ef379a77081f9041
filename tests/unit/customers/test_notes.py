import pytest

from bot.customers.notes import Note, notes_from


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ("记一下她喜欢黑色", [("color", "黑色")], [Note("like", "黑色")]),
        ("她不喜欢印花的", [("color", "印花")], [Note("dislike", "印花")]),
        ("她对真丝过敏，记一下", [("category", "真丝")], [Note("dislike", "真丝")]),
        ("她穿M码，记下来", [("size", "M")], [Note("size", "M")]),
        (
            "她喜欢云裳的大衣",
            [("brand", "云裳"), ("category", "大衣"), ("brand", "云裳")],
            [Note("like", "云裳"), Note("like", "大衣")],
        ),
        ("她说喜欢简约风格，记一下", [], [Note("note", "她说喜欢简约风格，记一下")]),
        ("她不喜欢", [("phone", "13800000000")], [Note("note", "她不喜欢")]),
    ],
)
def test_a_note_becomes_likes_dislikes_sizes_or_a_free_note(text, entities, expected):
    assert notes_from(text, entities) == expected


def test_a_long_note_is_cut_to_what_the_column_holds():
    (note,) = notes_from("记" * 100, [])
    assert len(note.value) == 64


def test_notes_read_in_chinese():
    assert Note("dislike", "印花").label() == "不喜欢：印花"
