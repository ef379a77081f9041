"""Settings read from the environment, with development defaults.

Nothing here opens a connection or reads a file: callers ask when they need a value.
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """`DATABASE_URL`, else a SQLite file under `var/` (works with no servers)."""
    default = f"sqlite:///{PROJECT_ROOT / 'var' / 'salesbot.db'}"
    return os.environ.get("DATABASE_URL", default)


def knowledge_dir() -> Path:
    return Path(os.environ.get("SALESBOT_KNOWLEDGE", PROJECT_ROOT / "knowledge"))


def business_timezone() -> ZoneInfo:
    """Timestamps are stored in UTC; dates are shown in the shops' time zone."""
    return ZoneInfo(os.environ.get("SALESBOT_TZ", "Asia/Shanghai"))


def value_scale_ttl_seconds() -> int:
    return int(os.environ.get("SALESBOT_VALUE_SCALE_TTL", "600"))


def tracker_url() -> str:
    """Where the Rasa server keeps conversations (Rasa's SQL tracker store) and the
    manager console reads them: `SALESBOT_TRACKER_URL`, else var/tracker.db."""
    default = f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    return os.environ.get("SALESBOT_TRACKER_URL", default)


def console_secret() -> str | None:
    """Shared by the console server and the Rasa server's console channel."""
    return os.environ.get("SALESBOT_CONSOLE_SECRET")


def model_dir() -> Path:
    """Where `train-recommender` saves versioned models and servers load them."""
    default = PROJECT_ROOT / "var" / "models" / "recommender"
    return Path(os.environ.get("SALESBOT_MODEL_DIR", default))


def model_check_seconds() -> float:
    """How often a server looks for a newer recommender model."""
    return float(os.environ.get("SALESBOT_MODEL_CHECK_SECONDS", "30"))


def wechat_credentials() -> tuple[str, str, str] | None:
    """(appid, secret, API base) of the Official Account that sends care messages,
    when both SALESBOT_WECHAT_APPID and SALESBOT_WECHAT_SECRET are set."""
    appid = os.environ.get("SALESBOT_WECHAT_APPID")
    secret = os.environ.get("SALESBOT_WECHAT_SECRET")
    if not appid or not secret:
        return None
    base = os.environ.get("SALESBOT_WECHAT_API", "https://api.weixin.qq.com/cgi-bin/")
    return appid, secret, base


def redis_url() -> str | None:
    """`SALESBOT_REDIS_URL`: shared state (the WeChat token) in Redis instead of the
    database when set."""
    return os.environ.get("SALESBOT_REDIS_URL") or None


def trusted_proxies() -> str:
    """`SALESBOT_TRUSTED_PROXIES`: addresses or networks of the load balancers in
    front of the consoles (comma-separated); their X-Forwarded-For names the client
    that login throttling counts. Empty: every peer is its own client."""
    return os.environ.get("SALESBOT_TRUSTED_PROXIES", "")


def cluster_urls() -> tuple[str, str]:
    """(application database, tracker store) of `salesbot run-cluster`, both on
    PostgreSQL: SALESBOT_CLUSTER_DATABASE_URL and SALESBOT_CLUSTER_TRACKER_URL, by
    default databases salesbot_cluster and salesbot_cluster_tracker of the local
    server (made when missing)."""
    server = "postgresql://postgres@127.0.0.1:5432"
    return (
        os.environ.get("SALESBOT_CLUSTER_DATABASE_URL", f"{server}/salesbot_cluster"),
        os.environ.get(
            "SALESBOT_CLUSTER_TRACKER_URL", f"{server}/salesbot_cluster_tracker"
        ),
    )


def tracker_cache_size() -> int:
    """`SALESBOT_TRACKER_CACHE`: how many conversations a Rasa server keeps its
    trackers of between turns (bot/runtime/tracker_cache.py); 0 reads every turn's
    tracker from the database, as Rasa does."""
    value = os.environ.get("SALESBOT_TRACKER_CACHE", "256")
    if not value.strip().isdigit():
        raise ValueError(f"SALESBOT_TRACKER_CACHE must be a number, not {value!r}")
    return int(value)
