"""The consoles' aiohttp application: login, the clerk's tablet, the manager's review.

`salesbot web` serves it (and `salesbot run` starts it beside the bot). It talks to
the Rasa server from the server side, through the console channel and its secret.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path

import aiohttp
import jinja2
from aiohttp import web

from bot.conversations.tablet import TabletBound
from bot.locale.zh.intents import channel_label, intent_label
from bot.services.console_messages import ResendGuard
from bot.services.staff_auth import LoginRefused
from bot.services.tablet_conversations import TabletConversations
from bot.web import clerk, live, manager
from bot.web.client_address import client_address
from bot.web.inputs import OneLineBadRequests, form_of
from bot.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    security,
)

HERE = Path(__file__).parent


def create_app(
    services,
    auth,
    conversations,
    rasa_url: str,
    console_secret: str,
    intents: list[str],
    secure_cookies: bool = False,
    trusted_proxies: tuple = (),
) -> web.Application:
    """`trusted_proxies`: networks (web.client_address.parse_networks) whose
    X-Forwarded-For names the client."""
    app = web.Application(middlewares=[security], client_max_size=64 * 1024)
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, OneLineBadRequests) for f in server_log.filters):
        server_log.addFilter(OneLineBadRequests())
    app["services"] = services
    app["auth"] = auth
    app["conversations"] = conversations
    app["rasa_url"] = rasa_url.rstrip("/")
    app["console_secret"] = console_secret
    app["secure_cookies"] = secure_cookies
    app["intents"] = sorted(intents)
    app["throttle"] = services.login_throttle
    app["trusted_proxies"] = tuple(trusted_proxies)
    app["resend_guard"] = ResendGuard(services.engine)
    talk = services.knowledge.conversation
    app["tablets"] = TabletConversations(
        services.engine,
        TabletBound(talk.tablet_new_after_idle_minutes, talk.tablet_new_after_turns),
    )
    app["templates"] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    app["templates"].filters["intent_label"] = intent_label
    app["templates"].filters["channel_label"] = channel_label
    app.on_startup.append(_open_client)
    app.on_cleanup.append(_close_client)
    app.router.add_get("/health", health)
    app.router.add_get("/favicon.ico", no_icon)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_static("/static/", HERE / "static")
    clerk.add_routes(app)
    live.add_routes(app)
    manager.add_routes(app)
    return app


async def _open_client(app: web.Application) -> None:
    app["client"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    # the access token is shared with every other process (outbound.wechat_token)
    app["send_text"] = app["services"].send_text()


async def _close_client(app: web.Application) -> None:
    await app["client"].close()


def render(request: web.Request, template: str, **values) -> web.Response:
    page = request.app["templates"].get_template(template)
    staff = request.get("staff")
    html = page.render(staff=staff, csrf=staff.csrf_token if staff else "", **values)
    return web.Response(text=html, content_type="text/html")


async def no_icon(_: web.Request) -> web.Response:
    return web.Response(status=204)


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def login_form(request: web.Request, error: str | None = None) -> web.Response:
    # one token per browser: a second tab (or a favicon fetch) must not void the first
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    answer = render(request, "login.html", login_csrf=token, error=error)
    _cookie(request, answer, LOGIN_CSRF_COOKIE, token)
    if error:
        answer.set_status(401 if "锁定" not in error else 423)
    return answer


async def login(request: web.Request) -> web.Response:
    form = await form_of(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = str(form.get("csrf", ""))
    if not cookie or not secrets.compare_digest(cookie.encode(), given.encode()):
        return web.json_response(
            {"error": "页面已过期，请刷新后再登录（CSRF）"}, status=403
        )
    address = client_address(
        request.remote,
        request.headers.getall("X-Forwarded-For", []),
        request.app["trusted_proxies"],
    )
    bucket = f"address:{address}"
    if not await asyncio.to_thread(request.app["throttle"].allow, bucket):
        answer = await login_form(request, "尝试次数过多，请5分钟后再试")
        answer.set_status(429)
        return answer
    username = str(form.get("username", ""))[:32]
    password = str(form.get("password", ""))[:128]
    try:
        token = await asyncio.to_thread(
            request.app["auth"].login, username, password, address
        )
    except LoginRefused as refused:
        await asyncio.to_thread(request.app["throttle"].failed, bucket)
        message = (
            "账号已临时锁定，请15分钟后再试"
            if refused.reason == "locked"
            else "用户名或密码不对"
        )
        return await login_form(request, message)
    staff = await asyncio.to_thread(request.app["auth"].session, token)
    target = "/manager" if staff and staff.is_manager else "/"
    answer = web.HTTPFound(target)
    _cookie(request, answer, SESSION_COOKIE, token)
    answer.del_cookie(LOGIN_CSRF_COOKIE)
    raise answer


def _cookie(request: web.Request, answer, name: str, value: str) -> None:
    """HttpOnly, same-site only, and HTTPS-only when the console runs behind TLS."""
    answer.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Strict",
        secure=request.app["secure_cookies"],
    )


async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await asyncio.to_thread(request.app["auth"].logout, token)
    answer = web.HTTPFound("/login")
    answer.del_cookie(SESSION_COOKIE)
    raise answer
