import pytest

from bot.locale.zh.numbers import chance, estimate
from bot.locale.zh.text import is_question, normalize


@pytest.mark.parametrize(
    ("p", "shown"),
    [
        (0.998, "约99%"),
        (0.99, "约99%"),
        (0.975, "98%"),
        (1.0, "100%"),
        (0.42, "42%"),
        (0.011, "1%"),
        (0.003, "不到1%"),
        (0.0, "0%"),
    ],
)
def test_a_probability_is_never_shown_as_a_certainty_it_is_not(p, shown):
    assert chance(p) == shown


def test_an_estimate_is_rounded_once_to_whole_yuan():
    assert estimate(123456.7) == "¥1,235"
    assert estimate(49.0) == "¥0"


@pytest.mark.parametrize(
    ("typed", "seen"),
    [
        ("她喜欢什么😊😊", "她喜欢什么"),
        ("[微笑]给她推荐点东西", "给她推荐点东西"),
        ("Ｍ０００００００１", "M00000001"),
        ("１２月１０号提醒她", "12月10号提醒她"),
        ("她买了第二个！！！", "她买了第二个!"),
        ("好的。。。", "好的。"),
        ("  她  喜欢啥？？ ", "她 喜欢啥?"),
        ("👍", ""),
    ],
)
def test_typed_text_is_normalised_before_the_nlu(typed, seen):
    assert normalize(typed) == seen


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("她一般穿多大码", True),
        ("她喜欢什么颜色?", True),
        ("她穿几码", True),
        ("她是不是喜欢新品", True),
        ("她穿S码", False),
        ("她不喜欢黄色", False),
        ("记一下她喜欢黑色", False),
    ],
)
def test_a_question_is_told_from_a_statement(text, asks):
    assert is_question(text) is asks
