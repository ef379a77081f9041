"""Login, sessions, CSRF and roles for every console route.

- No session: pages redirect to /login, everything else gets a 401.
- Every POST must carry the session's CSRF token (form field `csrf` or header
  `X-CSRF-Token`); the login form uses a double-submit cookie instead.
- /manager is for managers and head office only (403 for clerks).
- Login attempts are throttled per client address (bot/db/login_throttle.py, shared
  by every console server; the address a trusted proxy reports, web/client_address.py)
  on top of the per-account lockout kept in the database.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web

from bot.db.tracker_store import TrackerUnavailable
from bot.web.inputs import form_of

logger = logging.getLogger(__name__)

SESSION_COOKIE = "salesbot_session"
LOGIN_CSRF_COOKIE = "salesbot_login_csrf"
PUBLIC = ("/login", "/static/", "/health", "/favicon.ico")
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def _public(path: str) -> bool:
    return path == "/login" or path.startswith(PUBLIC[1:])


@web.middleware
async def security(request: web.Request, handler):
    auth = request.app["auth"]
    token = request.cookies.get(SESSION_COOKIE)
    staff = await asyncio.to_thread(auth.session, token) if token else None
    request["staff"] = staff
    path = request.path
    if not _public(path):
        if staff is None:
            if request.method == "GET" and not path.startswith("/api/"):
                raise web.HTTPFound("/login")
            return web.json_response({"error": "请先登录"}, status=401)
        if path.startswith("/manager") and not staff.is_manager:
            return _refuse(request, 403, "只有店长和总部可以查看")
        if request.method == "POST" and not await _csrf_ok(request, staff.csrf_token):
            return _refuse(request, 403, "页面已过期，请刷新后再试（CSRF）")
    try:
        answer = await handler(request)
    except web.HTTPException:
        raise
    except TrackerUnavailable as error:
        logger.error("console request %s %s: %s", request.method, path, error)
        answer = _refuse(request, 503, "对话记录暂时无法读取，请稍后再试")
    except Exception:
        logger.exception("console request %s %s failed", request.method, path)
        answer = _refuse(request, 500, "系统暂时出错，请稍后再试")
    answer.headers["Content-Security-Policy"] = CSP
    answer.headers["X-Content-Type-Options"] = "nosniff"
    answer.headers["X-Frame-Options"] = "DENY"
    answer.headers["Referrer-Policy"] = "same-origin"
    answer.headers.setdefault("Cache-Control", "no-store")
    return answer


async def _csrf_ok(request: web.Request, expected: str) -> bool:
    given = request.headers.get("X-CSRF-Token")
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        given = (await form_of(request)).get("csrf")
    return isinstance(given, str) and hmac.compare_digest(
        given.encode(), expected.encode()
    )


def _refuse(request: web.Request, status: int, message: str) -> web.Response:
    if request.path.startswith("/api/") or request.method == "POST":
        return web.json_response({"error": message}, status=status)
    return web.Response(
        text=f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{message}",
        content_type="text/html",
        status=status,
    )
