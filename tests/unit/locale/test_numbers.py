import pytest

from bot.locale.zh.numbers import chance, estimate
from bot.locale.zh.text import normalize


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
