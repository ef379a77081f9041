"""Recommendation use cases on the demo database: constraints checked with independent
SQL, the feedback loop, model versions and reload, the acceptance report."""

import datetime as dt
import time

import numpy as np
import pytest
from sqlalchemy import select, update

from bot.db import tables as t
from bot.demo.generator import generate
from bot.recommend.engine import model_of
from bot.services.customers import Actor
from bot.services.recommendation_report import acceptance
from bot.services.recommendations import (
    RecommendationService,
    Said,
    train_recommender,
)
from tests.conftest import DEMO_AS_OF, SHANGHAI, demo_config, migrated_sqlite

NOON = dt.datetime.combine(DEMO_AS_OF, dt.time(4))  # noon in Shanghai


@pytest.fixture()
def service(demo_db, knowledge, demo_model_dir):
    return RecommendationService(
        demo_db[1], knowledge, SHANGHAI, demo_model_dir, clock=lambda: NOON
    )


def customer_ids(engine, limit=40):
    with engine.connect() as conn:
        return (
            conn.execute(
                select(t.orders.c.customer_id)
                .distinct()
                .order_by(t.orders.c.customer_id)
                .limit(limit)
            )
            .scalars()
            .all()
        )


def owned_and_stock(engine, customer_id):
    with engine.connect() as conn:
        owned = conn.execute(
            select(t.products.c.id, t.products.c.consumable)
            .select_from(t.order_lines.join(t.orders).join(t.products))
            .where(t.orders.c.customer_id == customer_id)
        ).all()
        stock = dict(conn.execute(select(t.products.c.id, t.products.c.stock)).all())
    return {pid for pid, consumable in owned if not consumable}, stock


@pytest.mark.parametrize("kind", ["personal", "cross", "up"])
def test_suggestions_are_in_stock_new_to_her_and_varied(service, demo_db, kind):
    shown = 0
    for customer_id in customer_ids(demo_db[1]):
        view = service.recommend(customer_id, kind, Actor(f"t-{kind}", "rest"))
        lasting, stock = owned_and_stock(demo_db[1], customer_id)
        ids = [s.product_id for s in view.suggestions]
        assert len(ids) == len(set(ids)) <= 3
        for s in view.suggestions:
            assert stock[s.product_id] > 0
            assert s.product_id not in lasting
            assert s.reason and "{" not in s.reason
        categories = [s.category for s in view.suggestions]
        assert all(categories.count(c) <= 2 for c in categories)
        shown += len(ids)
    assert shown > 20


def test_every_suggestion_shown_is_logged_and_audited(service, demo_db):
    actor = Actor("tablet-log", "rest")
    customer_id = customer_ids(demo_db[1])[3]
    view = service.recommend(customer_id, "personal", actor)
    with demo_db[1].connect() as conn:
        rows = conn.execute(
            select(
                t.recommendation_log.c.product_id,
                t.recommendation_log.c.kind,
                t.recommendation_log.c.reason,
                t.recommendation_log.c.channel,
                t.recommendation_log.c.rank,
                t.recommendation_log.c.model_version,
            )
            .where(t.recommendation_log.c.customer_id == customer_id)
            .order_by(t.recommendation_log.c.id.desc())
            .limit(len(view.suggestions))
        ).all()
        audited = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.customer_id).where(
                t.audit_log.c.actor == "sender:tablet-log"
            )
        ).all()
    logged = sorted(rows, key=lambda r: r.rank)
    assert [r.product_id for r in logged] == [s.product_id for s in view.suggestions]
    assert [r.reason for r in logged] == [s.reason for s in view.suggestions]
    assert {(r.kind, r.channel) for r in logged} == {("personal", "rest")}
    assert all(r.model_version for r in logged)
    assert audited == [("recommend", customer_id)]


def said(text: str, *named: str) -> Said:
    return Said(text, NOON - dt.timedelta(hours=1), tuple(named))


def outcomes_of(engine, customer_id: int) -> dict[int, str | None]:
    log = t.recommendation_log
    with engine.connect() as conn:
        rows = conn.execute(
            select(log.c.product_id, log.c.outcome).where(
                log.c.customer_id == customer_id
            )
        ).all()
    return {product: outcome for product, outcome in rows}


def test_a_purchase_and_a_no_update_the_log_and_the_report(service, demo_db):
    engine = demo_db[1]
    clerk = Actor("tablet-outcome", "rest")
    first, second = customer_ids(engine)[5:7]
    shown = service.recommend(first, "cross", clerk).suggestions
    assert len(shown) >= 2
    asked = service.record_purchase(first, clerk, said("她买了"))
    assert asked.status == "ask_which"
    bought = service.record_purchase(first, clerk, said("她买了第二个"))
    assert bought.status == "recorded"
    assert [s.product_id for s in bought.items] == [shown[1].product_id]
    service.recommend(second, "personal", clerk)
    declined = service.decline(second, clerk, said("不感兴趣"), blanket=True)
    assert declined.status == "recorded" and len(declined.items) >= 1
    with engine.connect() as conn:
        outcomes = conn.execute(
            select(t.recommendation_log.c.customer_id, t.recommendation_log.c.outcome)
            .where(t.recommendation_log.c.customer_id.in_([first, second]))
            .where(t.recommendation_log.c.outcome.is_not(None))
        ).all()
    assert (first, "bought") in outcomes
    assert {o for c, o in outcomes if c == second} == {"declined"}
    report = acceptance(engine, 30, now=NOON)
    kinds = {row.group: row for row in report.by["kind"]}
    assert kinds["cross"].bought >= 1 and kinds["personal"].declined >= 1
    assert sum(r.shown for r in report.by["store"]) == sum(
        r.shown for r in report.by["kind"]
    )


def test_a_named_dislike_is_kept_and_never_offered_again(service, demo_db):
    clerk = Actor("tablet-dislike", "rest")
    customer_id = customer_ids(demo_db[1])[8]
    before = service.recommend(customer_id, "personal", clerk).suggestions
    disliked = before[0].category
    service.decline(
        customer_id, clerk, said(f"她不喜欢{disliked}", disliked), (disliked,)
    )
    for kind in ("personal", "cross"):
        after = service.recommend(customer_id, kind, clerk).suggestions
        assert disliked not in {s.category for s in after}


def test_a_dislike_of_something_not_shown_declines_nothing(service, demo_db):
    engine = demo_db[1]
    clerk = Actor("tablet-yellow", "rest")
    customer_id = customer_ids(engine)[9]
    shown = service.recommend(customer_id, "personal", clerk).suggestions
    colour = next(
        c
        for c in ("黄色", "粉色", "藏青", "驼色", "白色")
        if c not in {s.name for s in shown}
    )
    outcome = service.decline(
        customer_id, clerk, said(f"她不喜欢{colour}", colour), (colour,)
    )
    assert outcome.items == () and outcome.disliked == (colour,)
    assert set(outcomes_of(engine, customer_id).values()) == {None}


def test_declined_items_and_their_other_colours_stay_out(service, demo_db, knowledge):
    clerk = Actor("tablet-declined", "rest")
    customer_id = customer_ids(demo_db[1])[10]
    first = service.recommend(customer_id, "personal", clerk).suggestions
    service.decline(customer_id, clerk, said("不感兴趣"), blanket=True)
    again = service.recommend(customer_id, "personal", clerk).suggestions
    catalog = service.catalog(NOON.date())
    models = {model_of(catalog.items[catalog.position[s.product_id]]) for s in first}
    assert again and not {s.product_id for s in again} & {s.product_id for s in first}
    assert (
        not {model_of(catalog.items[catalog.position[s.product_id]]) for s in again}
        & models
    )


def test_a_purchase_that_fits_several_suggestions_asks_which(service, demo_db):
    clerk = Actor("tablet-which", "rest")
    for customer_id in customer_ids(demo_db[1], limit=120)[60:]:
        shown = service.recommend(customer_id, "personal", clerk).suggestions
        categories = [s.category for s in shown]
        shared = next((c for c in categories if categories.count(c) > 1), None)
        if shared:
            break
    else:
        pytest.fail("no answer with two items of one category in 60 customers")
    outcome = service.record_purchase(
        customer_id, clerk, said(f"她买了{shared}", shared)
    )
    assert outcome.status == "ask_which"
    assert {s.product_id for s in outcome.items} == {
        s.product_id for s in shown if s.category == shared
    }
    assert set(outcomes_of(demo_db[1], customer_id).values()) == {None}


def test_nothing_to_record_when_nothing_was_suggested(service, demo_db):
    customer_id = customer_ids(demo_db[1], limit=200)[150]  # never shown anything
    outcome = service.record_purchase(
        customer_id, Actor("tablet-none", "rest"), said("她买了围巾", "围巾")
    )
    assert outcome.status == "nothing_shown"


@pytest.fixture()
def small_shop(tmp_path, knowledge):
    """A database of its own: these tests publish models into it."""
    url, engine = migrated_sqlite(tmp_path / "shop.db")
    generate(engine, knowledge, demo_config(customers=120), progress=False)
    yield engine
    engine.dispose()


def test_a_newer_model_is_picked_up_without_a_restart(small_shop, knowledge, tmp_path):
    engine = small_shop
    service = RecommendationService(
        engine, knowledge, SHANGHAI, tmp_path, clock=lambda: NOON, check_seconds=0
    )
    assert service.models.get().version == "none"
    first, _ = train_recommender(engine, knowledge, SHANGHAI, tmp_path, DEMO_AS_OF)
    assert service.models.get().version == first.version
    time.sleep(0.01)
    second, path = train_recommender(engine, knowledge, SHANGHAI, tmp_path, DEMO_AS_OF)
    assert second.version > first.version
    assert service.models.get().version == second.version
    assert (path / "model.npz").exists() and (path / "meta.json").exists()
    assert second.stats["lines"] > 0 and second.stats["rules"] > 0


def test_every_machine_serves_the_model_published_in_the_database(
    small_shop, knowledge, tmp_path
):
    """Trained on one machine (its own folder), served by two others (empty folders
    of their own): the model comes from the database, whole and checked."""
    engine = small_shop
    trainer, one, two = tmp_path / "trainer", tmp_path / "one", tmp_path / "two"
    servers = [
        RecommendationService(
            engine, knowledge, SHANGHAI, folder, clock=lambda: NOON, check_seconds=0
        )
        for folder in (one, two)
    ]
    model, path = train_recommender(engine, knowledge, SHANGHAI, trainer, DEMO_AS_OF)
    for server, folder in zip(servers, (one, two), strict=True):
        served = server.models.get()
        assert served.version == model.version
        assert np.array_equal(served.product_ids, model.product_ids)
        assert (folder / model.version / "model.npz").read_bytes() == (
            path / "model.npz"
        ).read_bytes()
    with engine.connect() as conn:
        stored = conn.execute(
            select(t.recommender_models.c.version, t.recommender_models.c.size_bytes)
        ).one()
    assert stored == (model.version, (path / "model.npz").stat().st_size)
    # a damaged copy in the database is refused: the server keeps what it serves
    time.sleep(0.01)
    newer, _ = train_recommender(engine, knowledge, SHANGHAI, trainer, DEMO_AS_OF)
    with engine.begin() as conn:
        conn.execute(
            update(t.recommender_model_parts)
            .where(t.recommender_model_parts.c.version == newer.version)
            .values(data=b"not a model")
        )
    assert servers[0].models.get().version == model.version
    assert not (one / newer.version).exists()


def test_only_the_newest_three_versions_are_kept_in_the_database(
    small_shop, knowledge, tmp_path
):
    engine = small_shop
    versions = []
    for _ in range(4):
        time.sleep(0.01)
        model, _ = train_recommender(engine, knowledge, SHANGHAI, tmp_path, DEMO_AS_OF)
        versions.append(model.version)
    with engine.connect() as conn:
        kept = conn.execute(select(t.recommender_models.c.version)).scalars().all()
        parts = conn.execute(
            select(t.recommender_model_parts.c.version).distinct()
        ).scalars()
        parts = sorted(parts)
    assert sorted(kept) == versions[1:] == parts


def test_highlights_leave_out_what_she_dislikes_and_stay_in_stock(service, demo_db):
    from bot.db.uow import UnitOfWork

    clerk = Actor("tablet-highlights", "rest")
    customer_id = customer_ids(demo_db[1])[11]
    shop = service.highlights("promo", None, clerk, 5)
    assert shop.items and not shop.personal
    brand = shop.items[0].brand
    with UnitOfWork(demo_db[1]) as uow:
        uow.customers.add_preference(customer_id, "dislike", brand, NOON, "test")
        uow.commit()
    hers = service.highlights("promo", customer_id, clerk, 5)
    assert hers.personal and hers.items
    assert brand not in {item.brand for item in hers.items}
    with demo_db[1].connect() as conn:
        stock = dict(
            conn.execute(
                select(t.products.c.id, t.products.c.stock).where(
                    t.products.c.id.in_([i.id for i in hers.items])
                )
            ).all()
        )
    assert all(stock[i.id] > 0 and i.is_promo for i in hers.items)


def test_a_dislike_of_a_brand_declines_every_suggestion_of_that_brand(service, demo_db):
    engine = demo_db[1]
    clerk = Actor("tablet-brand", "rest")
    for customer_id in customer_ids(engine, limit=150)[100:]:
        shown = service.recommend(customer_id, "personal", clerk).suggestions
        catalog = service.catalog(NOON.date())
        brands = [catalog.items[catalog.position[s.product_id]].brand for s in shown]
        shared = next((b for b in brands if brands.count(b) > 1), None)
        if shared and brands.count(shared) < len(brands):
            break
    else:
        pytest.fail("no answer with two items of one brand in 50 customers")
    outcome = service.decline(
        customer_id, clerk, said(f"她不喜欢{shared}", shared), (shared,)
    )
    assert len(outcome.items) == brands.count(shared)
    declined = {
        p for p, o in outcomes_of(engine, customer_id).items() if o == "declined"
    }
    assert declined == {
        s.product_id for s, b in zip(shown, brands, strict=True) if b == shared
    }


VALIDATION_CUSTOMERS = """
WITH lines AS (
    SELECT o.customer_id, l.product_id,
           date(o.ordered_at, '+8 hours') AS day
    FROM order_lines l JOIN orders o ON l.order_id = o.id
    WHERE o.ordered_at < :end AND l.returned_quantity < l.quantity
), bounds AS (SELECT date(max(day), '-89 days') AS start FROM lines),
before AS (SELECT DISTINCT customer_id, product_id FROM lines, bounds WHERE day < start),
late AS (SELECT DISTINCT customer_id, product_id FROM lines, bounds WHERE day >= start)
SELECT count(DISTINCT late.customer_id) FROM late
WHERE late.customer_id IN (SELECT customer_id FROM before)
  AND NOT EXISTS (
      SELECT 1 FROM before b
      WHERE b.customer_id = late.customer_id AND b.product_id = late.product_id
  )
"""


def test_training_chooses_its_weights_on_the_latest_days_and_saves_them(
    demo_db, knowledge, tmp_path
):
    from sqlalchemy import text

    from bot.recommend.model import TrainedModel

    engine = demo_db[1]
    model, path = train_recommender(engine, knowledge, SHANGHAI, tmp_path, DEMO_AS_OF)
    learning = model.stats["learning"]
    end = dt.datetime.combine(DEMO_AS_OF, dt.time(16))  # midnight in Shanghai, UTC
    with engine.connect() as conn:
        expected = conn.execute(
            text(VALIDATION_CUSTOMERS), {"end": end.strftime("%Y-%m-%d %H:%M:%S")}
        ).scalar_one()
    assert expected >= knowledge.recommend.learning.min_customers
    assert learning["chosen"] and learning["customers"] == expected
    assert learning["validation"]["ndcg@10"] >= learning["started_scores"]["ndcg@10"]
    saved = TrainedModel.load(path)
    assert saved.blend.settings == model.blend.settings
    for source, weight in learning["weights"].items():
        assert saved.blend.settings.weight(source) == weight
    # what the model was fitted with is what it serves with
    assert saved.stats["learning"] == learning


def test_too_short_a_history_keeps_the_configured_weights(demo_db, knowledge, tmp_path):
    from dataclasses import replace

    from bot.services.recommendations import settings_of

    learning = knowledge.recommend.learning.copy(update={"min_customers": 10**6})
    strict = replace(
        knowledge, recommend=knowledge.recommend.copy(update={"learning": learning})
    )
    model, _ = train_recommender(demo_db[1], strict, SHANGHAI, tmp_path, DEMO_AS_OF)
    assert not model.stats["learning"]["chosen"]
    assert "at least 1000000 needed" in model.stats["learning"]["why"]
    assert model.blend.settings == settings_of(knowledge)
