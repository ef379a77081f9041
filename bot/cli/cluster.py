"""`salesbot run-cluster`: the cluster of bot/runtime/cluster.py with demo data."""

from __future__ import annotations

import secrets
import signal
import sys
import time
from pathlib import Path

import click

from bot import config

DISPATCH_SECONDS = 60


@click.command("run-cluster")
@click.option(
    "--model",
    default="models/salesbot.tar.gz",
    show_default=True,
    type=click.Path(path_type=Path),
)
def run_cluster(model: Path) -> None:
    """2 Rasa, 2 action and 2 console servers on PostgreSQL behind HAProxy, and
    the care dispatcher once a minute; demo data when the database is empty."""
    from bot.db.create import ensure_database
    from bot.runtime.cluster import HAPROXY, Fronts, start_cluster
    from bot.runtime.demo import demo_steps, run_steps
    from bot.runtime.servers import ServerFailed

    root = config.PROJECT_ROOT
    if not (root / model).exists():
        raise click.ClickException(f"no model at {model}; run `make model` first")
    if not HAPROXY.exists():
        raise click.ClickException(f"no HAProxy at {HAPROXY}: `make run-cluster`")
    database, tracker = config.cluster_urls()
    try:
        for url in (database, tracker):
            if ensure_database(url):
                click.echo(f"made {url}")
    except Exception as error:  # noqa: BLE001 (no server, no rights: say so)
        raise click.ClickException(f"PostgreSQL is needed: {error}") from error
    env = {
        "DATABASE_URL": database,
        "SALESBOT_TRACKER_URL": tracker,
        "SALESBOT_MODEL_DIR": str(root / "var" / "cluster" / "models"),
        "SALESBOT_CONSOLE_SECRET": config.console_secret() or secrets.token_urlsafe(32),
    }
    redis = config.redis_url() or _local_redis()
    if redis:
        env["SALESBOT_REDIS_URL"] = redis
    click.echo(
        f"shared state (WeChat token, login throttle) in {redis}"
        if redis
        else "no Redis answers: the WeChat token and login throttle stay in PostgreSQL"
    )
    run_steps(demo_steps(if_empty=True), env, root)
    fronts = Fronts()
    logs = root / "var" / "log" / "cluster"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    cluster = start_cluster(root / model, env, logs, root, fronts)
    try:
        click.echo("starting 2 action, 2 Rasa and 2 console servers behind HAProxy...")
        cluster.wait_healthy(300)
        click.echo(
            f"salesbot cluster is ready (logs: {logs}):\n"
            f"  bot: http://127.0.0.1:{fronts.rasa}/webhooks/rest/webhook and "
            "/webhooks/wechat/webhook (sticky by sender)\n"
            f"  consoles: http://127.0.0.1:{fronts.consoles}/ (demo logins s01c1, "
            "s01m, hq, password demo1234)\n"
            f"  HAProxy stats: http://127.0.0.1:{fronts.stats}/stats\n"
            f"  care dispatch every {DISPATCH_SECONDS} s; Ctrl-C stops everything"
        )
        next_dispatch = time.monotonic()
        while not cluster.stopped():
            if time.monotonic() >= next_dispatch:
                run_steps([["care", "dispatch"]], env, root, check=False)
                next_dispatch = time.monotonic() + DISPATCH_SECONDS
            time.sleep(1)
        names = ", ".join(s.name for s in cluster.stopped())
        raise click.ClickException(f"stopped: {names}; see the logs in {logs}")
    except ServerFailed as error:
        raise click.ClickException(str(error)) from error
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def _local_redis() -> str | None:
    """The machine's Redis, when one answers."""
    import redis

    client = redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        return None
    finally:
        client.close()
    return LOCAL_REDIS
