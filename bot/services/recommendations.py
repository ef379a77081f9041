"""Recommendation use cases: train, suggest, explain, and the outcome of a suggestion.

Serving keeps the trained model and the catalogue in memory and reads the customer
(what she owns, her latest profile, her dislikes) with indexed queries. Every answer
is logged row by row (customer, item, kind, reason, channel, store, model version)
so that `recommend-report` can measure it, and audited like any profile read.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.engine import Engine
from sqlalchemy.exc import NoResultFound

from bot.customers.masking import mask_name
from bot.db.model_store import CorruptModel, ModelStore
from bot.db.recommendation_store import (
    LoggedSuggestion,
    RecommendationStore,
    ShownRow,
)
from bot.db.segment_store import SegmentStore
from bot.db.uow import UnitOfWork
from bot.knowledge import Knowledge
from bot.locale.zh.words import BASIC_COLOURS
from bot.recommend.blend import BlendedRecommender, BlendSettings
from bot.recommend.engine import (
    Catalog,
    CatalogItem,
    Owned,
    ServingIndex,
    Shopper,
    Suggestion,
    not_disliked,
)
from bot.recommend.engine import suggest as engine_suggest
from bot.recommend.model import VERSION_FORMAT, TrainedModel, latest_version, prune
from bot.recommend.ranking import single_blas
from bot.recommend.references import Shown, parse_reference, resolve
from bot.recommend.tuning import learn
from bot.services.common import audit, require_customer
from bot.services.customers import Actor
from bot.timeutil import local_date, local_to_utc, utcnow

logger = logging.getLogger(__name__)
OUTCOME_WINDOW = dt.timedelta(days=7)


@dataclass(frozen=True)
class RecommendationView:
    masked_name: str
    kind: str
    suggestions: tuple[Suggestion, ...]
    anchor: str | None = None


@dataclass(frozen=True)
class Highlights:
    """New arrivals or promotions in stock, her favourite categories first."""

    kind: str
    items: tuple[CatalogItem, ...]
    personal: bool


@dataclass(frozen=True)
class LastAnswer:
    masked_name: str
    items: tuple[LoggedSuggestion, ...]


@dataclass(frozen=True)
class Said:
    """What the clerk said about the suggestions, with the conversation's context:
    `named` are the catalogue words the NLU found, `since` the start of the
    conversation, `chosen` the suggestion ids she confirmed by picking a choice."""

    text: str
    since: dt.datetime
    named: tuple[str, ...] = ()
    chosen: tuple[int, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """`status`: recorded; ask_which (which of `items`?); nothing_shown; not_shown
    (what was named is not among the suggestions). `disliked`: dislikes kept."""

    masked_name: str
    status: str
    items: tuple[Shown, ...] = ()
    disliked: tuple[str, ...] = ()


def settings_of(knowledge: Knowledge) -> BlendSettings:
    return BlendSettings(**knowledge.recommend.blend.dict())


class NothingToTrain(ValueError):
    """No order lines to learn from."""


def train_recommender(
    engine: Engine,
    knowledge: Knowledge,
    tz: ZoneInfo,
    root: Path,
    as_of: dt.date,
    progress: Callable[[int], None] = lambda n: None,
    clock: Callable[[], dt.datetime] = utcnow,
    step: Callable[[str], None] = lambda name: None,
) -> tuple[TrainedModel, Path]:
    """Fit the blend on every order line up to the end of `as_of` and save it,
    its weights first chosen on the most recent part of that history
    (knowledge/recommend.yml `learning`, bot/recommend/tuning.py); `step` is told
    each stage."""
    started = time.perf_counter()
    end_local = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    end_utc = local_to_utc(end_local, tz)
    offset = tz.utcoffset(end_local).total_seconds() / 86400
    with engine.connect() as connection:
        lines = SegmentStore(connection).purchase_lines(end_utc, offset, progress)
    read = time.perf_counter() - started
    if not len(lines.product_ids):
        raise NothingToTrain(f"no order lines up to {as_of.isoformat()}")
    ids, columns = np.unique(lines.product_ids, return_inverse=True)
    with single_blas():
        settings, learning = _chosen_settings(knowledge, lines, columns, len(ids), step)
        step("fit")
        fitted = time.perf_counter()
        blend = BlendedRecommender(settings).fit(
            lines.customers, columns, lines.days, lines.order_ids, len(ids)
        )
    stats = {
        "as_of": as_of.isoformat(),
        "lines": int(len(lines.product_ids)),
        "customers": int(len(np.unique(lines.customers))),
        "items": int(len(ids)),
        "similar_pairs": int(blend.similarity_.nnz),
        "rules": int(blend.confidence_.nnz),
        "learning": learning,
        "read_seconds": round(read, 2),
        "fit_seconds": round(time.perf_counter() - fitted, 2),
        "seconds": round(time.perf_counter() - started, 2),
    }
    model = TrainedModel(clock().strftime(VERSION_FORMAT), ids, blend, stats)
    path = model.save(root)
    step("publish")
    ModelStore(engine).publish(model.version, path)
    prune(root)
    return model, path


def _chosen_settings(
    knowledge, lines, columns, n_items, step
) -> tuple[BlendSettings, dict]:
    """The settings to fit with, and what the choice was (for the model's stats)."""
    configured = settings_of(knowledge)
    rules = knowledge.recommend.learning
    if not rules.enabled:
        return configured, {"chosen": False, "why": "learning disabled"}
    started = time.perf_counter()
    learned = learn(
        lines.customers,
        columns,
        lines.days,
        lines.order_ids,
        n_items,
        configured,
        rules.validation_days,
        rules.view,
        max_customers=rules.validation_customers,
        progress=lambda name: step(f"validation {name}"),
        max_lines=rules.fit_lines,
    )
    seconds = round(time.perf_counter() - started, 2)
    if learned is None or learned.customers < rules.min_customers:
        found = 0 if learned is None else learned.customers
        why = (
            f"{found} customers bought in the last {rules.validation_days} days "
            f"and before (at least {rules.min_customers} needed)"
        )
        return configured, {"chosen": False, "why": why, "seconds": seconds}
    return learned.settings, {
        "chosen": True,
        "view": rules.view,
        "validation_days": rules.validation_days,
        "seconds": seconds,
        **learned.as_dict(),
    }


class ModelHolder:
    """The newest model published in the database (or, failing that, saved in the
    local folder); looks for a newer version at most every `check_seconds` and swaps
    it in, so `train-recommender` on any machine needs no restart of any server."""

    def __init__(
        self,
        root: Path,
        settings: BlendSettings,
        check_seconds: float,
        store: ModelStore | None = None,
    ) -> None:
        self._root = root
        self._settings = settings
        self._check_seconds = check_seconds
        self._store = store
        self._lock = threading.Lock()
        self._model: TrainedModel | None = None
        self._checked = -float("inf")

    def get(self) -> TrainedModel:
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self._check_seconds or self._model is None:
                self._checked = now
                self._refresh()
            assert self._model is not None
            return self._model

    def _refresh(self) -> None:
        published = self._store.newest() if self._store else None
        version = published or latest_version(self._root)
        if version is None:
            if self._model is None:
                logger.warning(
                    "no recommender model in the database nor in %s: curated rules "
                    "only",
                    self._root,
                )
                self._model = _empty_model(self._settings)
            return
        if self._model is not None and self._model.version == version:
            return
        try:
            folder = (
                self._store.fetch(version, self._root)
                if published
                else self._root / version
            )
            model = TrainedModel.load(folder)
        except (CorruptModel, NoResultFound, OSError, ValueError) as failure:
            logger.error("recommender model %s not loaded: %s", version, failure)
            if self._model is None:
                self._model = _empty_model(self._settings)
            return
        self._model = model
        logger.info("recommender model %s loaded", version)
        prune(self._root)


def _empty_model(settings: BlendSettings) -> TrainedModel:
    from scipy import sparse

    blend = BlendedRecommender.from_arrays(
        settings, sparse.csr_matrix((0, 0)), sparse.csr_matrix((0, 0)), np.zeros(0)
    )
    return TrainedModel("none", np.zeros(0, dtype=np.int64), blend, {})


class RecommendationService:
    def __init__(
        self,
        engine: Engine,
        knowledge: Knowledge,
        tz: ZoneInfo,
        model_root: Path,
        clock: Callable[[], dt.datetime] = utcnow,
        check_seconds: float = 30.0,
        catalog_ttl_seconds: float = 300.0,
    ) -> None:
        self._engine = engine
        self._knowledge = knowledge
        self._tz = tz
        self._clock = clock
        self.models = ModelHolder(
            model_root, settings_of(knowledge), check_seconds, ModelStore(engine)
        )
        self._catalog_ttl = catalog_ttl_seconds
        self._catalog: tuple[float, dt.date, Catalog] | None = None
        self._catalog_lock = threading.Lock()
        self._index: ServingIndex | None = None

    def recommend(
        self, customer_id: int, kind: str, actor: Actor, product: str | None = None
    ) -> RecommendationView:
        """Suggestions of `kind` for her, logged and audited; `product` (a name,
        SKU or subcategory she is looking at) anchors cross-sell and upsell."""
        today = self._today()
        index = self.index(today)
        catalog, model = index.catalog, index.model
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            store = RecommendationStore(uow.connection)
            snapshot = SegmentStore(uow.connection).latest_for(customer_id, today)
            shopper = self._shopper(store, customer_id, snapshot)
            anchor = _find(catalog, product, shopper.owned) if product else None
            picks = engine_suggest(
                kind,
                index,
                shopper,
                self._knowledge.recommend,
                self._knowledge.complements.complements,
                today.toordinal(),
                anchor.id if anchor else None,
                in_stock=store.in_stock,
            )
            store.log(
                self._log_rows(
                    picks,
                    customer_id,
                    actor,
                    snapshot,
                    model,
                    actor.store_id or row.home_store_id,
                )
            )
            detail = {"kind": kind, "shown": [p.sku for p in picks]}
            audit(uow, self._clock(), actor, "recommend", customer_id, detail)
            uow.commit()
        return RecommendationView(
            mask_name(row.name), kind, tuple(picks), anchor.name if anchor else None
        )

    def highlights(
        self, kind: str, customer_id: int | None, actor: Actor, limit: int
    ) -> Highlights:
        """In-stock new arrivals (`kind` "new") or promotions ("promo"); for a known
        customer her favourite categories come first and her dislikes are left out."""
        today = self._today()
        index = self.index(today)
        catalog = index.catalog
        flags = catalog.is_new if kind == "new" else catalog.is_promo
        favourite = np.zeros(len(catalog), dtype=bool)
        if customer_id is not None:
            with UnitOfWork(self._engine) as uow:
                require_customer(uow.customers, customer_id)
                snapshot = SegmentStore(uow.connection).latest_for(customer_id, today)
                dislikes = RecommendationStore(uow.connection).dislikes(customer_id)
                audit(uow, self._clock(), actor, f"highlights_{kind}", customer_id)
                uow.commit()
            prefs = ((snapshot or {}).get("details") or {}).get("prefs") or {}
            liked = catalog.code_list(name for name, _ in prefs.get("categories", []))
            favourite = np.isin(catalog.category, liked)
            flags = flags & not_disliked(catalog, dislikes)
        eligible = np.flatnonzero(flags & catalog.in_stock)
        order = np.lexsort((-index.popularity[eligible], ~favourite[eligible]))
        candidates = [catalog.items[i] for i in eligible[order][: limit * 3]]
        with self._engine.connect() as connection:
            live = RecommendationStore(connection).in_stock([c.id for c in candidates])
        chosen = tuple(c for c in candidates if c.id in live)[:limit]
        return Highlights(kind, chosen, customer_id is not None)

    def last_answer(self, customer_id: int, actor: Actor) -> LastAnswer:
        """What was suggested to her last (within a week), with the reasons."""
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            items = RecommendationStore(uow.connection).last_batch(
                customer_id, self._clock() - OUTCOME_WINDOW
            )
            audit(uow, self._clock(), actor, "recommend_why", customer_id)
            uow.commit()
        return LastAnswer(mask_name(row.name), tuple(items))

    def record_purchase(self, customer_id: int, actor: Actor, said: Said) -> Outcome:
        """She bought a suggestion of this conversation: the one `said` points at,
        or the only one just shown; anything less clear is asked, not written."""
        return self._outcome(customer_id, actor, said, "bought")

    def decline(
        self,
        customer_id: int,
        actor: Actor,
        said: Said,
        dislikes: tuple[str, ...] = (),
        blanket: bool = False,
    ) -> Outcome:
        """She does not want the suggestions `said` points at; `blanket` (a plain
        "不感兴趣" right after an answer) means the whole newest answer. `dislikes`
        that the catalogue knows (a colour, category, brand) are kept as dislike
        preferences whether or not a suggestion had them."""
        return self._outcome(customer_id, actor, said, "declined", dislikes, blanket)

    def mark(
        self, customer_id: int, suggestion_id: int, outcome: str, actor: Actor
    ) -> bool:
        """One tap on the console: a suggestion shown to her was bought or declined.
        False when the suggestion is not one of her last answer's."""
        if outcome not in ("bought", "declined"):
            raise ValueError(f"unknown outcome {outcome!r}")
        with UnitOfWork(self._engine) as uow:
            store = RecommendationStore(uow.connection)
            shown = store.last_batch(customer_id, self._clock() - OUTCOME_WINDOW)
            if suggestion_id not in {s.id for s in shown}:
                return False
            store.set_outcome([suggestion_id], outcome, self._clock())
            audit(uow, self._clock(), actor, f"recommend_{outcome}", customer_id)
            uow.commit()
        return True

    def index(self, today: dt.date) -> ServingIndex:
        """The model joined to the catalogue, rebuilt when either changes."""
        model, catalog = self.models.get(), self.catalog(today)
        index = self._index
        if index is None or index.model is not model or index.catalog is not catalog:
            index = self._index = ServingIndex(model, catalog)
        return index

    def catalog(self, today: dt.date) -> Catalog:
        """Cached for `catalog_ttl_seconds`: stock is checked live for the items
        about to be shown, so a cached catalogue never offers a sold-out item."""
        with self._catalog_lock:
            cached = self._catalog
            fresh = cached and time.monotonic() - cached[0] < self._catalog_ttl
            if cached and fresh and cached[1] == today:
                return cached[2]
            with self._engine.connect() as connection:
                rows = RecommendationStore(connection).products()
            catalog = Catalog(
                [
                    _item(r, today, self._knowledge.recommend.new_arrival_days)
                    for r in rows
                ]
            )
            self._catalog = (time.monotonic(), today, catalog)
            return catalog

    def _outcome(self, customer_id, actor, said, outcome, dislikes=(), blanket=False):
        catalog = self.catalog(self._today())
        kept = tuple(
            d for d in dict.fromkeys(dislikes) if catalog.knows(d) or d in BASIC_COLOURS
        )
        with UnitOfWork(self._engine) as uow:
            row = require_customer(uow.customers, customer_id)
            store = RecommendationStore(uow.connection)
            shown = shown_items(
                store.shown_since(customer_id, actor.sender_id, said.since)
            )
            masked = mask_name(row.name)
            targets, status = _targets(shown, said, blanket, outcome)
            if status != "recorded" and not kept:
                return Outcome(masked, status, targets)
            now = self._clock()
            if status == "recorded":
                store.set_outcome([s.id for s in targets], outcome, now)
            else:
                targets = ()
            for value in kept:
                uow.customers.add_preference(
                    customer_id, "dislike", value, now, actor.label()
                )
            detail = {"items": [s.product_id for s in targets], "dislikes": kept}
            audit(uow, now, actor, f"recommend_{outcome}", customer_id, detail)
            uow.commit()
            return Outcome(masked, "recorded", targets, kept)

    def _shopper(self, store, customer_id, snapshot) -> Shopper:
        prefs = ((snapshot or {}).get("details") or {}).get("prefs") or {}
        declined_days = self._knowledge.recommend.declined_days
        declined_after = self._clock() - dt.timedelta(days=declined_days)
        owned = tuple(
            Owned(
                o.product_id,
                local_date(o.last_bought_at, self._tz).toordinal(),
                o.unit_price_fen,
                local_date(o.first_bought_at, self._tz).toordinal()
                if o.first_bought_at
                else None,
                o.orders,
            )
            for o in store.owned(customer_id)
        )
        return Shopper(
            owned=owned,
            categories=tuple(name for name, _ in prefs.get("categories", [])),
            brands=tuple(name for name, _ in prefs.get("brands", [])),
            discount_seeker=bool(prefs.get("discount_seeker")),
            new_arrival_lover=bool(prefs.get("new_arrival_lover")),
            dislikes=frozenset(store.dislikes(customer_id)),
            strategy=(snapshot or {}).get("strategy"),
            declined=frozenset(store.declined_since(customer_id, declined_after)),
        )

    def _log_rows(self, picks, customer_id, actor, snapshot, model, store_id):
        batch = uuid.uuid4().hex
        now = self._clock()
        return [
            {
                "customer_id": customer_id,
                "product_id": p.product_id,
                "kind": p.kind,
                "reason": p.reason,
                "source": p.source,
                "channel": actor.channel,
                "staff_id": actor.staff_id,
                "shown_at": now,
                "batch": batch,
                "rank": rank,
                "segment": (snapshot or {}).get("segment"),
                "store_id": store_id,
                "model_version": model.version,
                "conversation_id": actor.sender_id,
            }
            for rank, p in enumerate(picks, start=1)
        ]

    def _today(self) -> dt.date:
        return local_date(self._clock(), self._tz)


def _item(row: dict, today: dt.date, new_days: int) -> CatalogItem:
    tags = set(filter(None, (row["tags"] or "").split("|")))
    launched = row["launch_date"]
    recent = launched is not None and (today - launched).days <= new_days
    return CatalogItem(
        id=row["id"],
        sku=row["sku"],
        name=row["name"],
        category=row["category"],
        subcategory=row["subcategory"],
        brand=row["brand"],
        price_fen=row["price_fen"],
        price_tier=row["price_tier"],
        stock=row["stock"],
        consumable=bool(row["consumable"]),
        cycle_days=row["cycle_days"],
        is_new="new" in tags or recent,
        is_promo="promo" in tags,
        is_premium="premium" in tags,
        color=row["color"],
    )


def _find(catalog: Catalog, text: str, owned: tuple[Owned, ...]) -> CatalogItem | None:
    """A product named by SKU or name; for a subcategory ("大衣"), her newest item
    of it, else its first item in stock."""
    found = catalog.find(text)
    if found:
        return found
    for o in sorted(owned, key=lambda o: -o.last_day):
        item = (
            catalog.items[catalog.position[o.product_id]]
            if o.product_id in catalog.position
            else None
        )
        if item and item.subcategory == text:
            return item
    for item in catalog.items:
        if item.subcategory == text and item.stock > 0:
            return item
    return None


def shown_items(rows: list[ShownRow]) -> list[Shown]:
    """Logged suggestions as the reference resolver sees them (answer 0 = newest)."""
    answers: dict[str, int] = {}
    return [
        Shown(
            id=r.id,
            product_id=r.product_id,
            answer=answers.setdefault(r.batch, len(answers)),
            rank=r.rank,
            name=r.name,
            subcategory=r.subcategory,
            category=r.category,
            brand=r.brand,
            color=r.color or "",
        )
        for r in rows
    ]


def _targets(shown: list[Shown], said: Said, blanket: bool, outcome: str):
    """(items, status) for what the clerk said; see `Outcome`."""
    if said.chosen:
        chosen = tuple(s for s in shown if s.id in said.chosen)
        return (chosen, "recorded") if chosen else ((), "nothing_shown")
    if not shown:
        return (), "nothing_shown"
    latest = tuple(s for s in shown if s.answer == 0)
    found = resolve(parse_reference(said.text, shown), shown, said.named)
    if found.status == "resolved":
        return found.items, "recorded"
    if found.status == "ambiguous" and found.by_words and outcome == "declined":
        # "她不喜欢锦囊": every suggestion of that answer she said it of
        return found.items, "recorded"
    if found.status == "not_shown":
        return (), "not_shown"
    if found.status == "unknown" and (blanket or len(latest) == 1):
        return latest, "recorded"
    if found.status == "unknown" and outcome == "declined":
        return (), "not_shown"
    return found.items or latest, "ask_which"
