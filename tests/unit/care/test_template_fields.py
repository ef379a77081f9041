import pytest

from bot.care.template_fields import FieldError, fill, fit, static_problem


def test_free_text_past_its_limit_is_shortened_with_an_ellipsis():
    name = "意大利进口羊绒混纺双面呢长款翻领大衣（驼色）"
    assert fit("thing", name) == name[:19] + "…" and len(fit("thing", name)) == 20
    assert fit("thing", "羊毛大衣") == "羊毛大衣"
    assert fit("name", "欧阳晓梅") == "欧阳晓梅"


@pytest.mark.parametrize(
    "kind, value",
    [
        ("phrase", "已经发货了啊"),
        ("phrase", "OK"),
        ("time", "昨天"),
        ("date", "2026-11-30 10:00"),
        ("amount", "八百元"),
        ("number", "12a"),
        ("character_string", "有 空格"),
    ],
)
def test_values_of_the_wrong_shape_are_refused(kind, value):
    with pytest.raises(FieldError):
        fit(kind, value)


def test_shaped_values_wechat_accepts():
    assert fit("time", "2026年11月30日") == "2026年11月30日"
    assert fit("time", "2026-11-30 10:00") == "2026-11-30 10:00"
    assert fit("amount", "899.00元") == "899.00元"
    assert fit("phrase", "已发货") == "已发货"


def test_fill_names_the_keyword_that_does_not_fit():
    fields = {"thing1": ("thing", "{product}"), "phrase2": ("phrase", "{store}")}
    with pytest.raises(FieldError, match="phrase2"):
        fill(fields, {"product": "大衣", "store": "Jing'an"})
    with pytest.raises(FieldError, match=r"thing1: .*\{product\}"):
        fill(fields, {"store": "静安店"})
    assert fill({"thing1": ("thing", "{product}")}, {"product": "大衣"}) == {
        "thing1": {"value": "大衣"}
    }


def test_static_problems_are_found_before_anything_is_filled():
    assert static_problem("thing", "{product}") is None
    assert "21 characters" in static_problem("thing", "一" * 21 + "{product}")
    assert static_problem("time", "{purchased_on}") is None
    assert "date placeholder" in static_problem("time", "下单时间{purchased_on}")
    assert "Chinese characters only" in static_problem("phrase", "OK")
