"""The managers' review console: conversation logs with filters, masked transcripts,
CSV export, flags for misunderstood turns, and the dashboard's charts."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from bot.config import business_timezone
from bot.services.conversations import Filters, NotYours, Viewer
from bot.timeutil import local_date, utcnow
from bot.web.inputs import FIRST_DAY, MAX_ID, bad_request, day_of, form_of, id_of

CHARTS = ("conversations", "recommendations", "care", "segments", "migration")
FLAGS = ("low_confidence", "fallback", "handoff")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/manager", listing)
    app.router.add_get("/manager/export.csv", export)
    app.router.add_get("/manager/conversation", conversation)
    app.router.add_post("/manager/flag", flag)
    app.router.add_get("/manager/dashboard", dashboard)
    app.router.add_get("/manager/charts/{name}.png", chart)


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
            filters=_default_filters(),
            query="",
            intents=request.app["intents"],
            stores=await _stores(request),
            error=refused.text,
        )
        answer.set_status(400)
        return answer
    rows = await asyncio.to_thread(
        request.app["conversations"].rows, viewer_of(request), filters
    )
    return render(
        request,
        "manager.html",
        rows=rows,
        filters=filters,
        query=urlencode(dict(request.query)),
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

    filters_of(request)
    return render(
        request,
        "dashboard.html",
        charts=CHARTS,
        query=urlencode(dict(request.query)),
    )


async def chart(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in CHARTS:
        raise web.HTTPNotFound()
    filters = filters_of(request)
    viewer = viewer_of(request)
    png = await asyncio.to_thread(_draw, request.app, name, viewer, filters)
    return web.Response(body=png, content_type="image/png")


def _draw(app: web.Application, name: str, viewer: Viewer, filters: Filters) -> bytes:
    services = app["services"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chart.png"
        days = (filters.end - filters.start).days + 1
        if name == "conversations":
            from bot.reports.conversations import save_conversation_charts

            save_conversation_charts(app["conversations"].rows(viewer, filters), path)
        elif name == "recommendations":
            from bot.reports.acceptance import save_acceptance_chart
            from bot.services.recommendation_report import acceptance

            save_acceptance_chart(acceptance(services.engine, days), path)
        elif name == "care":
            from bot.reports.care import save_outcomes_chart
            from bot.services.care_report import care_outcomes

            rules = services.knowledge.care
            report = care_outcomes(
                services.engine,
                rules.conversion_days,
                90,
                reply_hours=rules.reply_hours,
            )
            save_outcomes_chart(report, path)
        elif name == "segments":
            from bot.reports.conversations import save_segment_chart
            from bot.services.segmentation import distribution

            save_segment_chart(
                distribution(
                    services.engine, local_date(utcnow(), business_timezone())
                ),
                path,
            )
        else:
            from bot.reports.migration import save_migration_chart
            from bot.services.segmentation import migration, snapshot_dates

            dates = snapshot_dates(services.engine)
            segments = services.knowledge.segments
            order = [rule.key for rule in segments.rfm_segments]
            order.append(segments.prospect_segment.key)
            start, end = (
                (dates[0], dates[-1]) if dates else (filters.start, filters.end)
            )
            pairs = migration(services.engine, start, end) if dates else []
            save_migration_chart(pairs, order, start, end, path)
        return path.read_bytes()
