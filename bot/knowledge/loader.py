"""Load and validate `knowledge/` once; every error names the file and the key."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge.schema import (
    CareRules,
    Complements,
    Conversation,
    Currency,
    CustomerService,
    ImportRules,
    Membership,
    Playbook,
    Product,
    RecommendRules,
    Segments,
    WeChatDelivery,
)


class KnowledgeError(ValueError):
    """A knowledge file is missing or wrong; the message says where."""


@dataclass(frozen=True)
class Knowledge:
    catalog: tuple[Product, ...]
    currency: Currency
    membership: Membership
    segments: Segments
    complements: Complements
    playbook: Playbook
    recommend: RecommendRules
    care: CareRules
    customer_service: CustomerService
    conversation: Conversation
    wechat: WeChatDelivery
    imports: ImportRules

    def subcategories(self) -> set[str]:
        return {product.subcategory for product in self.catalog}


def load_knowledge(directory: Path) -> Knowledge:
    knowledge = Knowledge(
        catalog=load_catalog(directory / "catalog.csv"),
        currency=_load_yaml(directory / "currency.yml", Currency),
        membership=_load_yaml(directory / "membership.yml", Membership),
        segments=_load_yaml(directory / "segments.yml", Segments),
        complements=_load_yaml(directory / "complements.yml", Complements),
        playbook=_load_yaml(directory / "playbook.yml", Playbook),
        recommend=_load_yaml(directory / "recommend.yml", RecommendRules),
        care=_load_yaml(directory / "care.yml", CareRules),
        customer_service=_load_yaml(
            directory / "customer_service.yml", CustomerService
        ),
        conversation=_load_yaml(directory / "conversation.yml", Conversation),
        wechat=_load_yaml(directory / "wechat.yml", WeChatDelivery),
        imports=_load_yaml(directory / "imports.yml", ImportRules),
    )
    _check_currency(knowledge, directory / "membership.yml")
    _check_playbook(knowledge, directory / "playbook.yml")
    _check_complements(knowledge, directory / "complements.yml")
    _check_strategy_focus(knowledge, directory / "recommend.yml")
    _check_care(knowledge, directory / "care.yml")
    _check_wechat(knowledge, directory / "wechat.yml")
    return knowledge


def _load_yaml(path: Path, model: type[BaseModel]) -> Any:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return model.parse_obj(raw or {})
    except ValidationError as exc:
        raise KnowledgeError(f"{path}: {_describe(exc)}") from exc


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in exc.errors()
    )


def load_catalog(path: Path) -> tuple[Product, ...]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file not found") from exc
    products, seen = [], set()
    with handle:
        for line_no, row in enumerate(csv.DictReader(handle), start=2):
            product = parse_catalog_row(path, line_no, row)
            if product.sku in seen:
                raise KnowledgeError(f"{path}:{line_no}: sku: duplicate {product.sku}")
            seen.add(product.sku)
            products.append(product)
    if not products:
        raise KnowledgeError(f"{path}: the catalog has no products")
    return tuple(products)


def parse_catalog_row(path: Path, line_no: int, row: dict[str, str]) -> Product:
    try:
        return Product(
            sku=row["sku"],
            name=row["name"],
            category=row["category"],
            subcategory=row["subcategory"],
            brand=row["brand"],
            price_fen=yuan_to_fen(row["price"]),
            price_tier=int(row["price_tier"]),
            launch_date=dt.date.fromisoformat(row["launch_date"])
            if row["launch_date"]
            else None,
            tags=tuple(tag for tag in row["tags"].split("|") if tag),
            stock=int(row["stock"]),
            consumable=row["consumable"] == "1",
            cycle_days=int(row["cycle_days"]) if row["cycle_days"] else None,
            color=row["color"] or None,
        )
    except KeyError as exc:
        raise KnowledgeError(f"{path}: missing column {exc.args[0]}") from exc
    except ValidationError as exc:
        raise KnowledgeError(f"{path}:{line_no}: {_describe(exc)}") from exc
    except ValueError as exc:
        raise KnowledgeError(f"{path}:{line_no}: {exc}") from exc


def _check_currency(knowledge: Knowledge, path: Path) -> None:
    named, deployed = knowledge.membership.currency, knowledge.currency.code
    if named != deployed:
        raise KnowledgeError(
            f"{path}: thresholds are in {named} but the deployment's currency "
            f"(currency.yml) is {deployed}; restate them in {deployed}"
        )


def yuan_to_fen(text: str) -> int:
    """'899.00' -> 89900; exact, and rejects more than two decimals."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    fen = amount * 100
    if fen != fen.to_integral_value() or not amount.is_finite():
        raise ValueError(f"not an amount in yuan and fen: {text!r}")
    return int(fen)


def _check_complements(knowledge: Knowledge, path: Path) -> None:
    known = knowledge.subcategories()
    for source, targets in knowledge.complements.complements.items():
        for name in (source, *targets):
            if name not in known:
                raise KnowledgeError(
                    f"{path}: complements.{source}: unknown subcategory {name!r}"
                )


def _check_care(knowledge: Knowledge, path: Path) -> None:
    known = knowledge.subcategories()
    for n, tip in enumerate(knowledge.care.triggers.care_tip.tips):
        for name in tip.subcategories:
            if name not in known:
                raise KnowledgeError(
                    f"{path}: triggers.care_tip.tips.{n}: unknown subcategory {name!r}"
                )
    tiers = {tier.key for tier in knowledge.segments.value_tiers}
    for tier in knowledge.care.triggers.vip_perks.tiers:
        if tier not in tiers:
            raise KnowledgeError(f"{path}: triggers.vip_perks: unknown tier {tier!r}")


def _check_strategy_focus(knowledge: Knowledge, path: Path) -> None:
    known = {strategy.key for strategy in knowledge.playbook.strategies}
    for key in knowledge.recommend.strategy_focus:
        if key not in known:
            raise KnowledgeError(
                f"{path}: strategy_focus.{key}: no such strategy in playbook.yml"
            )


def _check_playbook(knowledge: Knowledge, path: Path) -> None:
    segments = knowledge.segments
    known = {
        "value_tier": {tier.key for tier in segments.value_tiers},
        "segment": {rule.key for rule in segments.rfm_segments}
        | {segments.prospect_segment.key},
    }
    for strategy in knowledge.playbook.strategies:
        for field, keys in known.items():
            for key in getattr(strategy.when, field):
                if key not in keys:
                    raise KnowledgeError(
                        f"{path}: strategies.{strategy.key}.when.{field}: "
                        f"unknown {key!r}"
                    )


# Placeholders a template keyword may use, per trigger: the message's own, plus the
# day of the purchase it is about.
LINE_TRIGGERS = {"thank_you", "care_tip", "replenish"}


def _check_wechat(knowledge: Knowledge, path: Path) -> None:
    from bot.care.routes import PROMOTIONAL
    from bot.care.template_fields import placeholders, static_problem
    from bot.knowledge.schema import CARE_PLACEHOLDERS

    delivery = knowledge.wechat
    for section in ("templates", "subscriptions"):
        for trigger, template in getattr(delivery, section).items():
            where = f"{path}: {section}.{trigger}"
            if trigger not in CARE_PLACEHOLDERS:
                raise KnowledgeError(f"{where}: unknown trigger {trigger!r}")
            if trigger in PROMOTIONAL:
                raise KnowledgeError(
                    f"{where}: WeChat forbids marketing in template and subscribe "
                    "messages; this trigger goes to the clerk outside her window"
                )
            known = CARE_PLACEHOLDERS[trigger] | (
                {"purchased_on"} if trigger in LINE_TRIGGERS else set()
            )
            for keyword, field in template.fields.items():
                unknown = placeholders(field.value) - known
                if unknown:
                    raise KnowledgeError(
                        f"{where}.fields.{keyword}: unknown placeholder "
                        f"{{{sorted(unknown)[0]}}} (known here: "
                        f"{', '.join(sorted(known))})"
                    )
                problem = static_problem(field.type, field.value)
                if problem:
                    raise KnowledgeError(f"{where}.fields.{keyword}: {problem}")
