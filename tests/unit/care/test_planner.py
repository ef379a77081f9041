"""Every planning rule at its boundaries, on hand-made customers and purchases."""

import datetime as dt
from pathlib import Path

import pytest

from bot.care.planner import (
    Line,
    PlanInput,
    Recipient,
    in_holdout,
    own_cycle,
    plan,
    salutation,
    send_time,
)
from bot.knowledge import load_knowledge

RULES = load_knowledge(Path("knowledge")).care
AS_OF = dt.date(2026, 11, 20)


def her(customer_id=1, **kw):
    values = dict(
        customer_id=customer_id,
        name="王晓梅",
        gender="F",
        marketing_consent=True,
        service_consent=True,
        store="上海静安店",
        clerk="张婷",
    )
    values.update(kw)
    return Recipient(**values)


def line(days_ago, subcategory="T恤", order_id=10, line_id=100, customer_id=1, **kw):
    values = dict(
        order_id=order_id,
        line_id=line_id,
        customer_id=customer_id,
        day=AS_OF - dt.timedelta(days=days_ago),
        product_id=5,
        product=f"云裳 {subcategory}",
        subcategory=subcategory,
        store="上海静安店",
        clerk="张婷",
    )
    values.update(kw)
    return Line(**values)


def run(
    recipients=(), lines=(), history=(), new=None, existing=(), recent=None, rules=RULES
):
    data = PlanInput(
        AS_OF,
        {r.customer_id: r for r in recipients},
        list(lines),
        list(history),
        new or {},
        frozenset(existing),
        recent or {},
    )
    return plan(data, rules)


def only(rules=RULES, **overrides):
    """The rules with no look-back and no holdout unless asked."""
    return rules.copy(update={"lookback_days": 0, "holdout_share": 0.0, **overrides})


@pytest.mark.parametrize(("days_ago", "planned"), [(0, 0), (1, 1), (2, 0)])
def test_a_thank_you_goes_out_the_day_after_the_purchase(days_ago, planned):
    messages, _ = run([her()], [line(days_ago)], rules=only())
    assert len(messages) == planned
    if planned:
        (m,) = messages
        assert m.key == "thank_you:10" and not m.is_marketing
        assert (
            m.body
            == "王女士您好，感谢您昨天在上海静安店选购云裳 T恤！穿用中有任何问题，随时找张婷。"
        )


def test_a_missed_day_is_caught_up_within_the_look_back():
    messages, _ = run([her()], [line(3)], rules=only(lookback_days=2))
    assert [m.key for m in messages] == ["thank_you:10"]
    messages, _ = run([her()], [line(4)], rules=only(lookback_days=2))
    assert messages == []


def test_one_thank_you_per_order_naming_the_first_item():
    lines = [line(1, line_id=101), line(1, "围巾", line_id=102)]
    (m,) = [m for m in run([her()], lines, rules=only())[0] if m.trigger == "thank_you"]
    assert "云裳 T恤等2件商品" in m.body


@pytest.mark.parametrize(("days_ago", "planned"), [(6, False), (7, True), (8, False)])
def test_a_wool_coat_gets_its_care_tip_after_seven_days(days_ago, planned):
    messages, _ = run([her()], [line(days_ago, "大衣")], rules=only())
    tips = [m for m in messages if m.trigger == "care_tip"]
    assert bool(tips) is planned
    if planned:
        assert "建议干洗" in tips[0].body and not tips[0].is_marketing


def test_leather_shoes_wait_fourteen_days():
    messages, _ = run([her()], [line(14, "皮鞋")], rules=only())
    assert [m.key for m in messages if m.trigger == "care_tip"] == ["care_tip:10:2"]


def test_the_same_message_is_never_planned_twice():
    first, _ = run([her()], [line(1)], rules=only())
    again, report = run([her()], [line(1)], existing={first[0].key}, rules=only())
    assert again == [] and report.already["thank_you"] == 1


def cream(days_ago, order_id, cycle=60):
    return line(
        days_ago,
        "面霜",
        order_id=order_id,
        line_id=order_id,
        consumable=True,
        cycle_days=cycle,
        product_id=9,
        product="润颜 面霜",
    )


@pytest.mark.parametrize(
    ("days_ago", "planned"), [(52, False), (53, True), (54, False)]
)
def test_replenishment_at_the_products_cycle_minus_the_lead(days_ago, planned):
    # one purchase: the product's 60-day cycle, 7 days lead -> due on day 53
    messages, _ = run([her()], history=[cream(days_ago, 1)], rules=only())
    assert bool([m for m in messages if m.trigger == "replenish"]) is planned


def test_replenishment_follows_her_own_cycle_when_she_has_one():
    # she buys every 30 days (three purchases): due 23 days after the last
    history = [cream(83, 1), cream(53, 2), cream(23, 3)]
    messages, _ = run([her()], history=history, rules=only())
    (m,) = messages
    assert m.trigger == "replenish" and m.is_marketing
    assert m.key == f"replenish:1:9:{AS_OF - dt.timedelta(days=23)}"
    assert own_cycle([AS_OF, AS_OF + dt.timedelta(days=10)]) is None


@pytest.mark.parametrize(("offset", "planned"), [(2, False), (3, True), (4, False)])
def test_birthday_wishes_three_days_ahead(offset, planned):
    birthday = (AS_OF + dt.timedelta(days=offset)).replace(year=1990)
    messages, _ = run([her(birthday=birthday)], rules=only())
    assert bool(messages) is planned
    if planned:
        assert messages[0].key == "birthday:1:2026"


def test_a_birthday_on_29_february_is_wished_in_other_years():
    rules = only()
    data_day = dt.date(2027, 2, 25)
    recipient = her(birthday=dt.date(1992, 2, 29))
    data = PlanInput(data_day, {1: recipient}, [], [], {}, frozenset(), {})
    messages, _ = plan(data, rules)
    assert [m.key for m in messages] == ["birthday:1:2027"]


def test_win_back_once_per_lapse_with_the_playbook_offer():
    lapsed = her(
        lifecycle="at_risk", last_purchase=dt.date(2026, 8, 1), offer="回店礼券"
    )
    (m,) = run([lapsed, her(2, lifecycle="active")], rules=only())[0]
    assert m.key == "win_back:1:2026-08-01" and "回店礼券" in m.body


def test_vip_perks_once_a_period_for_high_value_customers_only():
    messages, _ = run([her(tier="high"), her(2, tier="medium")], rules=only())
    assert [m.customer_id for m in messages] == [1]
    assert messages[0].key == f"vip_perks:1:{AS_OF.toordinal() // 90}"


def test_new_arrivals_for_lovers_of_the_category_only():
    lover = her(flags=frozenset({"new_arrival_lover"}), categories=("服装", "配饰"))
    other = her(2, categories=("服装",))
    new = {"服装": AS_OF - dt.timedelta(days=5), "鞋履": AS_OF - dt.timedelta(days=1)}
    (m,) = run([lover, other], new=new, rules=only())[0]
    assert m.customer_id == 1 and "服装到了新款" in m.body
    stale = {"服装": AS_OF - dt.timedelta(days=14)}
    assert run([lover], new=stale, rules=only())[0] == []


def test_marketing_needs_consent_service_does_not():
    no = her(marketing_consent=False, tier="high")
    messages, report = run([no], [line(1)], rules=only())
    assert [m.trigger for m in messages] == ["thank_you"]
    assert report.no_consent["vip_perks"] == 1


def test_opting_out_of_everything_stops_service_messages_too():
    messages, report = run([her(service_consent=False)], [line(1)], rules=only())
    assert messages == [] and report.no_consent["thank_you"] == 1


def test_the_weekly_cap_keeps_the_most_important_marketing():
    busy = her(
        tier="high",
        lifecycle="churned",
        last_purchase=dt.date(2026, 1, 1),
        birthday=dt.date(1990, 11, 23),
    )
    messages, report = run([busy], rules=only(weekly_cap=2))
    assert [m.trigger for m in messages] == ["win_back", "birthday"]
    assert report.capped["vip_perks"] == 1
    messages, _ = run([busy], recent={1: 1}, rules=only(weekly_cap=2))
    assert [m.trigger for m in messages] == ["win_back"]


def test_service_messages_are_not_capped():
    lines = [line(1, order_id=n, line_id=n) for n in range(1, 5)]
    messages, _ = run([her()], lines, recent={1: 5}, rules=only(weekly_cap=1))
    assert len(messages) == 4


def test_a_holdout_share_of_each_campaign_is_planned_but_marked():
    people = [her(n, tier="high") for n in range(1, 2001)]
    messages, report = run(people, rules=only(holdout_share=0.1))
    held = [m for m in messages if m.holdout]
    assert 150 < len(held) < 250 and report.holdout["vip_perks"] == len(held)
    assert all(in_holdout("vip_perks", m.customer_id, 0.1) for m in held)
    assert not run([her(tier="high")], [line(1)], rules=only(holdout_share=0.5))[0][
        0
    ].holdout


def test_the_holdout_is_stable_and_differs_by_campaign():
    first = [in_holdout("birthday", n, 0.2) for n in range(1000)]
    assert first == [in_holdout("birthday", n, 0.2) for n in range(1000)]
    assert first != [in_holdout("win_back", n, 0.2) for n in range(1000)]


def test_messages_go_out_at_ten_and_never_in_the_quiet_hours():
    assert send_time(AS_OF, RULES) == dt.datetime(2026, 11, 20, 10, 0)
    late = RULES.copy(update={"send_at": dt.time(8, 0)})
    assert send_time(AS_OF, late) == dt.datetime(2026, 11, 20, 9, 0)
    assert not RULES.quiet_hours.contains(dt.time(20, 59))
    assert RULES.quiet_hours.contains(dt.time(21, 0))
    assert RULES.quiet_hours.contains(dt.time(8, 59))
    assert not RULES.quiet_hours.contains(dt.time(9, 0))


def test_salutations():
    assert salutation("王晓梅", "F") == "王女士"
    assert salutation("李强", "M") == "李先生"
    assert salutation("张三", "U") == "张三"
