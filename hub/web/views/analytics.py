"""Analytics: charts over a date range from the rollup tables, and their CSV export."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from hub.keys import SETTINGS
from hub.web import analytics
from hub.web.auth import SESSION_KEY, page
from hub.web.render import SECURITY_HEADERS, render
from hub.web.state import WEB

routes = web.RouteTableDef()

MAX_DAYS = 3 * 366


def date_range(query: dict[str, str] | Any, today: date) -> tuple[analytics.DateRange, str]:
    """The range asked for in ``?from=&to=`` (default: the last 7 days) and an error, if any."""
    error = ""
    try:
        end = date.fromisoformat(query.get("to") or today.isoformat())
        start = date.fromisoformat(query.get("from") or (end - timedelta(days=6)).isoformat())
    except ValueError:
        end, start, error = today, today - timedelta(days=6), "Dates are written YYYY-MM-DD."
    if start > end:
        start, end = end, start
    if (end - start).days > MAX_DAYS:
        start, error = end - timedelta(days=MAX_DAYS), "The range is limited to three years."
    return analytics.DateRange(start, end), error


async def _charts(request: web.Request, days: analytics.DateRange) -> list[analytics.Chart]:
    state = request.app[WEB]
    k = request.app[SETTINGS].k_anonymity
    await state.analytics_current()

    def read() -> list[analytics.Chart]:
        with state.store.read() as conn:
            return [analytics.chart(conn, name, days, k) for name in analytics.CHARTS]

    return await asyncio.to_thread(read)


@routes.get("/admin/analytics")
@page
async def analytics_page(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB]
    today = state.clock().astimezone(state.tz).date()
    days, error = date_range(request.query, today)
    charts = await _charts(request, days)
    data = {c.name: {"columns": list(c.columns), "rows": [list(r) for r in c.rows]} for c in charts}
    return render(
        state.templates, "analytics.html", session=request[SESSION_KEY], active="analytics",
        title="Analytics", charts=charts, data=data, days=days, error=error,
        query=f"from={days.start.isoformat()}&to={days.end.isoformat()}",
    )


@routes.get("/admin/analytics/{name}.csv")
@page
async def analytics_csv(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB]
    name = request.match_info["name"]
    if name not in analytics.CHARTS:
        raise web.HTTPNotFound()
    days, _ = date_range(request.query, state.clock().astimezone(state.tz).date())
    k = request.app[SETTINGS].k_anonymity
    await state.analytics_current()

    def read() -> analytics.Chart:
        with state.store.read() as conn:
            return analytics.chart(conn, name, days, k)

    chart = await asyncio.to_thread(read)
    filename = f"cimaise-{name}-{days.start.isoformat()}-{days.end.isoformat()}.csv"
    response = web.Response(text=chart.csv(), content_type="text/csv", charset="utf-8")
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
