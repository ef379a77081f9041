"""Reading what a browser sent, refusing what is malformed with a 400 in Chinese.

aiohttp raises ValueError (UnicodeDecodeError is one), AssertionError or one of its
HTTP processing errors on a multipart body without a boundary or with broken part
headers, bytes that are not UTF-8, or a truncated form; those are the
client's mistakes, not the server's, so they are a 400 and one log line.
"""

from __future__ import annotations

import datetime as dt
import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

logger = logging.getLogger(__name__)

# Dates a manager may filter by: wide enough for any shop's history, narrow enough
# that a day more or less never leaves the calendar.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
MAX_ID = 2**31 - 1


def bad_request(request: web.Request, message: str) -> web.HTTPBadRequest:
    """A 400 with a Chinese message, logged as one line (no traceback)."""
    logger.info("400 %s %s: %s", request.method, request.path, message)
    return web.HTTPBadRequest(text=message, content_type="text/plain")


async def form_of(request: web.Request) -> MultiDictProxy:
    try:
        return await request.post()
    except web.HTTPRequestEntityTooLarge:
        logger.info("413 %s %s", request.method, request.path)
        raise web.HTTPRequestEntityTooLarge(
            max_size=request.app._client_max_size,
            actual_size=request.content_length or 0,
            text="提交的内容太大",
            content_type="text/plain",
        ) from None
    except web.HTTPException:
        raise
    except (ValueError, AssertionError, LookupError, HttpProcessingError):
        raise bad_request(request, "表单格式不对，请刷新页面后重试") from None


def day_of(request: web.Request, name: str, default: dt.date) -> dt.date:
    text = request.query.get(name)
    if not text:
        return default
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise bad_request(
            request, f"日期格式应为 年-月-日，例如 2026-11-20（{name}）"
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise bad_request(
            request, f"日期应在 {FIRST_DAY} 到 {LAST_DAY} 之间（{name}={day}）"
        )
    return day


def id_of(request: web.Request, name: str) -> int | None:
    text = request.query.get(name)
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_ID:
        raise bad_request(request, f"{name} 应为数字")
    return int(text)


class OneLineBadRequests(logging.Filter):
    """aiohttp logs a request it cannot even parse (a URL over 8 KiB, a broken
    request line) with a full traceback; such a request is the client's error, so
    it becomes one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = "bad HTTP request refused: %s %s"
            record.args = (error.code, str(error.message).strip().splitlines()[0])
            record.exc_info = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True
