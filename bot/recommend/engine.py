"""Suggestions for one customer: cross-sell, upsell or personal picks, with reasons.

Plain data in (the trained model joined to the catalogue, what she bought and her
profile, the merchant's rules from knowledge/recommend.yml), plain data out. Scores
are computed for the whole catalogue at once with numpy, then the constraints are
masks: in stock; nothing from a category, subcategory, brand or colour she said
she dislikes; no second copy of a non-consumable she owns; a consumable she owns only
when her cycle is nearly over. A greedy pass keeps at most `max_per_category` of one
category in an answer and asks `in_stock` (the live stock) about the few items it is
about to show. Each suggestion keeps the source that scored it highest as its
reason, in words a clerk can say; the item of hers it is based on is looked up only
for the items shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.knowledge.schema import RecommendRules
from bot.recommend.model import TrainedModel

KINDS = ("cross", "up", "personal")
CANDIDATES = 60  # best-scored items looked at per answer (diversity, live stock)
StockCheck = Callable[[list[int]], set[int]]


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
    is_premium: bool = False
    color: str | None = None


class Catalog:
    """The catalogue as aligned numpy arrays (names as integer codes), for scoring
    every item at once."""

    def __init__(self, items: Sequence[CatalogItem]) -> None:
        self.items = tuple(items)
        self.position = {item.id: n for n, item in enumerate(self.items)}
        self.by_text = {}
        for n, item in enumerate(self.items):
            self.by_text.setdefault(item.sku, n)
            self.by_text.setdefault(item.name, n)
        self.codes: dict[str, int] = {}
        self.category = self._encode(i.category for i in self.items)
        self.subcategory = self._encode(i.subcategory for i in self.items)
        self.brand = self._encode(i.brand for i in self.items)
        self.color = self._encode(i.color or "" for i in self.items)
        self.model = self._encode(model_of(i) for i in self.items)
        self.price = np.array([i.price_fen for i in self.items], dtype=np.int64)
        self.tier = np.array([i.price_tier for i in self.items], dtype=np.int64)
        self.in_stock = np.array([i.stock > 0 for i in self.items], dtype=bool)
        self.consumable = np.array([i.consumable for i in self.items], dtype=bool)
        self.is_new = np.array([i.is_new for i in self.items], dtype=bool)
        self.is_promo = np.array([i.is_promo for i in self.items], dtype=bool)
        self.is_premium = np.array([i.is_premium for i in self.items], dtype=bool)

    def _encode(self, names: Iterable[str]) -> np.ndarray:
        return np.array(
            [self.codes.setdefault(name, len(self.codes)) for name in names],
            dtype=np.int64,
        )

    def knows(self, name: str) -> bool:
        """Is `name` a category, subcategory, brand or colour of the catalogue?"""
        return bool(name) and name in self.codes

    def code_list(self, names: Iterable[str]) -> list[int]:
        return [self.codes[name] for name in names if name in self.codes]

    def __len__(self) -> int:
        return len(self.items)

    def find(self, text: str) -> CatalogItem | None:
        """An item by SKU or exact name."""
        n = self.by_text.get(text)
        return None if n is None else self.items[n]


class ServingIndex:
    """A trained model joined to a catalogue: built once per model or catalogue
    version, so a request does no per-item Python work."""

    def __init__(self, model: TrainedModel, catalog: Catalog) -> None:
        self.model = model
        self.catalog = catalog
        self.column = model.column_of()
        self.to_catalog = np.array(
            [catalog.position.get(int(p), -1) for p in model.product_ids.tolist()],
            dtype=np.int64,
        )
        self.present = self.to_catalog >= 0
        self._columns = np.flatnonzero(self.present)
        self._positions = self.to_catalog[self._columns]
        self.popularity = self.on_catalog(model.blend.popularity_)

    def on_catalog(self, values: np.ndarray, weight: float = 1.0) -> np.ndarray:
        """Model-column values moved to catalogue positions (0 where unknown)."""
        out = np.zeros(len(self.catalog))
        if len(values):
            out[self._positions] = weight * values[self._columns]
        return out


@dataclass(frozen=True)
class Owned:
    product_id: int
    last_day: int
    unit_price_fen: int
    first_day: int | None = None  # None: bought once, on `last_day`
    times: int = 1  # orders she bought it in


@dataclass(frozen=True)
class Shopper:
    owned: tuple[Owned, ...] = ()
    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    discount_seeker: bool = False
    new_arrival_lover: bool = False
    dislikes: frozenset[str] = frozenset()
    strategy: str | None = None
    declined: frozenset[int] = frozenset()  # products she declined lately


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
    """Per-source scores over the catalogue; `anchors` names, per source, the item
    of hers a score comes from (an array, or a function of the item's position)."""

    parts: dict[str, np.ndarray] = field(default_factory=dict)
    anchors: dict[str, np.ndarray | Callable[[int], tuple[int, float]]] = field(
        default_factory=dict
    )
    rule_evidence: np.ndarray | None = (
        None  # unweighted: a rule exists, whatever its weight
    )

    def total(self) -> np.ndarray:
        return sum(self.parts.values())


def suggest(
    kind: str,
    index: ServingIndex,
    shopper: Shopper,
    rules: RecommendRules,
    complements: Mapping[str, Sequence[str]],
    today: int,
    anchor_id: int | None = None,
    in_stock: StockCheck | None = None,
) -> list[Suggestion]:
    """Up to `rules.shown` suggestions of `kind` (cross, up, personal)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    catalog = index.catalog
    owned = [o for o in shopper.owned if o.product_id in catalog.position]
    if anchor_id is not None and anchor_id not in catalog.position:
        anchor_id = None
    if kind == "up":
        scores = _upsell(index, owned, rules, anchor_id)
    else:
        anchors = [Owned(anchor_id, today, 0)] if anchor_id is not None else owned
        scores = _related(index, anchors, rules, complements, today)
        if kind == "cross":
            scores.parts.pop("popular", None)
            scores.parts.pop("again", None)
            _drop_same_need(catalog, scores, anchors)
        else:
            _boost(catalog, shopper, rules, scores)
    allowed = _allowed(catalog, shopper, owned, rules, today)
    if kind == "personal":
        _add_replenishment(catalog, owned, rules, today, scores, allowed)
    return _pick(kind, index, scores, allowed, rules, in_stock)


def _related(index: ServingIndex, anchors, rules, complements, today) -> _Scores:
    scores = _Scores()
    blend = index.model.blend
    known = [a for a in anchors if a.product_id in index.column]
    cols = np.array([index.column[a.product_id] for a in known], dtype=np.int64)
    days = np.array([a.last_day for a in known], dtype=float)
    first = np.array(
        [a.last_day if a.first_day is None else a.first_day for a in known], float
    )
    times = np.array([a.times for a in known], dtype=float)
    weighted = blend.weighted()
    # rules always: a rule's share is quoted in a reason even at weight 0
    sources = blend.source_scores(cols, days, today, first, times, {*weighted, "rules"})
    weights = blend.settings  # the model's own: chosen on the shop's history
    for source in weighted:
        scores.parts[source] = index.on_catalog(sources[source], weights.weight(source))
    scores.rule_evidence = index.on_catalog(sources["rules"])
    if len(cols):
        weight = blend.recency_weights(days, today)
        ids = [a.product_id for a in known]
        for source, matrix in (
            ("similar", blend.similarity_),
            ("rules", blend.confidence_),
            ("ease", blend.ease_),
        ):
            scores.anchors[source] = _best_anchor(index, matrix[cols], weight, ids)
    _curated(index.catalog, anchors, rules, complements, scores)
    return scores


def _best_anchor(index: ServingIndex, rows, weight, ids):
    """For an item position: her item with the largest weighted value, and the value."""

    def best(position: int) -> tuple[int, float]:
        column = index.column.get(index.catalog.items[position].id)
        if column is None:
            return -1, 0.0
        values = rows[:, column].toarray().ravel()
        n = int(np.argmax(values * weight))
        return (ids[n], float(values[n])) if values[n] > 0 else (-1, 0.0)

    return best


def _curated(catalog: Catalog, anchors, rules, complements, scores) -> None:
    """Merchant rules (coat -> scarf) by subcategory: they also cover new items.
    One lookup table over subcategory codes, whatever the number of her items."""
    anchor_of = np.full(len(catalog.codes) + 1, -1, dtype=np.int64)
    for owned in sorted(anchors, key=lambda o: o.last_day):
        item = catalog.items[catalog.position[owned.product_id]]
        anchor_of[catalog.code_list(complements.get(item.subcategory, ()))] = (
            owned.product_id
        )
    anchor = anchor_of[catalog.subcategory]
    scores.parts["curated"] = np.where(anchor >= 0, rules.curated_score, 0.0)
    scores.anchors["curated"] = anchor


def _drop_same_need(catalog: Catalog, scores: _Scores, anchors: list[Owned]) -> None:
    """Cross-sell completes a purchase: another coat is not a complement of a coat."""
    subcategories = {
        int(catalog.subcategory[catalog.position[a.product_id]]) for a in anchors
    }
    same = np.isin(catalog.subcategory, list(subcategories))
    for values in scores.parts.values():
        values[same] = 0.0


def _boost(catalog: Catalog, shopper: Shopper, rules: RecommendRules, scores) -> None:
    boosts = rules.boosts
    categories = catalog.code_list(shopper.categories[:2])
    brands = catalog.code_list(shopper.brands[:2])
    favourite_brand = np.isin(catalog.brand, brands)
    scores.parts["favourite_category"] = boosts.favourite_category * np.isin(
        catalog.category, categories
    )
    scores.parts["brand_new"] = boosts.favourite_brand * (
        favourite_brand & catalog.is_new
    )
    scores.parts["favourite_brand"] = boosts.favourite_brand * favourite_brand * 0.5
    if shopper.new_arrival_lover:
        scores.parts["new_arrival"] = boosts.new_for_new_arrival_lover * catalog.is_new
    if shopper.discount_seeker:
        scores.parts["promo"] = boosts.promo_for_discount_seeker * catalog.is_promo
    _playbook_focus(catalog, shopper, rules, scores)


def _playbook_focus(catalog: Catalog, shopper: Shopper, rules, scores) -> None:
    """Her strategy's focus (knowledge/recommend.yml `strategy_focus`): her
    favourites weigh more, or new, promoted or premium items get their own source
    (a reason that does not claim a habit she may not have)."""
    focus = rules.strategy_focus.get(shopper.strategy or "")
    if focus is None:
        return
    if focus == "favourite":
        part, mask = "favourite_category", scores.parts["favourite_category"] > 0
    else:
        part = f"focus_{focus}"
        mask = {
            "new_arrival": catalog.is_new,
            "promo": catalog.is_promo,
            "premium": catalog.is_premium,
        }[focus]
    current = scores.parts.get(part, np.zeros(len(catalog)))
    scores.parts[part] = current + rules.boosts.playbook * mask


def _upsell(index: ServingIndex, owned, rules, anchor_id) -> _Scores:
    """A dearer item for the same need, inside the price range she has shown: the
    first of her items (newest first, lasting goods before consumables) that has
    one, or the item the clerk named."""
    catalog = index.catalog
    scores = _Scores()
    paid = max((o.unit_price_fen for o in owned), default=0)
    for anchor in _upsell_anchors(catalog, owned, anchor_id):
        n = catalog.position[anchor.product_id]
        price = int(catalog.price[n])
        low = max(anchor.unit_price_fen, price) * rules.upsell.min_step
        high = max(paid, price) * rules.upsell.band_tolerance
        fits = (
            (catalog.subcategory == catalog.subcategory[n])
            & (catalog.price >= low)
            & (catalog.price <= high)
            & catalog.in_stock
        )
        if fits.any():
            scores.parts["upsell"] = fits * (
                1.0 + index.popularity + 0.01 * catalog.tier
            )
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


def not_disliked(catalog: Catalog, dislikes: Iterable[str]) -> np.ndarray:
    """Items whose category, subcategory, brand and colour she did not say she
    dislikes."""
    allowed = np.ones(len(catalog), dtype=bool)
    codes = catalog.code_list(dislikes)
    if codes:
        for column in (
            catalog.category,
            catalog.subcategory,
            catalog.brand,
            catalog.color,
        ):
            allowed &= ~np.isin(column, codes)
    return allowed


def model_of(item: CatalogItem) -> str:
    """The model an item is a colour of: "云裳 羊毛大衣 驼色" -> "云裳|羊毛大衣"."""
    name = item.name
    if item.color and name.endswith(item.color):
        name = name[: -len(item.color)]
    return f"model:{item.brand}|{item.subcategory}|{name.strip()}"


def not_declined(catalog: Catalog, declined: Iterable[int]) -> np.ndarray:
    """Items that are not a product she declined lately, nor another colour of it."""
    rows = [catalog.position[p] for p in declined if p in catalog.position]
    if not rows:
        return np.ones(len(catalog), dtype=bool)
    return ~np.isin(catalog.model, catalog.model[rows])


def _allowed(catalog: Catalog, shopper, owned, rules, today) -> np.ndarray:
    allowed = catalog.in_stock & not_disliked(catalog, shopper.dislikes)
    allowed &= not_declined(catalog, shopper.declined)
    for o in owned:
        n = catalog.position[o.product_id]
        if not catalog.consumable[n] or not _due(catalog.items[n], o, rules, today):
            allowed[n] = False
    return allowed


def _due(item: CatalogItem, owned: Owned, rules: RecommendRules, today: int) -> bool:
    """Her own supply runs out soon: from `replenish_lead_days` before the end of
    the product's cycle until `replenish_late_days` after it (later than that she
    has stopped using it or buys it elsewhere: not "快用完了")."""
    cycle = item.cycle_days or 0
    runs_out = owned.last_day + cycle
    return (
        cycle > 0
        and runs_out - rules.replenish_lead_days
        <= today
        <= runs_out + rules.replenish_late_days
    )


def _add_replenishment(catalog, owned, rules, today, scores, allowed) -> None:
    values = np.zeros(len(catalog))
    anchor = np.full(len(catalog), -1)
    for o in owned:
        n = catalog.position[o.product_id]
        if catalog.consumable[n] and allowed[n]:
            values[n] = rules.replenish_score
            anchor[n] = o.product_id
    scores.parts["replenish"] = values
    scores.anchors["replenish"] = anchor


def _pick(kind, index, scores: _Scores, allowed, rules, in_stock) -> list[Suggestion]:
    catalog = index.catalog
    if not scores.parts:
        return []
    total = np.where(allowed, scores.total(), 0.0)
    order = _best_first(total, index.popularity, catalog.price, CANDIDATES)
    picks: list[Suggestion] = []
    per_category: dict[str, int] = {}
    for n in _live(order, catalog, in_stock, 2 * rules.shown):
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


def _live(order: list[int], catalog: Catalog, in_stock, batch: int):
    """`order` without what is sold out now, checked `batch` at a time as the
    caller takes them: an answer usually needs one small query, not one for every
    candidate."""
    if in_stock is None:
        yield from order
        return
    for start in range(0, len(order), batch):
        chunk = order[start : start + batch]
        live = in_stock([catalog.items[n].id for n in chunk])
        yield from (n for n in chunk if catalog.items[n].id in live)


def _best_first(total, popularity, price, k: int) -> list[int]:
    """Positions of the k best scores, best first; ties (a curated rule scores a
    whole subcategory alike) go to the more popular, then the cheaper item."""
    positive = np.flatnonzero(total > 0)
    if len(positive) > k:
        top = np.argpartition(-total[positive], k - 1)[:k]
        cut = total[positive[top]].min()
        positive = positive[total[positive] >= cut]
    order = np.lexsort((price[positive], -popularity[positive], -total[positive]))
    return positive[order][:k].tolist()


def _reason(n, item, catalog, scores: _Scores, rules) -> tuple[str, str]:
    source = max(scores.parts, key=lambda s: scores.parts[s][n])
    if "replenish" in scores.parts and scores.parts["replenish"][n] > 0:
        source = "replenish"  # she buys it herself: that is the reason to say
    anchored = source
    if source == "ease":
        source = "similar"  # EASE's weights are co-purchases too: the same words
    elif source == "als":
        source = "taste"
    evidence = scores.rule_evidence
    if source in ("similar", "taste") and evidence is not None and evidence[n] > 0:
        source = anchored = "rules"  # the same evidence, and a share a clerk can quote
    if source == "favourite_brand":
        source = anchored = "favourite_category"
    anchor_id, value = _anchor_of(scores, anchored, n)
    if source == "rules" and value < rules.min_quoted_confidence:
        source = "similar"  # "5% also bought it" persuades nobody
        anchor_id, value = _anchor_of(scores, "similar", n)
    if anchor_id < 0 and source in (
        "similar",
        "rules",
        "curated",
        "upsell",
        "replenish",
    ):
        source = "popular"
    anchor = catalog.items[catalog.position[anchor_id]].name if anchor_id >= 0 else ""
    values = {
        "anchor": anchor,
        "percent": round(value * 100) if source == "rules" else 0,
        "brand": item.brand,
        "category": item.category,
    }
    return source, rules.reasons[source].format(**values)


def _anchor_of(scores: _Scores, source: str, n: int) -> tuple[int, float]:
    anchor = scores.anchors.get(source)
    if anchor is None:
        return -1, 0.0
    if callable(anchor):
        return anchor(n)
    return int(anchor[n]), 0.0
