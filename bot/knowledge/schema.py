"""Schemas of the files in `knowledge/`; validation errors name the file and key."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, root_validator, validator


class Strict(BaseModel):
    class Config:
        extra = "forbid"
        allow_mutation = False


class Product(Strict):
    sku: str = Field(regex=r"^[A-Za-z0-9_-]{1,32}$")
    name: str = Field(min_length=1, max_length=128)
    category: str = Field(min_length=1, max_length=32)
    subcategory: str = Field(min_length=1, max_length=32)
    brand: str = Field(min_length=1, max_length=32)
    price_fen: int = Field(gt=0)
    price_tier: int = Field(ge=1, le=5)
    launch_date: dt.date | None
    tags: tuple[str, ...] = ()
    stock: int = Field(ge=0)
    consumable: bool
    cycle_days: int | None = Field(default=None, gt=0)
    color: str | None = None

    @validator("tags", each_item=True)
    def known_tag(cls, tag: str) -> str:  # noqa: N805 (pydantic validator)
        if tag not in {"new", "promo", "premium"}:
            raise ValueError(f"unknown tag {tag!r} (known: new, promo, premium)")
        return tag


class Level(Strict):
    name: str = Field(min_length=1)
    min_spend: int = Field(ge=0)


class Currency(Strict):
    """ISO 4217 code, the symbol shown before amounts, and how many decimals the
    currency has (amounts are kept in hundredths, so at most two)."""

    code: str = Field(regex=r"^[A-Z]{3}$")
    symbol: str = Field(min_length=1, max_length=4)
    minor_units: int = Field(ge=0, le=2)


class Membership(Strict):
    currency: str = Field(regex=r"^[A-Z]{3}$")
    levels: list[Level] = Field(min_items=1)

    @validator("levels")
    def ascending(cls, levels: list[Level]) -> list[Level]:  # noqa: N805
        spends = [level.min_spend for level in levels]
        if spends != sorted(set(spends)) or spends[0] != 0:
            raise ValueError("min_spend must start at 0 and strictly increase")
        return levels


class ValueLabel(Strict):
    name: str = Field(min_length=1)
    min_total: int = Field(ge=3, le=15)


class RfmSegmentRule(Strict):
    key: str = Field(regex=r"^[a-z_]+$")
    name: str = Field(min_length=1)
    r: tuple[int, int]
    f: tuple[int, int]
    m: tuple[int, int] = (1, 5)

    @validator("r", "f", "m")
    def score_range(cls, value: tuple[int, int]) -> tuple[int, int]:  # noqa: N805
        low, high = value
        if not 1 <= low <= high <= 5:
            raise ValueError("must be [low, high] with 1 <= low <= high <= 5")
        return value


class Named(Strict):
    key: str = Field(regex=r"^[a-z_]+$")
    name: str = Field(min_length=1)


class ValueTier(Named):
    min_score: float = Field(ge=0, le=1)


LIFECYCLE_STAGES = ("prospect", "new", "active", "at_risk", "churned", "reactivated")


class Lifecycle(Strict):
    new_days: int = Field(gt=0)
    min_purchase_days_for_rhythm: int = Field(ge=2)
    default_gap_days: float = Field(gt=0)
    at_risk_factor: float = Field(gt=1)
    churned_factor: float = Field(gt=1)
    at_risk_min_days: float = Field(ge=0)
    churned_min_days: float = Field(ge=0)
    names: dict[str, str]

    @root_validator(skip_on_failure=True)
    def consistent(cls, values: dict) -> dict:  # noqa: N805
        if values["churned_factor"] <= values["at_risk_factor"]:
            raise ValueError("churned_factor must be greater than at_risk_factor")
        if set(values["names"]) != set(LIFECYCLE_STAGES):
            raise ValueError(f"names must name exactly: {', '.join(LIFECYCLE_STAGES)}")
        return values


class PreferenceRules(Strict):
    half_life_days: float = Field(gt=0)
    new_arrival_days: int = Field(ge=0)
    discount_seeker_share: float = Field(gt=0, le=1)
    new_arrival_lover_share: float = Field(gt=0, le=1)
    top: int = Field(ge=1, le=10)


class ClvRules(Strict):
    horizon_days: int = Field(gt=0)
    time_unit_days: float = Field(gt=0)
    fit_sample: int = Field(ge=100)
    min_repeat_buyers: int = Field(default=50, ge=10)


class Segments(Strict):
    value_labels: list[ValueLabel] = Field(min_items=1)
    no_purchase_label: str = Field(min_length=1)
    top_categories: int = Field(ge=1, le=10)
    rfm_segments: list[RfmSegmentRule] = Field(min_items=1)
    prospect_segment: Named
    value_tiers: list[ValueTier] = Field(min_items=1)
    lifecycle: Lifecycle
    preferences: PreferenceRules
    clv: ClvRules

    def display_names(self) -> dict[str, dict[str, str]]:
        """Chinese names of segments, value tiers and lifecycle stages, by key."""
        segment = {rule.key: rule.name for rule in self.rfm_segments}
        segment[self.prospect_segment.key] = self.prospect_segment.name
        return {
            "segment": segment,
            "tier": {tier.key: tier.name for tier in self.value_tiers},
            "lifecycle": dict(self.lifecycle.names),
        }

    @root_validator(skip_on_failure=True)
    def rules_cover_every_cell(cls, values: dict) -> dict:  # noqa: N805
        rules = values["rfm_segments"]
        for r in range(1, 6):
            for f in range(1, 6):
                if not any(_covers(rule, r, f) for rule in rules):
                    raise ValueError(f"rfm_segments: no rule covers r={r}, f={f}")
        tiers = [tier.min_score for tier in values["value_tiers"]]
        if tiers != sorted(set(tiers), reverse=True) or tiers[-1] != 0:
            raise ValueError(
                "value_tiers: min_score must strictly decrease and end at 0"
            )
        return values

    @root_validator(skip_on_failure=True)
    def descending_with_floor(cls, values: dict) -> dict:  # noqa: N805
        totals = [label.min_total for label in values["value_labels"]]
        if totals != sorted(set(totals), reverse=True) or totals[-1] != 3:
            raise ValueError(
                "value_labels: min_total must strictly decrease and end at 3"
            )
        return values


class Complements(Strict):
    complements: dict[str, tuple[str, ...]]


def _covers(rule: RfmSegmentRule, r: int, f: int) -> bool:
    """A rule that does not restrict m covers the cell for every m."""
    return (
        rule.r[0] <= r <= rule.r[1] and rule.f[0] <= f <= rule.f[1] and rule.m == (1, 5)
    )


FLAGS = ("discount_seeker", "new_arrival_lover")
PLACEHOLDERS = {"category", "brand"}


class When(Strict):
    value_tier: tuple[str, ...] = ()
    lifecycle: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    @validator("lifecycle", each_item=True)
    def known_stage(cls, stage: str) -> str:  # noqa: N805
        if stage not in LIFECYCLE_STAGES:
            raise ValueError(f"unknown lifecycle stage {stage!r}")
        return stage

    @validator("flags", each_item=True)
    def known_flag(cls, flag: str) -> str:  # noqa: N805
        if flag not in FLAGS:
            raise ValueError(f"unknown flag {flag!r} (known: {', '.join(FLAGS)})")
        return flag


class Strategy(Named):
    when: When
    offer: str = Field(min_length=1)
    talking_points: list[str] = Field(min_items=1)

    @root_validator(skip_on_failure=True)
    def known_placeholders(cls, values: dict) -> dict:  # noqa: N805
        import string

        for text in [values["offer"], *values["talking_points"]]:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            unknown = names - PLACEHOLDERS
            if unknown:
                raise ValueError(
                    f"unknown placeholder {{{sorted(unknown)[0]}}} in {text!r} "
                    f"(known: {', '.join(sorted(PLACEHOLDERS))})"
                )
        return values


class Playbook(Strict):
    strategies: list[Strategy] = Field(min_items=1)

    @validator("strategies")
    def ends_with_a_default(cls, strategies: list[Strategy]) -> list[Strategy]:  # noqa: N805
        if strategies[-1].when != When():
            raise ValueError("the last strategy must have no conditions (the default)")
        return strategies


REASON_KEYS = {
    "rules": {"anchor", "percent"},
    "similar": {"anchor"},
    "curated": {"anchor"},
    "popular": set(),
    "brand_new": {"brand"},
    "favourite_category": {"category"},
    "promo": set(),
    "new_arrival": set(),
    "upsell": {"anchor"},
    "replenish": {"anchor"},
    "taste": set(),
    "again": set(),
    "focus_new_arrival": set(),
    "focus_promo": set(),
    "focus_premium": set(),
}


class BlendWeights(Strict):
    similar: float = Field(ge=0)
    rules: float = Field(ge=0)
    popular: float = Field(ge=0)
    halflife_days: float = Field(gt=0)
    window_days: int = Field(ge=0)
    min_together: int = Field(ge=1)
    neighbours: int = Field(ge=1, le=1000)
    recent_days: int = Field(ge=0)
    ease: float = Field(0.0, ge=0)
    als: float = Field(0.0, ge=0)
    again: float = Field(0.0, ge=0)
    ease_l2: float = Field(500.0, gt=0)
    als_factors: int = Field(64, ge=2, le=512)
    als_alpha: float = Field(10.0, gt=0)


LEARNING_VIEWS = ("new", "all")


class LearningRules(Strict):
    """How train-recommender chooses the blend's weights (bot/recommend/tuning.py)."""

    enabled: bool = True
    validation_days: int = Field(90, ge=7)
    view: str = "new"
    validation_customers: int = Field(5000, ge=10)
    min_customers: int = Field(50, ge=1)
    fit_lines: int = Field(2_000_000, ge=10_000)

    @validator("view")
    def known_view(cls, view: str) -> str:  # noqa: N805
        if view not in LEARNING_VIEWS:
            raise ValueError(
                f"unknown view {view!r} (known: {', '.join(LEARNING_VIEWS)})"
            )
        return view


class Boosts(Strict):
    favourite_category: float = Field(ge=0)
    favourite_brand: float = Field(ge=0)
    new_for_new_arrival_lover: float = Field(ge=0)
    promo_for_discount_seeker: float = Field(ge=0)
    playbook: float = Field(ge=0)


FOCUSES = ("new_arrival", "promo", "premium", "favourite")


class UpsellRules(Strict):
    min_step: float = Field(gt=1)
    band_tolerance: float = Field(ge=1)


class RecommendRules(Strict):
    blend: BlendWeights
    learning: LearningRules = LearningRules()
    shown: int = Field(ge=1, le=10)
    max_per_category: int = Field(ge=1)
    new_arrival_days: int = Field(ge=1)
    replenish_lead_days: int = Field(ge=0)
    replenish_late_days: int = Field(ge=0)
    declined_days: int = Field(ge=0)
    replenish_score: float = Field(ge=0, le=1)
    curated_score: float = Field(ge=0, le=1)
    min_quoted_confidence: float = Field(ge=0, le=1)
    boosts: Boosts
    strategy_focus: dict[str, str] = {}
    upsell: UpsellRules
    reasons: dict[str, str]

    @validator("strategy_focus", each_item=True)
    def known_focus(cls, focus: str) -> str:  # noqa: N805
        if focus not in FOCUSES:
            raise ValueError(f"unknown focus {focus!r} (known: {', '.join(FOCUSES)})")
        return focus

    @validator("reasons")
    def every_reason_with_known_placeholders(  # noqa: N805
        cls, reasons: dict[str, str]
    ) -> dict[str, str]:
        import string

        missing = sorted(set(REASON_KEYS) - set(reasons))
        if missing:
            raise ValueError(f"missing reasons: {', '.join(missing)}")
        for key, text in reasons.items():
            if key not in REASON_KEYS:
                raise ValueError(f"unknown reason {key!r}")
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            unknown = names - REASON_KEYS[key]
            if unknown:
                raise ValueError(
                    f"reason {key}: unknown placeholder {{{sorted(unknown)[0]}}} "
                    f"(known: {', '.join(sorted(REASON_KEYS[key])) or 'none'})"
                )
        return reasons


CARE_PLACEHOLDERS = {
    "thank_you": {"name", "product", "store", "clerk"},
    "care_tip": {"name", "product", "store", "clerk"},
    "replenish": {"name", "product", "store"},
    "birthday": {"name", "store"},
    "win_back": {"name", "store", "offer"},
    "vip_perks": {"name", "store", "clerk"},
    "new_arrival": {"name", "store", "category"},
}


def _check_placeholders(trigger: str, text: str) -> None:
    import string

    names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    unknown = names - CARE_PLACEHOLDERS[trigger]
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{sorted(unknown)[0]}}} in {text!r} "
            f"(known here: {', '.join(sorted(CARE_PLACEHOLDERS[trigger]))})"
        )


class QuietHours(Strict):
    start: dt.time
    end: dt.time

    def contains(self, moment: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


class CareTrigger(Strict):
    marketing: bool
    text: str = Field(min_length=1)


class ThankYou(CareTrigger):
    after_days: int = Field(ge=0, le=30)


class CareTip(Strict):
    subcategories: list[str] = Field(min_items=1)
    after_days: int = Field(ge=1, le=365)
    text: str = Field(min_length=1)


class CareTips(Strict):
    marketing: bool
    tips: list[CareTip] = Field(min_items=1)


class Replenish(CareTrigger):
    lead_days: int = Field(ge=0, le=60)


class Birthday(CareTrigger):
    before_days: int = Field(ge=0, le=30)


class WinBack(CareTrigger):
    lifecycles: list[str] = Field(min_items=1)

    @validator("lifecycles", each_item=True)
    def known_stage(cls, stage: str) -> str:  # noqa: N805
        if stage not in LIFECYCLE_STAGES:
            raise ValueError(f"unknown lifecycle stage {stage!r}")
        return stage


class VipPerks(CareTrigger):
    tiers: list[str] = Field(min_items=1)
    every_days: int = Field(ge=1)


class NewArrival(CareTrigger):
    flag: str
    within_days: int = Field(ge=1)
    every_days: int = Field(ge=1)

    @validator("flag")
    def known_flag(cls, flag: str) -> str:  # noqa: N805
        if flag not in FLAGS:
            raise ValueError(f"unknown flag {flag!r} (known: {', '.join(FLAGS)})")
        return flag


class CareTriggers(Strict):
    thank_you: ThankYou
    care_tip: CareTips
    replenish: Replenish
    birthday: Birthday
    win_back: WinBack
    vip_perks: VipPerks
    new_arrival: NewArrival

    @root_validator(skip_on_failure=True)
    def texts_use_known_placeholders(cls, values: dict) -> dict:  # noqa: N805
        for trigger, rules in values.items():
            texts = (
                [t.text for t in rules.tips] if trigger == "care_tip" else [rules.text]
            )
            for text in texts:
                _check_placeholders(trigger, text)
        return values


class DispatchRules(Strict):
    claim_timeout_seconds: int = Field(ge=1)
    max_attempts: int = Field(ge=1, le=50)
    backoff_seconds: int = Field(ge=0)


class CareRules(Strict):
    send_at: dt.time
    quiet_hours: QuietHours
    weekly_cap: int = Field(ge=0, le=50)
    holdout_share: float = Field(ge=0, le=0.5)
    lookback_days: int = Field(ge=0, le=30)
    conversion_days: int = Field(ge=1, le=90)
    reply_hours: int = Field(48, ge=1, le=168)
    dispatch: DispatchRules
    triggers: CareTriggers
    priority: tuple[str, ...]

    def marketing(self) -> set[str]:
        return {
            name for name, rules in self.triggers if getattr(rules, "marketing", False)
        }

    @root_validator(skip_on_failure=True)
    def consistent(cls, values: dict) -> dict:  # noqa: N805
        if values["quiet_hours"].contains(values["send_at"]):
            raise ValueError(f"send_at {values['send_at']} falls in the quiet hours")
        marketing = sorted(
            name for name, rules in values["triggers"] if rules.marketing
        )
        if sorted(values["priority"]) != marketing:
            raise ValueError(
                "priority must list each marketing trigger once: "
                + ", ".join(marketing)
            )
        return values


class Verification(Strict):
    """How a WeChat user proves she owns the phone number of a member."""

    code_digits: int = Field(ge=4, le=8)
    code_ttl_minutes: int = Field(ge=1, le=30)
    max_attempts: int = Field(ge=1, le=10)
    resend_after_seconds: int = Field(ge=0, le=600)
    max_codes_per_hour: int = Field(ge=1, le=20)


class HandoffRules(Strict):
    """The human handoff queue: a waiting conversation goes back to the bot after
    `expire_hours` (WeChat allows customer-service replies for 48 hours)."""

    expire_hours: int = Field(ge=1, le=48)


class CustomerService(Strict):
    verification: Verification
    handoff: HandoffRules
    new_arrivals_shown: int = Field(ge=1, le=10)
    promotions_shown: int = Field(ge=1, le=10)
    # the card shows her birthday when it is at most this many days away
    birthday_soon_days: int = Field(default=30, ge=0, le=366)


class Conversation(Strict):
    """How sure a turn must be before it changes data, and what it offers instead."""

    write_confidence: float = Field(gt=0, le=1)
    offered_intents: int = Field(ge=1, le=4)
    unsure_below: float = Field(gt=0, le=1)
    # a tablet message naming a customer starts a new conversation after this much
    # quiet, or once the conversation has this many clerk messages
    tablet_new_after_idle_minutes: float = Field(10, gt=0, le=24 * 60)
    tablet_new_after_turns: int = Field(40, ge=2, le=1000)


class TemplateField(Strict):
    type: str
    value: str = Field(min_length=1)

    @validator("type")
    def known_kind(cls, kind: str) -> str:  # noqa: N805
        from bot.care.template_fields import KINDS

        if kind not in KINDS:
            raise ValueError(f"unknown keyword type {kind!r} (known: {sorted(KINDS)})")
        return kind


class Template(Strict):
    """A template registered on the Official Account, and how a trigger fills it."""

    template_id: str = Field(regex=r"^[A-Za-z0-9_-]{1,64}$")
    fields: dict[str, TemplateField]

    @validator("fields")
    def some_keywords(cls, fields: dict) -> dict:  # noqa: N805
        if not fields:
            raise ValueError("a template needs its keywords")
        return fields

    def keywords(self) -> dict[str, tuple[str, str]]:
        return {key: (f.type, f.value) for key, f in self.fields.items()}


class WeChatDelivery(Strict):
    """Routes of care messages on WeChat (knowledge/wechat.yml)."""

    keep_for_replies: int = Field(ge=0, le=4)
    templates: dict[str, Template] = {}
    subscriptions: dict[str, Template] = {}

    def template_ids(self) -> dict[str, str]:
        return {trigger: t.template_id for trigger, t in self.templates.items()}

    def subscription_ids(self) -> dict[str, str]:
        return {trigger: t.template_id for trigger, t in self.subscriptions.items()}


class NonMerchandise(Strict):
    """Codes that are not products (postage, fees, adjustments, vouchers)."""

    codes: tuple[str, ...] = ()
    code_patterns: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @validator("code_patterns", each_item=True)
    def compiles(cls, pattern: str) -> str:  # noqa: N805
        import re

        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"not a regular expression {pattern!r}: {error}") from None
        return pattern

    def reason(self, code: str, name: str = "") -> str | None:
        """The code (or rule) that makes this line non-merchandise, else None."""
        import re

        upper = code.strip().upper()
        if upper in {c.upper() for c in self.codes}:
            return upper
        for pattern in self.code_patterns:
            if re.search(pattern, code.strip(), re.IGNORECASE):
                return f"/{pattern}/"
        lowered = name.lower()
        for word in self.words:
            if word.lower() in lowered:
                return f"~{word}"
        return None


class ReturnRules(Strict):
    """How an export marks a cancellation invoice besides negative quantities."""

    cancelled_order_pattern: str | None = None

    @validator("cancelled_order_pattern")
    def compiles(cls, pattern: str | None) -> str | None:  # noqa: N805
        import re

        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"not a regular expression {pattern!r}: {error}"
                ) from None
        return pattern

    def cancelled(self):
        import re

        pattern = self.cancelled_order_pattern
        return re.compile(pattern, re.IGNORECASE) if pattern else None


class ImportRules(Strict):
    non_merchandise: NonMerchandise
    returns: ReturnRules = ReturnRules()
