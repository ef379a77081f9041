"""`salesbot handoff ...` (the human handoff queue from a terminal, until the clerks'
console) and `salesbot wechat-say` (talk to the running WeChat channel as WeChat's
servers would: signed, optionally encrypted)."""

from __future__ import annotations

import os
import sys

import click

from bot import bootstrap
from bot.timeutil import local_datetime


@click.group()
def handoff() -> None:
    """Conversations waiting for a person: list, read, reply, close."""


@handoff.command("list")
@click.option("--store", type=int, help="only this store's customers (store id)")
def handoff_list(store: int | None) -> None:
    from bot import config

    entries = bootstrap.services().handoff.queue(store)
    if not entries:
        click.echo("nobody is waiting")
        return
    tz = config.business_timezone()
    for entry in entries:
        since = local_datetime(entry.waiting_since, tz)
        click.echo(
            f"#{entry.id}  {entry.customer}  {entry.channel}  "
            f"since {since:%m-%d %H:%M}  {entry.reason[:60]}"
        )


@handoff.command("show")
@click.argument("handoff_id", type=int)
def handoff_show(handoff_id: int) -> None:
    from bot import config
    from bot.services.handoff import HandoffError

    tz = config.business_timezone()
    try:
        thread = bootstrap.services().handoff.thread(handoff_id)
    except HandoffError as error:
        raise click.ClickException(str(error)) from None
    for message in thread:
        mark = "" if message.delivery == "ok" else f"  [{message.delivery}]"
        at = local_datetime(message.at, tz)
        click.echo(f"{at:%m-%d %H:%M} {message.author}: {message.body}{mark}")


@handoff.command("reply")
@click.argument("handoff_id", type=int)
@click.argument("text")
@click.option("--staff", required=True, help="the clerk's username")
def handoff_reply(handoff_id: int, text: str, staff: str) -> None:
    """Send TEXT to the waiting customer (WeChat customer-service API when
    SALESBOT_WECHAT_APPID/_SECRET are set, else var/outbox/wechat-replies.jsonl)."""
    from bot.config import business_timezone
    from bot.locale.zh.wechat import window_note
    from bot.services.handoff import HandoffError, WindowClosed
    from bot.timeutil import utcnow

    services = bootstrap.services()
    try:
        services.handoff.reply(handoff_id, staff, text, services.send_text())
    except WindowClosed as closed:
        note = window_note(closed.window, utcnow(), business_timezone())
        raise click.ClickException(note) from None
    except (HandoffError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"sent to #{handoff_id}")


@handoff.command("close")
@click.argument("handoff_id", type=int)
@click.option("--staff", required=True, help="the clerk's username")
def handoff_close(handoff_id: int, staff: str) -> None:
    """Give the conversation back to the bot."""
    from bot.services.handoff import HandoffError

    try:
        bootstrap.services().handoff.close(handoff_id, staff)
    except HandoffError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"#{handoff_id} closed; the bot answers this customer again")


@click.command("wechat-say")
@click.argument("text")
@click.option("--openid", default="oDemoCustomer0001", show_default=True)
@click.option("--url", default="http://127.0.0.1:5005/webhooks/wechat/webhook")
@click.option("--encrypted", is_flag=True, help="safe mode (needs the AES key)")
@click.option(
    "--event",
    type=click.Choice(["subscribe", "unsubscribe"]),
    help="send this event instead of TEXT",
)
def wechat_say(
    text: str, openid: str, url: str, encrypted: bool, event: str | None
) -> None:
    """Send TEXT to the running channel as WeChat would, and print the reply."""
    import requests

    from bot.channels.wechat import DEV_TOKEN
    from bot.channels.wechat_simulator import WeChatSimulator

    key = os.environ.get("SALESBOT_WECHAT_AES_KEY")
    if encrypted and not key:
        raise click.ClickException("--encrypted needs SALESBOT_WECHAT_AES_KEY")
    chat = WeChatSimulator(
        url,
        os.environ.get("SALESBOT_WECHAT_TOKEN") or DEV_TOKEN,
        key if encrypted else None,
        os.environ.get("SALESBOT_WECHAT_APPID"),
    )
    try:
        answer = chat.event(openid, event) if event else chat.text(openid, text)
    except requests.RequestException as error:
        raise click.ClickException(f"the channel did not answer: {error}") from None
    if answer.status != 200:
        click.echo(f"HTTP {answer.status}: {answer.body}", err=True)
        sys.exit(1)
    click.echo(answer.reply if answer.reply else f"({answer.body})")
