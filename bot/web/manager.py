"""The managers' review console: conversation logs with filters, masked transcripts,
CSV export, flags for misunderstood turns, and the dashboard's charts."""

from __future__ import annotations

import asyncio
import datetime as dt
from urllib.parse import urlencode

from aiohttp import web

from bot.config import business_timezone
from bot.services.conversations import Filters, NotYours, Viewer
from bot.timeutil import local_date, utcnow
from bot.web.inputs import FIRST_DAY, MAX_ID, bad_request, day_of, form_of, id_of

PER_PAGE = 50
CHARTS = ("conversations", "recommendations", "care", "segments", "migration")
FLAGS = ("low_confidence", "fallback", "handoff")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/manager", listing)
    app.router.add_get("/manager/export.csv", export)
    app.router.add_get("/manager/conversation", conversation)
    app.router.add_post("/manager/flag", flag)
    app.router.add_get("/manager/dashboard", dashboard)
    app.router.add_get("/manager/charts/{name}.json", chart)


def viewer_of(request: web.Request) -> Viewer:
    staff = request["staff"]
    return Viewer(staff.staff_id, staff.username, staff.role, staff.store_id)


def filters_of(request: web.Request) -> Filters:
    """Filters from the query string; bad values are a 400, not a crash."""
    query = request.query
    today = local_date(utcnow(), business_timezone())
    end = day_of(request, "end", today)
    start = day_of(request, "start", max(end - dt.timedelta(days=6), FIRST_DAY))
    store = id_of(request, "store")
    if start > end:
        raise bad_request(request, "开始日期不能晚于结束日期")
    if (end - start).days > 92:
        raise bad_request(request, "一次最多查看93天，请缩小日期范围")
    return Filters(
        start=start,
        end=end,
        channel=query.get("channel") or None,
        store_id=store,
        staff=query.get("staff") or None,
        segment=query.get("segment") or None,
        intent=query.get("intent") or None,
        **{name: query.get(name) == "1" for name in FLAGS},
    )


async def listing(request: web.Request) -> web.Response:
    from bot.web.app import render

    try:
        filters = filters_of(request)
    except web.HTTPBadRequest as refused:
        # the page again, with the default filters and what was wrong, inline
        answer = render(
            request,
            "manager.html",
            rows=[],
            total=0,
            page=1,
            pages=1,
            filters=_default_filters(),
            query="",
            rest="",
            intents=request.app["intents"],
            stores=await _stores(request),
            error=refused.text,
        )
        answer.set_status(400)
        return answer
    number = id_of(request, "page") or 1
    found = await asyncio.to_thread(
        request.app["conversations"].page,
        viewer_of(request),
        filters,
        (number - 1) * PER_PAGE,
        PER_PAGE,
    )
    pages = max(1, -(-found.total // PER_PAGE))
    if number > pages:
        raise bad_request(request, f"没有第{number}页，共{pages}页")
    rest = {k: v for k, v in request.query.items() if k != "page"}
    return render(
        request,
        "manager.html",
        rows=found.rows,
        total=found.total,
        page=number,
        pages=pages,
        filters=filters,
        query=urlencode(dict(request.query)),
        rest=urlencode(rest),
        intents=request.app["intents"],
        stores=await _stores(request),
        error=None,
    )


async def _stores(request: web.Request) -> list[tuple[int, str]]:
    return await asyncio.to_thread(
        request.app["conversations"].stores, viewer_of(request)
    )


def _default_filters() -> Filters:
    end = local_date(utcnow(), business_timezone())
    return Filters(start=end - dt.timedelta(days=6), end=end)


async def export(request: web.Request) -> web.Response:
    text = await asyncio.to_thread(
        request.app["conversations"].csv, viewer_of(request), filters_of(request)
    )
    return web.Response(
        body=("\ufeff" + text).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="conversations.csv"'},
    )


async def conversation(request: web.Request) -> web.Response:
    from bot.web.app import render

    sender = request.query.get("id", "")
    try:
        view = await asyncio.to_thread(
            request.app["conversations"].transcript, viewer_of(request), sender
        )
    except NotYours:
        raise web.HTTPForbidden(text="这段对话属于其他门店") from None
    except LookupError:
        raise web.HTTPNotFound(text="没有这段对话") from None
    return render(
        request,
        "transcript.html",
        view=view,
        sender=sender,
        intents=request.app["intents"],
        tz=business_timezone(),
    )


async def flag(request: web.Request) -> web.Response:
    form = await form_of(request)
    sender = str(form.get("sender", ""))
    event_text = str(form.get("event_id", ""))
    if not event_text.isdigit() or int(event_text) > MAX_ID:
        raise bad_request(request, "要标记的那句话不对，请刷新页面后重试")
    event_id = int(event_text)
    try:
        await asyncio.to_thread(
            request.app["conversations"].flag,
            viewer_of(request),
            sender,
            event_id,
            str(form.get("intent", "")),
        )
    except NotYours:
        raise web.HTTPForbidden(text="这段对话属于其他门店") from None
    except (ValueError, LookupError) as error:
        raise bad_request(request, str(error)) from None
    raise web.HTTPFound("/manager/conversation?" + urlencode({"id": sender}))


async def dashboard(request: web.Request) -> web.Response:
    from bot.web.app import render

    try:
        filters = filters_of(request)
        error = None
    except web.HTTPBadRequest as refused:
        filters, error = _default_filters(), refused.text
    answer = render(
        request,
        "dashboard.html",
        charts=CHARTS,
        filters=filters,
        stores=await _stores(request),
        query=urlencode(_chart_query(filters)),
        error=error,
    )
    if error:
        answer.set_status(400)
    return answer


def _chart_query(filters: Filters) -> dict[str, str]:
    query = {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
    if filters.store_id is not None:
        query["store"] = str(filters.store_id)
    return query


async def chart(request: web.Request) -> web.Response:
    """One chart's data as JSON; the browser draws it (no drawing on the server)."""
    name = request.match_info["name"]
    if name not in CHARTS:
        raise web.HTTPNotFound(text="没有这个图表")
    filters = filters_of(request)
    data = await asyncio.to_thread(
        _figures, request.app, name, viewer_of(request), filters
    )
    return web.json_response(data, dumps=_dumps)


def _dumps(data) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


def _figures(app: web.Application, name: str, viewer: Viewer, filters: Filters):
    from bot.presenters import dashboard as charts

    services = app["services"]
    board = services.dashboard
    segments = services.knowledge.segments
    names = segments.display_names()["segment"]
    base = _chart_query(filters)
    if name == "conversations":
        data = charts.conversations_chart(board.conversations(viewer, filters))
        data["drill"] = {
            "day": _drill(base, "start", "end"),
            "intent": _drill(base, "intent"),
            "fallback": _drill(base, "start", "end", fallback="1"),
            "handoff": _drill(base, "start", "end", handoff="1"),
            "range": _drill(base, "start", "end"),
        }
        return data
    if name == "recommendations":
        return charts.recommendations_chart(board.recommendations(viewer, filters))
    if name == "care":
        return charts.care_chart(board.care(viewer, filters))
    if name == "segments":
        data = charts.segments_chart(board.segments(viewer, filters), names)
        data["drill"] = {"segment": _drill(base, "segment")}
        return data
    order = [rule.key for rule in segments.rfm_segments]
    order.append(segments.prospect_segment.key)
    return charts.migration_chart(board.migration(viewer, filters), order, names)


def _drill(base: dict[str, str], *placeholders: str, **fixed: str) -> str:
    """A link to the conversation list with these filters; `{start}`-style holes
    for the values the browser fills in from the bar that was tapped."""
    query = {k: v for k, v in base.items() if k not in placeholders}
    query.update(fixed)
    holes = "".join(f"&{k}={{{k}}}" for k in placeholders)
    return "/manager?" + urlencode(query) + holes
