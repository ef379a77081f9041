"""`salesbot web` (the consoles), `export-corrections`, `purge`, `forget`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from bot import bootstrap, config


@click.command("web")
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--rasa-url",
    default=lambda: os.environ.get("SALESBOT_RASA_URL", "http://127.0.0.1:5005"),
    show_default="SALESBOT_RASA_URL or http://127.0.0.1:5005",
)
def web_cmd(port: int, rasa_url: str) -> None:
    """Serve the clerks' and managers' consoles on 127.0.0.1."""
    from aiohttp import web

    from bot.web.app import create_app

    secret = config.console_secret()
    if not secret:
        raise click.ClickException(
            "SALESBOT_CONSOLE_SECRET is not set (the Rasa server needs the same "
            "value); `salesbot run` sets one for both"
        )
    from bot.web.client_address import parse_networks

    try:
        proxies = parse_networks(config.trusted_proxies())
    except ValueError as bad:
        raise click.ClickException(f"SALESBOT_TRUSTED_PROXIES: {bad}") from None
    services = bootstrap.services()
    from bot.cli.main import _require_schema

    _require_schema(services.database_url)
    app = create_app(
        services,
        services.staff_auth,
        services.conversations,
        rasa_url,
        secret,
        services.intents,
        secure_cookies=os.environ.get("SALESBOT_SECURE_COOKIES") == "1",
        trusted_proxies=proxies,
    )
    click.echo(f"consoles on http://127.0.0.1:{port}/ and /manager")
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@click.command("export-corrections")
@click.argument(
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=config.PROJECT_ROOT / "data" / "nlu" / "corrections.yml",
)
def export_corrections_cmd(path: Path) -> None:
    """Write the turns managers flagged as Rasa NLU training data (PATH)."""
    from bot.services.conversations import export_corrections

    text, count = export_corrections(bootstrap.services().engine)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"{count} corrected turns written to {path}; retrain with `make model`")


@click.command()
@click.option(
    "--days",
    type=click.IntRange(1),
    default=lambda: int(os.environ.get("SALESBOT_LOG_RETENTION_DAYS", "180")),
    show_default="SALESBOT_LOG_RETENTION_DAYS or 180",
)
def purge(days: int) -> None:
    """Delete conversation logs older than DAYS (tracker events, inbound message
    records, closed handoffs)."""
    from bot.db.tracker_store import TrackerUnavailable
    from bot.services.privacy import purge as purge_logs

    services = bootstrap.services()
    try:
        counts = purge_logs(services.engine, services.conversations.tracker, days)
    except TrackerUnavailable as error:
        raise click.ClickException(f"nothing was purged: {error}") from None
    for name, count in counts.items():
        click.echo(f"{name}: {count} deleted")


@click.command("reindex-conversations")
def reindex_conversations() -> None:
    """Rebuild the conversation summaries the managers' pages read from the tracker
    (once after upgrading; the tracker store keeps them current afterwards)."""
    from tqdm import tqdm

    from bot.services.conversation_index import ConversationIndex

    services = bootstrap.services()
    tracker = services.conversations.tracker
    senders = tracker.senders()
    with tqdm(total=len(senders), unit="对话", desc="重建对话摘要") as bar:
        written = ConversationIndex(services.engine).reindex(
            tracker, senders, bar.update
        )
    click.echo(f"{written} conversation summaries written")


@click.command()
@click.argument("number")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def forget(number: str, yes: bool) -> None:
    """Erase a customer's personal data and conversations (phone or member no)."""
    from bot.customers.identifiers import IdentifierError
    from bot.db.tracker_store import TrackerUnavailable
    from bot.services.privacy import forget as forget_customer

    services = bootstrap.services()
    kind = "member_no" if number.strip().upper().startswith("M") else "phone"
    try:
        card = services.customers.lookup(kind, number, _actor())
    except IdentifierError as error:
        raise click.ClickException(str(error)) from None
    except LookupError as error:
        raise click.ClickException(str(error)) from None
    if not yes:
        click.confirm(
            f"erase {card.masked_name} ({card.member_no}) for good?", abort=True
        )
    try:
        done = forget_customer(
            services.engine, services.conversations.tracker, card.customer_id, _actor()
        )
    except TrackerUnavailable as error:
        raise click.ClickException(
            f"nothing was erased: {error}. Fix the tracker database and run again."
        ) from None
    for name, count in done.items():
        click.echo(f"{name}: {count}")
    if not services.conversations.tracker.exists():
        click.echo(
            f"note: {services.conversations.tracker.where()} holds no conversations "
            "yet (no Rasa events table): if the Rasa server keeps them elsewhere, "
            "SALESBOT_TRACKER_URL is wrong and her conversations were not erased",
            err=True,
        )


def _actor():
    from bot.cli.main import CLI_ACTOR

    return CLI_ACTOR
