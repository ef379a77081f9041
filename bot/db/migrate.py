"""Run the Alembic migrations from code (the CLI and tests use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def current_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the one this salesbot was built for."""


def revision_of(url: str) -> str | None:
    """The database's Alembic revision (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def safe_url(url: str) -> str:
    """The URL to show in a message: its password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def require_current(url: str, where: str) -> None:
    """Refuse to work on a database that `salesbot migrate` has not brought to
    this code's schema. Only `salesbot migrate` migrates: two processes starting
    together (replicas, cron jobs) must never upgrade one database at once."""
    found, wanted = revision_of(url), current_head()
    if found == wanted:
        return
    if found is None:
        raise SchemaNotCurrent(
            f"the database {where} has no salesbot schema yet: "
            "run `salesbot migrate` first"
        )
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    known = {revision.revision for revision in script.walk_revisions()}
    if found not in known:
        raise SchemaNotCurrent(
            f"the database {where} is at revision {found}, newer than this "
            f"salesbot ({wanted}): upgrade salesbot on this machine"
        )
    raise SchemaNotCurrent(
        f"the database {where} is at revision {found}, this salesbot needs "
        f"{wanted}: run `salesbot migrate`"
    )
