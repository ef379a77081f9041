"""Suggestions for one customer: cross-sell, upsell or personal picks, with reasons.

Plain data in (the trained model, the catalogue as arrays, what she bought and her
profile, the merchant's rules from knowledge/recommend.yml), plain data out. Scores
are computed for the whole catalogue at once with numpy, then the constraints are
masks: in stock; nothing from a category, subcategory or brand she said she
dislikes; no second copy of a non-consumable she owns; a consumable she owns only
when her cycle is nearly over. A greedy pass keeps at most `max_per_category` of one
category in an answer. Each suggestion keeps the source that scored it highest as
its reason, in words a clerk can say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.knowledge.schema import RecommendRules
from bot.recommend.model import TrainedModel

KINDS = ("cross", "up", "personal")


@dataclass(frozen=True)
class CatalogItem:
    id: int
    sku: str
    name: str
    category: str
    subcategory: str
    brand: str
    price_fen: int
    price_tier: int
    stock: int
    consumable: bool
    cycle_days: int | None
    is_new: bool
    is_promo: bool


class Catalog:
    """The catalogue as aligned numpy arrays, for scoring every item at once."""

    def __init__(self, items: Sequence[CatalogItem]) -> None:
        self.items = tuple(items)
        self.position = {item.id: n for n, item in enumerate(self.items)}
        column = lambda name: np.array([getattr(i, name) for i in self.items])  # noqa: E731
        self.category = column("category")
        self.subcategory = column("subcategory")
        self.brand = column("brand")
        self.price = column("price_fen").astype(np.int64)
        self.tier = column("price_tier").astype(np.int64)
        self.in_stock = column("stock") > 0
        self.consumable = column("consumable").astype(bool)
        self.is_new = column("is_new").astype(bool)
        self.is_promo = column("is_promo").astype(bool)

    def __len__(self) -> int:
        return len(self.items)

    def find(self, text: str) -> CatalogItem | None:
        """An item by SKU or exact name."""
        for item in self.items:
            if text in (item.sku, item.name):
                return item
        return None


@dataclass(frozen=True)
class Owned:
    product_id: int
    last_day: int
    unit_price_fen: int


@dataclass(frozen=True)
class Shopper:
    owned: tuple[Owned, ...] = ()
    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    discount_seeker: bool = False
    new_arrival_lover: bool = False
    dislikes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Suggestion:
    product_id: int
    sku: str
    name: str
    price_fen: int
    category: str
    kind: str
    source: str
    reason: str


@dataclass
class _Scores:
    """Per-source scores over the catalogue, and the anchor of each score."""

    parts: dict[str, np.ndarray] = field(default_factory=dict)
    anchors: dict[str, np.ndarray] = field(default_factory=dict)
    percent: np.ndarray | None = None

    def add(self, source: str, values: np.ndarray) -> None:
        self.parts[source] = values

    def total(self) -> np.ndarray:
        return sum(self.parts.values())


def suggest(
    kind: str,
    model: TrainedModel,
    catalog: Catalog,
    shopper: Shopper,
    rules: RecommendRules,
    complements: Mapping[str, Sequence[str]],
    today: int,
    anchor_id: int | None = None,
) -> list[Suggestion]:
    """Up to `rules.shown` suggestions of `kind` (cross, up, personal)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    owned = [o for o in shopper.owned if o.product_id in catalog.position]
    if kind == "up":
        scores = _upsell(model, catalog, owned, rules, anchor_id)
    else:
        anchors = _anchors(owned, anchor_id, today)
        scores = _related(model, catalog, anchors, rules, complements, today)
        if kind == "cross":
            scores.parts.pop("popular", None)
            _drop_same_need(catalog, scores, anchors)
        else:
            _boost(catalog, shopper, rules, scores)
    allowed = _allowed(catalog, shopper, owned, rules, today)
    if kind == "personal":
        _add_replenishment(catalog, owned, rules, today, scores, allowed)
    return _pick(kind, catalog, scores, allowed, rules)


def _anchors(owned: list[Owned], anchor_id: int | None, today: int) -> list[Owned]:
    if anchor_id is not None:
        return [Owned(anchor_id, today, 0)]
    return owned


def _related(model, catalog, anchors, rules, complements, today) -> _Scores:
    scores = _Scores()
    columns = model.column_of()
    blend = model.blend
    known = [a for a in anchors if a.product_id in columns]
    cols = np.array([columns[a.product_id] for a in known], dtype=int)
    days = np.array([a.last_day for a in known], dtype=float)
    sources = blend.source_scores(cols, days, today)
    to_catalog = _catalog_positions(model, catalog)
    weights = rules.blend
    for source, weight in (
        ("similar", weights.similar),
        ("rules", weights.rules),
        ("popular", weights.popular),
    ):
        values = np.zeros(len(catalog))
        present = to_catalog >= 0
        values[to_catalog[present]] = weight * sources[source][present]
        scores.add(source, values)
    if len(cols):
        _anchor_evidence(blend, cols, days, today, known, to_catalog, catalog, scores)
    _curated(catalog, anchors, rules, complements, scores)
    return scores


def _catalog_positions(model: TrainedModel, catalog: Catalog) -> np.ndarray:
    return np.array(
        [catalog.position.get(int(p), -1) for p in model.product_ids.tolist()],
        dtype=int,
    )


def _anchor_evidence(blend, cols, days, today, known, to_catalog, catalog, scores):
    """Which of her items each similar/rules score comes from, and the rule's %."""
    weight = blend.recency_weights(days, today)[:, None]
    present = to_catalog >= 0
    for source, matrix in (
        ("similar", blend.similarity_),
        ("rules", blend.confidence_),
    ):
        rows = matrix[cols].toarray()
        best = np.argmax(rows * weight, axis=0)
        anchor = np.full(len(catalog), -1)
        anchor[to_catalog[present]] = np.array(
            [known[b].product_id for b in best], dtype=int
        )[present]
        scores.anchors[source] = anchor
        if source == "rules":
            percent = np.zeros(len(catalog))
            percent[to_catalog[present]] = rows[best, np.arange(rows.shape[1])][present]
            scores.percent = np.round(percent * 100)


def _curated(catalog, anchors, rules, complements, scores) -> None:
    """Merchant rules (coat -> scarf) by subcategory: they also cover new items."""
    values = np.zeros(len(catalog))
    anchor = np.full(len(catalog), -1)
    for owned in sorted(anchors, key=lambda o: o.last_day):
        item = catalog.items[catalog.position[owned.product_id]]
        matches = np.isin(
            catalog.subcategory, list(complements.get(item.subcategory, ()))
        )
        values[matches] = rules.curated_score
        anchor[matches] = owned.product_id
    scores.add("curated", values)
    scores.anchors["curated"] = anchor


def _drop_same_need(catalog: Catalog, scores: _Scores, anchors: list[Owned]) -> None:
    """Cross-sell completes a purchase: another coat is not a complement of a coat."""
    subcategories = {
        catalog.items[catalog.position[a.product_id]].subcategory for a in anchors
    }
    same = np.isin(catalog.subcategory, list(subcategories))
    for values in scores.parts.values():
        values[same] = 0.0


def _boost(catalog: Catalog, shopper: Shopper, rules: RecommendRules, scores) -> None:
    boosts = rules.boosts
    favourite_brand = np.isin(catalog.brand, list(shopper.brands[:2]))
    scores.add(
        "favourite_category",
        boosts.favourite_category
        * np.isin(catalog.category, list(shopper.categories[:2])),
    )
    scores.add("brand_new", boosts.favourite_brand * (favourite_brand & catalog.is_new))
    scores.add("favourite_brand", boosts.favourite_brand * favourite_brand * 0.5)
    if shopper.new_arrival_lover:
        scores.add("new_arrival", boosts.new_for_new_arrival_lover * catalog.is_new)
    if shopper.discount_seeker:
        scores.add("promo", boosts.promo_for_discount_seeker * catalog.is_promo)


def _upsell(model, catalog, owned, rules, anchor_id) -> _Scores:
    """A dearer item for the same need, inside the price range she has shown: the
    first of her items (newest first, lasting goods before consumables) that has
    one, or the item the clerk named."""
    scores = _Scores()
    paid = max((o.unit_price_fen for o in owned), default=0)
    for anchor in _upsell_anchors(catalog, owned, anchor_id):
        item = catalog.items[catalog.position[anchor.product_id]]
        low = max(anchor.unit_price_fen, item.price_fen) * rules.upsell.min_step
        high = max(paid, item.price_fen) * rules.upsell.band_tolerance
        fits = (
            (catalog.subcategory == item.subcategory)
            & (catalog.price >= low)
            & (catalog.price <= high)
            & catalog.in_stock
        )
        if fits.any():
            popularity = np.zeros(len(catalog))
            to_catalog = _catalog_positions(model, catalog)
            present = to_catalog >= 0
            popularity[to_catalog[present]] = model.blend.popularity_[present]
            scores.add("upsell", fits * (1.0 + popularity + 0.01 * catalog.tier))
            scores.anchors["upsell"] = np.where(fits, anchor.product_id, -1)
            break
    return scores


def _upsell_anchors(catalog, owned, anchor_id) -> list[Owned]:
    if anchor_id is not None:
        mine = [o for o in owned if o.product_id == anchor_id]
        return mine or [Owned(anchor_id, 0, 0)]
    return sorted(
        owned,
        key=lambda o: (
            not catalog.consumable[catalog.position[o.product_id]],
            o.last_day,
            o.unit_price_fen,
        ),
        reverse=True,
    )


def _allowed(catalog, shopper, owned, rules, today) -> np.ndarray:
    allowed = catalog.in_stock.copy()
    if shopper.dislikes:
        dislikes = list(shopper.dislikes)
        for column in (catalog.category, catalog.subcategory, catalog.brand):
            allowed &= ~np.isin(column, dislikes)
    for o in owned:
        n = catalog.position[o.product_id]
        if not catalog.consumable[n] or not _due(catalog.items[n], o, rules, today):
            allowed[n] = False
    return allowed


def _due(item: CatalogItem, owned: Owned, rules: RecommendRules, today: int) -> bool:
    cycle = item.cycle_days or 0
    return cycle > 0 and today >= owned.last_day + cycle - rules.replenish_lead_days


def _add_replenishment(catalog, owned, rules, today, scores, allowed) -> None:
    values = np.zeros(len(catalog))
    anchor = np.full(len(catalog), -1)
    for o in owned:
        n = catalog.position[o.product_id]
        if catalog.consumable[n] and allowed[n]:
            values[n] = rules.replenish_score
            anchor[n] = o.product_id
    scores.add("replenish", values)
    scores.anchors["replenish"] = anchor


def _pick(kind, catalog, scores: _Scores, allowed, rules) -> list[Suggestion]:
    if not scores.parts:
        return []
    total = np.where(allowed, scores.total(), 0.0)
    order = np.lexsort((catalog.price, -total))
    picks: list[Suggestion] = []
    per_category: dict[str, int] = {}
    for n in order.tolist():
        if total[n] <= 0 or len(picks) == rules.shown:
            break
        item = catalog.items[n]
        if per_category.get(item.category, 0) >= rules.max_per_category:
            continue
        per_category[item.category] = per_category.get(item.category, 0) + 1
        source, reason = _reason(n, item, catalog, scores, rules)
        picks.append(
            Suggestion(
                item.id,
                item.sku,
                item.name,
                item.price_fen,
                item.category,
                kind,
                source,
                reason,
            )
        )
    return picks


def _reason(n, item, catalog, scores: _Scores, rules) -> tuple[str, str]:
    source = max(scores.parts, key=lambda s: scores.parts[s][n])
    if source == "similar" and scores.parts["rules"][n] > 0:
        source = "rules"  # the same evidence, and a share a clerk can quote
    if source == "favourite_brand":
        source = "favourite_category"
    anchor_id = scores.anchors.get(source, np.array([]))
    anchor = ""
    if len(anchor_id) and anchor_id[n] >= 0:
        anchor = catalog.items[catalog.position[int(anchor_id[n])]].name
    elif source in ("similar", "rules", "curated", "upsell", "replenish"):
        source = "popular"
    values = {
        "anchor": anchor,
        "percent": int(scores.percent[n]) if scores.percent is not None else 0,
        "brand": item.brand,
        "category": item.subcategory,
    }
    return source, rules.reasons[source].format(**values)
