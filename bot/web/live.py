"""Live updates for the clerk's tablet, as server-sent events (EventSource).

Each open tablet holds one stream; the server looks at its store's signature
(`LiveState`, two aggregate queries on the shared database) every
`SALESBOT_LIVE_SECONDS` (1 s) and sends `handoffs` or `tasks` when it changed, so a
handoff opened through any server reaches every tablet of the store at once, and
the tablet itself never polls. A comment line every 15 s keeps proxies from closing
an idle stream.
"""

from __future__ import annotations

import asyncio
import json
import os
import weakref

from aiohttp import web

from bot.web.security import CSP

KEEPALIVE_SECONDS = 15.0


def add_routes(app: web.Application) -> None:
    app["streams"] = weakref.WeakSet()
    app.router.add_get("/api/events", events)
    app.on_shutdown.append(_close_streams)


def _interval() -> float:
    return float(os.environ.get("SALESBOT_LIVE_SECONDS", "1.0"))


async def events(request: web.Request) -> web.StreamResponse:
    staff = request["staff"]
    scope = None if staff.head_office else staff.store_id
    if scope is None and not staff.head_office:
        return web.json_response({"error": "没有所属门店"}, status=403)
    stream = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
            "Content-Security-Policy": CSP,
        }
    )
    await stream.prepare(request)
    request.app["streams"].add(asyncio.current_task())
    live = request.app["services"].live
    last, quiet, interval = None, 0.0, _interval()
    try:
        while True:
            now = await asyncio.to_thread(live.signature, scope)
            if last is None:
                await _send(stream, "hello", now)
            else:
                for kind in ("handoffs", "tasks"):
                    if getattr(now, kind) != getattr(last, kind):
                        await _send(stream, kind, now)
                        quiet = 0.0
            last = now
            await asyncio.sleep(interval)
            quiet += interval
            if quiet >= KEEPALIVE_SECONDS:
                await stream.write(b": keepalive\n\n")
                quiet = 0.0
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return stream


async def _send(stream: web.StreamResponse, kind: str, now) -> None:
    data = {"handoffs": now.handoffs[0], "tasks": now.tasks[0]}
    await stream.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())


async def _close_streams(app: web.Application) -> None:
    for task in list(app["streams"]):
        task.cancel()
