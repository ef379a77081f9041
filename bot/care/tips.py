"""Which care tip fits an item: by its kind, the nearest the catalogue has."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from bot.knowledge.schema import CareTip, Product

LIMIT = 3


def kind_of(about: str, catalog: Sequence[Product]) -> str | None:
    """The subcategory `about` names: itself, the longest one inside it ("真丝围巾"
    -> 围巾), or the commonest kind of the products whose name contains it."""
    kinds = {p.subcategory for p in catalog}
    if about in kinds:
        return about
    inside = sorted((k for k in kinds if k in about), key=len, reverse=True)
    if inside:
        return inside[0]
    named = Counter(p.subcategory for p in catalog if about in p.name.replace(" ", ""))
    return named.most_common(1)[0][0] if named else None


def named_in(about: str, name: str, kind: str) -> bool:
    """Does `about` ("羊绒围巾", "围巾") name this product of hers?"""
    return about == kind or about in name.replace(" ", "")


def tips_for(
    items: Iterable[tuple[str, str]], tips: Sequence[CareTip]
) -> tuple[tuple[str, str], ...]:
    """(label, tip) for (name, subcategory) items, one per tip, at most LIMIT."""
    found: list[tuple[str, str]] = []
    used: set[int] = set()
    for name, subcategory in items:
        for n, tip in enumerate(tips):
            if subcategory in tip.subcategories and n not in used:
                used.add(n)
                found.append((name, plain(tip.text, name)))
    return tuple(found[:LIMIT])


def plain(text: str, product: str) -> str:
    """A tip as an answer: no greeting, no store or clerk to fill."""
    body = text.split("您好，", 1)[-1]
    return body.format(name="", product=product, store="门店", clerk="店员")
