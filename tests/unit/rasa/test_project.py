"""The Rasa project's contract: intents, entities, responses, regexes, generated assets."""

import re
from pathlib import Path

import pytest
import yaml

from actions.customer import ActionAskNewArrivals, ActionAskPromotions
from bot.cli.validate import ACTION_ONLY
from bot.config import PROJECT_ROOT
from bot.identity.codes import SendRefusal
from bot.nlu_assets import render

CONTRACT_INTENTS = [
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "lookup_customer",
    "ask_segment",
    "ask_preferences",
    "ask_history",
    "recommend_products",
    "recommend_cross_sell",
    "recommend_upsell",
    "ask_why_recommended",
    "note_preference",
    "record_purchase",
    "ask_followups",
    "schedule_care",
    "ask_strategy",
    "ask_new_arrivals",
    "ask_promotions",
    "ask_care_tips",
    "ask_membership",
    "unsubscribe",
    "human_handoff",
    "out_of_scope",
]
CONTRACT_ENTITIES = [
    "phone",
    "member_no",
    "product",
    "category",
    "brand",
    "color",
    "size",
]


def load(path: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / path).read_text(encoding="utf-8"))


def nlu_items() -> list[dict]:
    items = []
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"])
    return items


def examples(item: dict) -> list[str]:
    return [line[2:] for line in item["examples"].splitlines() if line.startswith("- ")]


def regex(name: str) -> re.Pattern:
    patterns = [examples(i) for i in nlu_items() if i.get("regex") == name]
    return re.compile("|".join(p for group in patterns for p in group), re.IGNORECASE)


def test_the_domain_keeps_the_intent_and_entity_contract():
    domain = load("domain.yml")
    assert set(CONTRACT_INTENTS) <= set(domain["intents"])
    assert set(CONTRACT_ENTITIES) <= set(domain["entities"])


def test_every_intent_has_enough_distinct_examples_over_all_files():
    seen: dict[str, set[str]] = {}
    for item in nlu_items():
        if "intent" in item:
            seen.setdefault(item["intent"], set()).update(examples(item))
    domain = load("domain.yml")["intents"]
    minimum = {intent: 15 if intent in CONTRACT_INTENTS else 10 for intent in domain}
    short = {
        intent: len(seen.get(intent, ()))
        for intent, least in minimum.items()
        if len(seen.get(intent, ())) < least
    }
    assert not short


def test_annotated_examples_are_already_in_normal_form():
    """The normaliser only folds full-width characters of annotated examples
    (their entity offsets must not move), so they must hold nothing else that the
    NLU would see changed at run time (emoji, stickers, repeated punctuation)."""
    from bot.locale.zh.text import normalize, normalize_in_place

    annotated = [
        e
        for item in nlu_items()
        if "intent" in item
        for e in examples(item)
        if "](" in e
    ]
    plain = [re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", e) for e in annotated]
    changed = [p for p in plain if normalize(p) != normalize_in_place(p).strip()]
    assert annotated and changed == []


def test_responses_sent_by_actions_exist_and_every_say_response_is_sent():
    responses = set(load("domain.yml")["responses"])
    code = "\n".join(
        p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "actions").glob("*.py")
    )
    sent = set(re.findall(r'"((?:say|utter)_\w+)"', code))
    sent |= {
        f"say_invalid_{c}"
        for c in ("phone_length", "phone_not_mobile", "member_no_format")
    }
    sent |= {f"say_code_{refusal.value}" for refusal in SendRefusal}
    kinds = (ActionAskNewArrivals.kind, ActionAskPromotions.kind)
    sent |= {f"say_{no}highlights_{kind}" for kind in kinds for no in ("", "no_")}
    assert sent <= responses
    assert {r for r in responses if r.startswith("say_")} == {
        s for s in sent if s.startswith("say_")
    }


def test_only_say_responses_are_tolerated_as_unused():
    assert ACTION_ONLY.match(
        "The utterance 'say_customer_card' is not used in any story or rule."
    )
    assert not ACTION_ONLY.match(
        "The utterance 'utter_greet' is not used in any story or rule."
    )


@pytest.mark.parametrize(
    "text, found",
    [
        ("帮我查一下13800000000", "13800000000"),
        ("顾客手机186 1234 5678帮忙看下", "186 1234 5678"),
        ("查客户 +86 139 0000 1234", "+86 139 0000 1234"),
        ("帮查1380000000", "1380000000"),
        ("查１３８００００００００", "１３８００００００００"),
    ],
)
def test_the_phone_regex_finds_numbers_inside_chinese_text(text, found):
    assert [m.group(0) for m in regex("phone").finditer(text)] == [found]


@pytest.mark.parametrize(
    "text",
    ["会员号M00012345", "查会员m00000001", "M码的黑色", "买了2件", "订单号20261101"],
)
def test_the_phone_regex_leaves_member_numbers_sizes_and_small_numbers_alone(text):
    assert regex("phone").search(text) is None


def test_the_member_regex_finds_member_numbers_but_not_sizes():
    assert regex("member_no").search("会员号M00012345").group(0) == "M00012345"
    assert regex("member_no").search("给我挑点M码的") is None


def test_generated_nlu_assets_match_the_catalog(knowledge):
    for relative, content in render(knowledge).items():
        assert (PROJECT_ROOT / Path(relative)).read_text(encoding="utf-8") == content, (
            relative
        )
