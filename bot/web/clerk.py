"""The clerk's tablet: chat with the bot, the customer card beside it, one-tap
outcomes of suggestions, and the handoff queue of her store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.channels.console import SECRET_HEADER
from bot.config import business_timezone
from bot.locale.zh.wechat import route_label, window_note
from bot.services.console_messages import ResendGuard
from bot.services.handoff import HandoffError, WindowClosed
from bot.timeutil import utcnow
from bot.web.inputs import MAX_ID, bad_request

MAX_MESSAGE = 500


STATIC = Path(__file__).parent / "static"


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", page)
    app.router.add_get("/sw.js", service_worker)
    app.router.add_post("/api/say", say)
    app.router.add_get("/api/panel", panel)
    app.router.add_post("/api/outcome", outcome)
    app.router.add_post("/api/new-customer", new_customer)
    app.router.add_get("/api/handoffs", handoffs)
    app.router.add_get("/api/handoffs/{id:\\d+}", handoff_thread)
    app.router.add_post("/api/handoffs/{id:\\d+}/reply", handoff_reply)
    app.router.add_post("/api/handoffs/{id:\\d+}/close", handoff_close)
    app.router.add_get("/api/tasks", tasks)
    app.router.add_get("/api/worklist", worklist)
    app.router.add_post("/api/worklist/mark", mark_worklist)
    app.router.add_post("/api/tasks/{id:\\d+}/{outcome:done|skip}", finish_task)


async def service_worker(request: web.Request) -> web.Response:
    """Served from the root so it may keep the workbench page (its scope is /)."""
    return web.FileResponse(
        STATIC / "sw.js",
        headers={"Content-Type": "text/javascript", "Cache-Control": "no-cache"},
    )


async def page(request: web.Request) -> web.Response:
    from bot.web.app import render

    return render(request, "clerk.html")


async def _json(request: web.Request) -> dict:
    try:
        body = await request.json()
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise bad_request(request, "请求内容不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise bad_request(request, "请求内容应为 JSON 对象")
    return body


async def say(request: web.Request) -> web.Response:
    """Her message to the assistant. With a `client_id` (the tablet's own id for
    the message) a repeat is answered from the first answer, never passed on twice."""
    staff = request["staff"]
    body = await _json(request)
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        return web.json_response({"error": "请输入内容"}, status=400)
    client_id = body.get("client_id")
    if client_id is not None and not ResendGuard.valid(client_id):
        return web.json_response({"error": "消息编号不对，请刷新页面"}, status=400)
    guard = request.app["resend_guard"]
    if client_id is not None:
        arrival = await asyncio.to_thread(guard.arrive, staff.staff_id, client_id)
        if not arrival.first:
            if arrival.answer is None:
                return web.json_response({"error": "这条消息正在处理"}, status=409)
            return web.json_response({**arrival.answer, "repeat": True})
    moved = await asyncio.to_thread(request.app["tablets"].for_message, staff, message)
    answer = await _ask_assistant(request, moved, message)
    if answer is not None and moved is not staff:
        answer["new_conversation"] = True  # the tablet clears the last customer's
    if client_id is not None:
        if answer is None:
            await asyncio.to_thread(guard.failed, staff.staff_id, client_id)
        else:
            await asyncio.to_thread(guard.answered, staff.staff_id, client_id, answer)
    if answer is None:
        return web.json_response({"error": "机器人暂时不可用"}, status=502)
    return web.json_response(answer)


async def _ask_assistant(request: web.Request, staff, message: str) -> dict | None:
    """The assistant's replies and choices; None when it did not answer."""
    payload = {
        "sender": staff.sender_id,
        "message": message.strip()[:MAX_MESSAGE],
        "metadata": {
            "staff": {
                "username": staff.username,
                "id": staff.staff_id,
                "store_id": staff.store_id,
            }
        },
    }
    app = request.app
    try:
        async with app["client"].post(
            f"{app['rasa_url']}/webhooks/console/webhook",
            json=payload,
            headers={SECRET_HEADER: app["console_secret"]},
        ) as answer:
            if answer.status != 200:
                return None
            replies = await answer.json()
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return None
    replies = [r for r in replies if isinstance(r, dict)]
    texts = [r.get("text", "") for r in replies]
    choices = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for r in replies
        for b in r.get("buttons") or []
        if isinstance(b, dict)
    ]
    return {"replies": [t for t in texts if t], "choices": choices}


async def _customer(request: web.Request) -> int | None:
    tracker = request.app["conversations"].tracker
    return await asyncio.to_thread(
        tracker.customer_in_context, request["staff"].sender_id
    )


async def panel(request: web.Request) -> web.Response:
    from bot.services.console import panel as build_panel

    customer_id = await _customer(request)
    if customer_id is None:
        return web.json_response({"customer": None})
    staff = request["staff"]
    data = await asyncio.to_thread(
        build_panel, request.app["services"], customer_id, staff.actor()
    )
    return web.json_response({"customer": data})


async def outcome(request: web.Request) -> web.Response:
    body = await _json(request)
    suggestion, result = body.get("id"), body.get("outcome")
    if not isinstance(suggestion, int) or result not in ("bought", "declined"):
        return web.json_response({"error": "缺少推荐编号或结果"}, status=400)
    customer_id = await _customer(request)
    if customer_id is None:
        return web.json_response({"error": "没有当前顾客"}, status=409)
    done = await asyncio.to_thread(
        request.app["services"].recommendations.mark,
        customer_id,
        suggestion,
        result,
        request["staff"].actor(),
    )
    if not done:
        return web.json_response({"error": "这条推荐不属于当前顾客"}, status=409)
    return web.json_response({"ok": True})


async def new_customer(request: web.Request) -> web.Response:
    await asyncio.to_thread(request.app["auth"].new_conversation, request["staff"])
    return web.json_response({"ok": True})


def _scope(request: web.Request) -> int | None:
    staff = request["staff"]
    return None if staff.head_office else staff.store_id


async def _queue(request: web.Request):
    staff = request["staff"]
    if staff.store_id is None and not staff.head_office:
        return []
    return await asyncio.to_thread(
        request.app["services"].handoff.queue, _scope(request)
    )


async def handoffs(request: web.Request) -> web.Response:
    entries = await _queue(request)
    now = utcnow()
    return web.json_response(
        [
            {
                "id": e.id,
                "customer": e.customer,
                "channel": e.channel,
                "since": e.waiting_since.isoformat(),
                "reason": e.reason,
                "window": _window(e, now) if e.channel == "wechat" else None,
            }
            for e in entries
        ]
    )


def _window(entry, now) -> dict:
    """Whether WeChat still takes a reply to her, and for how long."""
    window = entry.window
    return {
        "open": bool(window and window.left(now) > 0),
        "left": window.left(now) if window else 0,
        "closes_at": window.closes_at.isoformat() + "Z" if window else None,
        "note": window_note(window, now, business_timezone()),
    }


async def _own_handoff(request: web.Request) -> int:
    handoff_id = int(request.match_info["id"])
    if handoff_id not in {e.id for e in await _queue(request)}:
        raise web.HTTPNotFound(text="本店没有这位等待人工的顾客")
    return handoff_id


async def handoff_thread(request: web.Request) -> web.Response:
    handoff_id = await _own_handoff(request)
    thread = await asyncio.to_thread(request.app["services"].handoff.thread, handoff_id)
    return web.json_response(
        [{"author": m.author, "body": m.body, "delivery": m.delivery} for m in thread]
    )


async def handoff_reply(request: web.Request) -> web.Response:
    handoff_id = await _own_handoff(request)
    body = await _json(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return web.json_response({"error": "请输入回复"}, status=400)
    try:
        await asyncio.to_thread(
            request.app["services"].handoff.reply,
            handoff_id,
            request["staff"].username,
            text,
            request.app["send_text"],
        )
    except WindowClosed as closed:
        note = window_note(closed.window, utcnow(), business_timezone())
        return web.json_response({"error": note, "window_closed": True}, status=409)
    except HandoffError as error:
        return web.json_response({"error": str(error)}, status=502)
    return web.json_response({"ok": True})


async def handoff_close(request: web.Request) -> web.Response:
    handoff_id = await _own_handoff(request)
    await asyncio.to_thread(
        request.app["services"].handoff.close, handoff_id, request["staff"].username
    )
    return web.json_response({"ok": True})


async def tasks(request: web.Request) -> web.Response:
    """Messages her store's clerks are to send themselves, with the text."""
    staff = request["staff"]
    if staff.store_id is None and not staff.head_office:
        return web.json_response([])
    found = await asyncio.to_thread(
        request.app["services"].care.store_tasks, _scope(request), staff.actor()
    )
    return web.json_response(
        [
            {
                "id": task.id,
                "customer": task.customer,
                "member_no": task.member_no,
                "label": task.label,
                "body": task.body,
                "why": route_label(task.route, task.reason),
            }
            for task in found
        ]
    )


async def finish_task(request: web.Request) -> web.Response:
    from bot.services.care_desk import TaskError

    staff = request["staff"]
    if staff.store_id is None and not staff.head_office:
        raise web.HTTPNotFound(text="本店没有这条任务")
    task_id = int(request.match_info["id"])
    if task_id > MAX_ID:
        raise web.HTTPNotFound(text="本店没有这条任务")
    try:
        await asyncio.to_thread(
            request.app["services"].care.finish_task,
            task_id,
            _scope(request),
            staff.actor(),
            request.match_info["outcome"] == "done",
        )
    except TaskError:
        raise web.HTTPNotFound(text="本店没有这条任务") from None
    return web.json_response({"ok": True})


def _own_store(request: web.Request):
    staff = request["staff"]
    if staff.store_id is None or staff.staff_id is None:
        raise web.HTTPForbidden(text="工作清单属于门店店员")
    return staff


async def worklist(request: web.Request) -> web.Response:
    """Her follow-ups of today, a page at a time, and lapsed customers."""
    staff = _own_store(request)
    page = request.query.get("page", "1")
    if not page.isdigit() or int(page) > MAX_ID:
        raise bad_request(request, "页码应为数字")
    found = await asyncio.to_thread(
        request.app["services"].worklist.worklist,
        staff.staff_id,
        staff.store_id,
        staff.actor(),
        int(page),
    )
    stages = request.app["services"].knowledge.segments.lifecycle.names
    return web.json_response(
        {
            "page": found.page,
            "pages": found.pages,
            "total": found.total,
            "items": [
                {
                    "id": i.id,
                    "customer_id": i.customer_id,
                    "customer": i.customer,
                    "member_no": i.member_no,
                    "label": i.label,
                    "due": i.due.isoformat(),
                    "body": i.body,
                    "clerk_sends": i.route == "associate" or i.status == "task",
                }
                for i in found.items
            ],
            "keep_in_touch": [
                {
                    "customer_id": c.customer_id,
                    "customer": c.customer,
                    "member_no": c.member_no,
                    "stage": stages.get(c.lifecycle, c.lifecycle),
                    "days": c.days_since_purchase,
                    "as_of": c.as_of.isoformat(),
                    "last_contact": c.last_contact.isoformat()
                    if c.last_contact
                    else None,
                }
                for c in found.keep_in_touch
            ],
        }
    )


async def mark_worklist(request: web.Request) -> web.Response:
    from bot.services.worklist import ACTIONS, WorklistError

    staff = _own_store(request)
    body = await _json(request)
    customer_id, outbox_id = body.get("customer_id"), body.get("outbox_id")
    action = body.get("action")
    if (
        not isinstance(customer_id, int)
        or not 0 < customer_id <= MAX_ID
        or not (
            outbox_id is None
            or (isinstance(outbox_id, int) and 0 < outbox_id <= MAX_ID)
        )
        or action not in ACTIONS
    ):
        return web.json_response({"error": "缺少顾客、事项或操作"}, status=400)
    try:
        await asyncio.to_thread(
            request.app["services"].worklist.mark,
            staff.staff_id,
            staff.store_id,
            staff.actor(),
            customer_id,
            action,
            outbox_id,
        )
    except WorklistError:
        raise web.HTTPNotFound(text="本店没有这条跟进") from None
    return web.json_response({"ok": True})
