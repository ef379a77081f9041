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


class Membership(Strict):
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


class Segments(Strict):
    value_labels: list[ValueLabel] = Field(min_items=1)
    no_purchase_label: str = Field(min_length=1)
    top_categories: int = Field(ge=1, le=10)

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
