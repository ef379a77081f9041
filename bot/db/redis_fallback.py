"""Shared state in Redis while it answers, in the database while it does not: the
login throttle and the WeChat token both call through here."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def call_with_fallback(primary, fallback, name: str, *args, what: str):
    """`primary.name(*args)`, or `fallback.name(*args)` when Redis fails."""
    from redis.exceptions import RedisError

    try:
        return getattr(primary, name)(*args)
    except RedisError as error:
        logger.warning("%s in the database: Redis failed (%s)", what, error)
        return getattr(fallback, name)(*args)
