"""Making a PostgreSQL database that does not exist yet (for `run-cluster`), and
dropping one (the cluster benchmark's own)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db.engine import make_engine


def ensure_database(url: str) -> bool:
    """Create the database of a PostgreSQL `url` unless it exists; True if made."""
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(False))
    try:
        with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            ).first()
            if found:
                return False
            quoted = parsed.database.replace('"', '""')
            conn.execute(text(f'CREATE DATABASE "{quoted}"'))
            return True
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    """Drop the database of a PostgreSQL `url`, closing its connections."""
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(False))
    try:
        with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            quoted = parsed.database.replace('"', '""')
            conn.execute(text(f'DROP DATABASE IF EXISTS "{quoted}" WITH (FORCE)'))
    finally:
        admin.dispose()
