import csv
import shutil
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.knowledge import KnowledgeError, load_knowledge
from bot.knowledge.loader import yuan_to_fen


@pytest.fixture()
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", target)
    return target


def test_the_shipped_knowledge_loads(knowledge):
    assert len(knowledge.catalog) >= 200
    assert {p.category for p in knowledge.catalog} >= {
        "服装",
        "鞋履",
        "箱包",
        "配饰",
        "护肤",
        "护理用品",
    }


def test_every_subcategory_offers_price_tiers_or_is_a_single_item(knowledge):
    tiers = {}
    for product in knowledge.catalog:
        tiers.setdefault(product.subcategory, set()).add(product.price_tier)
    assert sum(len(found) > 1 for found in tiers.values()) >= 30


def test_a_level_out_of_order_names_the_file_and_key(knowledge_copy: Path):
    (knowledge_copy / "membership.yml").write_text(
        "currency: CNY\n"
        "levels:\n  - {name: 金卡, min_spend: 8000}\n  - {name: 普通, min_spend: 0}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        KnowledgeError, match=r"membership\.yml: levels: min_spend must start at 0"
    ):
        load_knowledge(knowledge_copy)


def test_thresholds_in_another_currency_than_the_deployments_are_refused(
    knowledge_copy: Path,
):
    (knowledge_copy / "currency.yml").write_text(
        "code: GBP\nsymbol: £\nminor_units: 2\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeError, match=r"membership\.yml: .* in CNY .* is GBP"):
        load_knowledge(knowledge_copy)
    text = (knowledge_copy / "membership.yml").read_text(encoding="utf-8")
    (knowledge_copy / "membership.yml").write_text(
        text.replace("currency: CNY", "currency: GBP"), encoding="utf-8"
    )
    found = load_knowledge(knowledge_copy)
    assert (found.currency.code, found.currency.symbol) == ("GBP", "£")


def test_a_currency_with_more_than_two_decimals_is_refused(knowledge_copy: Path):
    (knowledge_copy / "currency.yml").write_text(
        "code: KWD\nsymbol: KD\nminor_units: 3\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeError, match=r"currency\.yml: minor_units"):
        load_knowledge(knowledge_copy)


def test_an_unknown_key_is_refused(knowledge_copy: Path):
    path = knowledge_copy / "segments.yml"
    path.write_text(
        path.read_text(encoding="utf-8") + "top_categroies: 3\n", encoding="utf-8"
    )
    with pytest.raises(
        KnowledgeError,
        match=r"segments\.yml: top_categroies: extra fields not permitted",
    ):
        load_knowledge(knowledge_copy)


def test_broken_yaml_names_the_file(knowledge_copy: Path):
    (knowledge_copy / "segments.yml").write_text("value_labels: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"segments\.yml: not valid YAML"):
        load_knowledge(knowledge_copy)


def test_a_bad_catalog_row_names_its_line_and_field(knowledge_copy: Path):
    path = knowledge_copy / "catalog.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[2]["tags"] = "hot"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(
        KnowledgeError, match=r"catalog\.csv:4: tags.*unknown tag 'hot'"
    ):
        load_knowledge(knowledge_copy)


def test_a_complement_to_an_unknown_subcategory_is_refused(knowledge_copy: Path):
    path = knowledge_copy / "complements.yml"
    path.write_text("complements:\n  大衣: [飞机]\n", encoding="utf-8")
    with pytest.raises(
        KnowledgeError, match=r"complements\.大衣: unknown subcategory '飞机'"
    ):
        load_knowledge(knowledge_copy)


def test_a_missing_file_is_named(knowledge_copy: Path):
    (knowledge_copy / "membership.yml").unlink()
    with pytest.raises(KnowledgeError, match=r"membership\.yml: file not found"):
        load_knowledge(knowledge_copy)


@pytest.mark.parametrize("text, fen", [("899.00", 89900), ("0.5", 50), (" 12 ", 1200)])
def test_yuan_amounts_convert_to_fen_exactly(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["1.005", "abc", "", "NaN", "inf"])
def test_amounts_that_are_not_yuan_and_fen_are_refused(text):
    with pytest.raises(ValueError):
        yuan_to_fen(text)


def test_segment_rules_must_cover_every_rfm_cell(knowledge_copy: Path):
    path = knowledge_copy / "segments.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "  - {key: hibernating, name: 沉睡客户, r: [1, 2], f: [1, 2]}\n", ""
        ),
        encoding="utf-8",
    )
    with pytest.raises(
        KnowledgeError, match=r"segments\.yml: .*no rule covers r=1, f=1"
    ):
        load_knowledge(knowledge_copy)


def test_an_unknown_placeholder_in_a_talking_point_is_an_error_at_start(
    knowledge_copy: Path,
):
    path = knowledge_copy / "playbook.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("聊聊她常买的{category}", "聊聊她常买的{colour}"), encoding="utf-8"
    )
    with pytest.raises(
        KnowledgeError, match=r"playbook\.yml: .*unknown placeholder \{colour\}"
    ):
        load_knowledge(knowledge_copy)


def test_the_playbook_must_end_with_a_default(knowledge_copy: Path):
    path = knowledge_copy / "playbook.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    when: {}\n", "    when: {lifecycle: [active]}\n"),
        encoding="utf-8",
    )
    with pytest.raises(
        KnowledgeError, match=r"the last strategy must have no conditions"
    ):
        load_knowledge(knowledge_copy)


def test_a_playbook_condition_on_an_unknown_tier_is_refused(knowledge_copy: Path):
    path = knowledge_copy / "playbook.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "value_tier: [high], lifecycle: [at_risk",
            "value_tier: [gold], lifecycle: [at_risk",
        ),
        encoding="utf-8",
    )
    with pytest.raises(
        KnowledgeError,
        match=r"strategies\.vip_winback\.when\.value_tier: unknown 'gold'",
    ):
        load_knowledge(knowledge_copy)


def test_a_reason_with_a_placeholder_it_cannot_fill_is_an_error_at_start(
    knowledge_copy: Path,
):
    path = knowledge_copy / "recommend.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  popular: 近期店里的热销款", "  popular: 近期{anchor}热销"),
        encoding="utf-8",
    )
    with pytest.raises(
        KnowledgeError,
        match=r"recommend\.yml: .*reason popular: unknown placeholder \{anchor\}",
    ):
        load_knowledge(knowledge_copy)


def test_every_reason_must_be_written(knowledge_copy: Path):
    path = knowledge_copy / "recommend.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  upsell: 比她买过的{anchor}高一档, 在她常买的价位内\n", ""),
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match=r"missing reasons: upsell"):
        load_knowledge(knowledge_copy)


def test_an_upsell_step_that_is_not_a_step_up_is_refused(knowledge_copy: Path):
    path = knowledge_copy / "recommend.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("min_step: 1.15", "min_step: 0.9"), encoding="utf-8")
    with pytest.raises(
        KnowledgeError,
        match=r"recommend\.yml: upsell\.min_step: ensure this value is greater than 1",
    ):
        load_knowledge(knowledge_copy)


def test_a_focus_for_a_strategy_the_playbook_lacks_is_refused(knowledge_copy: Path):
    path = knowledge_copy / "recommend.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  vip_care: premium", "  vip_cares: premium"), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError, match=r"strategy_focus\.vip_cares: no such"):
        load_knowledge(knowledge_copy)


def test_verification_codes_too_short_to_be_safe_are_refused(knowledge_copy: Path):
    path = knowledge_copy / "customer_service.yml"
    text = path.read_text(encoding="utf-8").replace("code_digits: 6", "code_digits: 3")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        KnowledgeError,
        match=r"customer_service\.yml: verification\.code_digits: ensure",
    ):
        load_knowledge(knowledge_copy)


def test_the_knowledge_of_customer_service_is_loaded(knowledge):
    rules = knowledge.customer_service
    assert rules.verification.code_digits == 6
    assert rules.handoff.expire_hours == 24
    assert knowledge.care.reply_hours == 48


@pytest.mark.parametrize(
    ("key", "value"),
    [("write_confidence", "1.5"), ("write_confidence", "0"), ("offered_intents", "0")],
)
def test_conversation_rules_out_of_range_are_refused(knowledge_copy: Path, key, value):
    path = knowledge_copy / "conversation.yml"
    text = path.read_text(encoding="utf-8")
    lines = [
        f"{key}: {value}" if line.startswith(f"{key}:") else line
        for line in text.splitlines()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=f"conversation.yml.*{key}"):
        load_knowledge(knowledge_copy)


def test_a_declined_period_is_required(knowledge_copy: Path):
    path = knowledge_copy / "recommend.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        "\n".join(
            line for line in text.splitlines() if not line.startswith("declined_days")
        )
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match="recommend.yml.*declined_days"):
        load_knowledge(knowledge_copy)


def _wechat(knowledge_copy: Path, old: str, new: str) -> None:
    path = knowledge_copy / "wechat.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_template_text_too_long_for_its_keyword_names_the_file_and_key(
    knowledge_copy: Path,
):
    _wechat(
        knowledge_copy,
        'thing2: {type: thing, value: "保养建议：请按洗标护理"}',
        'thing2: {type: thing, value: "保养建议：请按洗标护理，平放晾干，收纳前放防虫片"}',
    )
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    message = str(error.value)
    assert "wechat.yml" in message and "templates.care_tip.fields.thing2" in message
    assert "a thing keyword takes at most 20" in message


def test_a_marketing_trigger_cannot_have_a_template(knowledge_copy: Path):
    _wechat(
        knowledge_copy,
        "subscriptions:",
        "  win_back:\n    template_id: x\n    fields:\n"
        '      thing1: {type: thing, value: "{store}"}\nsubscriptions:',
    )
    with pytest.raises(KnowledgeError, match="templates.win_back: WeChat forbids"):
        load_knowledge(knowledge_copy)


def test_a_time_keyword_takes_a_date_placeholder_only(knowledge_copy: Path):
    _wechat(
        knowledge_copy,
        'time3: {type: time, value: "{purchased_on}"}',
        'time3: {type: time, value: "{store}"}',
    )
    with pytest.raises(KnowledgeError, match="care_tip.fields.time3: a time keyword"):
        load_knowledge(knowledge_copy)


def test_an_unknown_placeholder_or_keyword_type_is_refused(knowledge_copy: Path):
    _wechat(knowledge_copy, 'value: "可在{store}为您预留"}', 'value: "{offer}"}')
    with pytest.raises(KnowledgeError, match=r"unknown placeholder \{offer\}"):
        load_knowledge(knowledge_copy)
    _wechat(knowledge_copy, 'value: "{offer}"}', 'value: "可在{store}为您预留"}')
    _wechat(knowledge_copy, "thing1: {type: thing,", "thing1: {type: words,")
    with pytest.raises(KnowledgeError, match="unknown keyword type 'words'"):
        load_knowledge(knowledge_copy)


def test_a_non_merchandise_pattern_that_is_no_regex_names_the_file_and_key(
    knowledge_copy: Path,
):
    path = knowledge_copy / "imports.yml"
    text = path.read_text(encoding="utf-8").replace('"^FEE"', '"^(FEE"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        KnowledgeError, match=r"imports.yml: non_merchandise.code_patterns"
    ):
        load_knowledge(knowledge_copy)
