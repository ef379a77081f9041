"""Rasa custom actions: thin adapters over the `bot` package.

When the action server loads this package (`rasa run actions`, by `salesbot run`
or by hand) it first checks that `salesbot migrate` has brought the database to
this code's schema, and stops with that message if not: only `salesbot migrate`
migrates, so that replicas starting together never upgrade one database at once.
"""

import sys

from threadpoolctl import threadpool_limits

from bot.db.migrate import SchemaNotCurrent, require_current, safe_url


def _require_schema() -> None:
    from bot import config

    url = config.database_url()
    try:
        require_current(url, safe_url(url))
    except SchemaNotCurrent as error:
        raise SystemExit(f"salesbot action server: {error}") from None


if "rasa_sdk.endpoint" in sys.modules:  # the action server, not a test's import
    _require_schema()

# The action server answers many small requests; each recommendation does small
# products and an ALS solve that OpenBLAS's threads only slow down (0.11 ms on one
# thread against 1.6 ms on two): one BLAS thread per action server process.
threadpool_limits(1, "blas")
