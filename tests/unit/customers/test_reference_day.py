import datetime as dt

from bot.customers.card import reference_day

TODAY = dt.date(2026, 12, 2)


def test_historical_data_counts_to_its_snapshot():
    assert reference_day(TODAY, dt.date(2011, 12, 9), dt.date(2011, 11, 1)) == dt.date(
        2011, 12, 9
    )


def test_without_a_snapshot_or_after_a_newer_purchase_it_counts_to_today():
    assert reference_day(TODAY, None, dt.date(2026, 11, 1)) == TODAY
    assert reference_day(TODAY, dt.date(2026, 11, 20), dt.date(2026, 11, 30)) == TODAY
    assert reference_day(TODAY, dt.date(2026, 11, 20), None) == dt.date(2026, 11, 20)
