"""Which shown suggestion a clerk means; anything unclear is never a match."""

import pytest

from bot.recommend.references import Shown, parse_reference, points_at, resolve

GLOVES = Shown(1, 101, 1, 1, "云裳 羊皮手套 黑色", "手套", "配饰", "云裳", "黑色")
SCARF = Shown(2, 102, 1, 2, "云裳 羊绒围巾 驼色", "围巾", "配饰", "云裳", "驼色")
COAT = Shown(3, 103, 0, 1, "云裳 羊毛大衣 黑色", "大衣", "服装", "云裳", "黑色")
DRESS = Shown(4, 104, 0, 2, "素言 真丝连衣裙 藏青", "连衣裙", "服装", "素言", "藏青")
BAG = Shown(5, 105, 0, 3, "皮语 托特包 棕色", "托特包", "箱包", "皮语", "棕色")
SESSION = [COAT, DRESS, BAG, GLOVES, SCARF]


def meant(text, shown=SESSION, named=()):
    result = resolve(parse_reference(text, shown), shown, named)
    return result.status, [s.id for s in result.items]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("她买了第二个", [4]),
        ("她要第一个", [3]),
        ("第1款她拿了", [3]),
        ("第三件也要了", [5]),
        ("最后那个她买了", [5]),
        ("最后一个", [5]),
        ("倒数第二个", [4]),
        ("头一个她要了", [3]),
    ],
)
def test_ordinals_count_in_the_newest_answer(text, ids):
    assert meant(text) == ("resolved", ids)


def test_an_ordinal_past_the_end_asks_among_the_newest_answer():
    assert meant("第五个") == ("ambiguous", [3, 4, 5])


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("那副黑色手套她拿了", [1]),  # from the answer before last
        ("围巾她买了", [2]),
        ("驼色的那条", [2]),
        ("她要那条连衣裙", [4]),
        ("托特包", [5]),
        ("皮语的包她买了", [5]),
        ("羊绒围巾", [2]),
    ],
)
def test_words_of_a_suggestion_find_it_in_any_answer_of_the_session(text, ids):
    assert meant(text) == ("resolved", ids)


def test_a_word_two_items_share_in_one_answer_asks():
    both = [
        COAT,
        Shown(6, 106, 0, 2, "云裳 针织衫 黑色", "针织衫", "服装", "云裳", "黑色"),
    ]
    assert meant("黑色的她买了", both) == ("ambiguous", [3, 6])


def test_a_shared_word_is_found_by_the_words_not_by_pointing():
    both = [
        COAT,
        Shown(6, 106, 0, 2, "云裳 针织衫 黑色", "针织衫", "服装", "云裳", "黑色"),
    ]
    assert resolve(parse_reference("云裳的", both), both).by_words
    assert not resolve(parse_reference("这个", both), both).by_words


def test_a_shared_word_prefers_the_newest_answer():
    assert meant("黑色的那件") == ("resolved", [3])


def test_this_one_is_the_only_item_of_the_newest_answer():
    only = [Shown(7, 107, 0, 1, "云裳 羊毛大衣 驼色", "大衣", "服装", "云裳", "驼色")]
    assert meant("她要这个", only) == ("resolved", [7])
    assert meant("她要这个") == ("ambiguous", [3, 4, 5])


def test_a_named_thing_that_was_not_shown_matches_nothing():
    assert meant("她不要围巾", [COAT, DRESS, BAG], named=("围巾",)) == ("not_shown", [])
    assert meant("她不喜欢黄色", SESSION, named=("黄色",)) == ("not_shown", [])


def test_nothing_pointing_at_a_suggestion_is_unknown():
    assert meant("她说再看看") == ("unknown", [])
    assert meant("第一个", []) == ("unknown", [])


def test_the_same_product_twice_counts_once_from_its_newest_answer():
    again = Shown(8, 103, 2, 1, "云裳 羊毛大衣 黑色", "大衣", "服装", "云裳", "黑色")
    assert meant("大衣她买了", [*SESSION, again]) == ("resolved", [3])


def test_pointing_words_are_told_from_reasons():
    assert (
        points_at("这个我不要") and points_at("第二个她不要") and points_at("最后那个")
    )
    assert not points_at("她不爱带拉链的")
