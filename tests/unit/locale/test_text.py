import pytest

from bot.locale.zh.text import is_plain_refusal, is_question, normalize


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


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("不感兴趣", True),
        ("这几款她都不要", True),
        ("她说再看看，先不要", True),
        ("她一个都没看中", True),
        ("她不爱带拉链的", False),
        ("她不要围巾", False),
        ("她不喜欢太花的东西", False),
    ],
)
def test_a_plain_no_is_told_from_a_no_with_a_reason(text, plain):
    assert is_plain_refusal(text) is plain
