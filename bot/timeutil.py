"""Time helpers: storage is naive UTC; people see dates in the business time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def local_date(utc_naive: dt.datetime, tz: ZoneInfo) -> dt.date:
    return utc_naive.replace(tzinfo=dt.timezone.utc).astimezone(tz).date()


def local_datetime(utc_naive: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Naive local wall-clock time of a stored UTC timestamp."""
    return utc_naive.replace(tzinfo=dt.timezone.utc).astimezone(tz).replace(tzinfo=None)


def local_time(utc_naive: dt.datetime, tz: ZoneInfo) -> dt.time:
    return utc_naive.replace(tzinfo=dt.timezone.utc).astimezone(tz).time()


def local_to_utc(local_naive: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    aware = local_naive.replace(tzinfo=tz)
    return aware.astimezone(dt.timezone.utc).replace(tzinfo=None)
