import pytest

from bot.locale.zh.numbers import chance


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
