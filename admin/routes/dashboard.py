"""The dashboard (总览), the assessment tables (考核) with exports, and the map data."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

import texts
from admin import charts, exports, stats
from admin.accounts import SessionInfo
from admin.web import VIEWER, gb, now, render_page
from dispatch.service.assessment_report import Period, build_report

router = APIRouter()
T = texts.ADMIN


def month_of(request: Request) -> str:
    app = gb(request)
    value = request.query_params.get("month", "")
    try:
        Period.month(value, app.settings.timezone)
        return value
    except ValueError:
        return now(request).astimezone(ZoneInfo(app.settings.timezone)).strftime("%Y-%m")


def level_of(request: Request, default: int = 3) -> int:
    try:
        level = int(request.query_params.get("level", default))
    except ValueError:
        return default
    return level if level in (1, 2, 3, 4) else default


def named_period(label: str, tz: str) -> Period:
    """2026-W48 (an ISO week), 2026-Q4 (a quarter) or 2026 (a year); ValueError otherwise."""
    label = label.strip().upper()
    if "-W" in label:
        return Period.week(label, tz)
    if "-Q" in label:
        return Period.quarter(label, tz)
    if label.isdigit() and len(label) == 4:
        return Period.year(label, tz)
    raise ValueError(label)


def period_of(request: Request) -> tuple[Period, str]:
    """?period= (a week, quarter or year), ?from=&to= (a date range) or ?month= (default: this
    month). A period that cannot be read falls back to the month (the page says so)."""
    tz = gb(request).settings.timezone
    named = request.query_params.get("period", "")
    if named:
        try:
            return named_period(named, tz), ""
        except ValueError:
            pass
    start, end = request.query_params.get("from", ""), request.query_params.get("to", "")
    if start and end:
        try:
            a, b = date.fromisoformat(start), date.fromisoformat(end)
            if a <= b:
                return Period.between(a, b, tz), ""
        except ValueError:
            pass
    month = month_of(request)
    return Period.month(month, tz), month


def month_choices(current: datetime, tz: str, n: int = 12) -> list[str]:
    local = current.astimezone(ZoneInfo(tz))
    y, m = local.year, local.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


async def cached_report(request: Request, period: Period, level: int) -> Any:
    """`build_report`, remembered for `report_cache_seconds` (the dashboard and the assessment
    page are read far more often than a month's figures change)."""
    app = gb(request)
    ttl: float = request.app.state.report_cache_seconds
    cache: dict[tuple[str, int, int], tuple[float, Any]] = request.app.state.report_cache
    key = (period.label, level, id(app.registry))
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < ttl:
        return hit[1]
    report = await build_report(app.uow(), app.registry, period, level, now=now(request))
    if ttl > 0:
        if len(cache) > 32:
            cache.clear()
        cache[key] = (time.monotonic(), report)
    return report


@router.get("/")
async def dashboard(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    tz = app.settings.timezone
    month = month_of(request)
    level = level_of(request)
    period = Period.month(month, tz)
    registry = app.registry
    report = await cached_report(request, period, level)
    vol = await stats.volumes(app.uow(), registry, period, tz, level)
    live = await stats.live_counts(app.uow(), now(request))
    total = report.total
    by_day = charts.columns([(f"{d.day}", f"{d:%m-%d}", n) for d, n in vol.by_day])
    start, end = period.start.date().isoformat(), vol.by_day[-1][0].isoformat() if vol.by_day else ""
    rng = {"from": start, "to": end}
    by_cat = charts.hbars([(registry.category_name(c), n, f"/cases?{_q(rng, category=c)}")
                           for c, n in vol.by_category.items()], limit=10, other="其他类别")
    by_grid = charts.hbars([(registry.tree.name(g), n, f"/cases?{_q(rng, grid=g)}")
                            for g, n in vol.by_grid.items()], limit=12, other="其他网格")
    rings = [
        charts.ring(T["kpi_on_time"], total.on_time_rate,
                    T["kpi_of"].format(n=total.on_time, d=total.to_handle)),
        charts.ring(T["kpi_rework"], total.rework_rate, T["kpi_of"].format(n=total.reworked, d=total.handled),
                    higher_is_better=False),
        charts.ring(T["kpi_satisfaction"], total.satisfaction_rate,
                    T["kpi_of"].format(n=total.satisfied, d=total.rated)),
        charts.ring(T["kpi_proactive"], total.proactive_rate,
                    T["kpi_of"].format(n=total.by_grid_workers, d=total.reported)),
    ]
    rings[3].tone = "info" if rings[3].value is not None else "none"
    return await render_page(request, "dashboard.html", {
        "nav": "dashboard", "month": month, "months": month_choices(now(request), tz), "level": level,
        "report": report, "vol": vol, "live": live, "by_day": by_day, "by_cat": by_cat,
        "by_grid": by_grid, "rings": rings, "period": period,
    })


def _q(base: dict[str, str], **extra: str) -> str:
    from urllib.parse import urlencode

    return urlencode({**base, **extra})


@router.get("/api/map.json")
async def map_data(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    tz = app.settings.timezone
    period = Period.month(month_of(request), tz)
    vol = await stats.volumes(app.uow(), app.registry, period, tz, 4)
    geo = stats.grid_features(app.registry)
    tree = app.registry.tree
    counts: dict[str, int] = {}
    for gid, n in vol.by_leaf.items():
        for anc in tree.ancestors(gid) if gid in tree else ():
            counts[anc] = counts.get(anc, 0) + n
    points = await stats.open_points(app.uow(), now(request))
    cats = {c.id: c.name_zh for c in app.registry.taxonomy.categories}
    body: dict[str, Any] = {
        "grids": {"type": "FeatureCollection", "features": [
            {**f, "properties": {**f["properties"], "count": counts.get(f["properties"]["id"], 0)}}
            for f in geo["features"]]},
        "cases": [[*p[:4], cats.get(p[4], p[4]), p[5]] for p in points],
    }
    return JSONResponse(body)


@router.get("/assessment")
async def assessment(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    period, month = period_of(request)
    level = level_of(request)
    report = await cached_report(request, period, level)
    from dispatch.service.assessment_table import COLUMNS, fmt
    from dispatch.service.patrol_report import pct

    return await render_page(request, "assessment.html", {
        "nav": "assessment", "report": report, "month": month, "level": level,
        "months": month_choices(now(request), app.settings.timezone), "columns": COLUMNS, "fmt": fmt,
        "from_": request.query_params.get("from", ""), "to_": request.query_params.get("to", ""),
        "export_qs": request.url.query, "points_rule": report.points_rule, "pct": pct,
        "period_": request.query_params.get("period", ""),
        "period_bad": bool(request.query_params.get("period")) and report.period.kind in ("month", "range"),
        "label_lines": label_lines(report.labels, app.registry),
    })


def label_lines(labels: dict[str, Any], registry: Any) -> list[tuple[str, str]]:
    """The period's labels (奔牛 / 蜗牛, 十佳网格, 约谈) as (title, names) lines."""
    def names(units: list[str], grids: list[str]) -> str:
        tree = registry.tree
        shown = [registry.unit_name(u) for u in units] + [tree.name(g) if g in tree else g for g in grids]
        return "、".join(shown) or "—"

    lines = []
    if "units" in labels:
        for key, title in (("bull", "assess_bull"), ("snail", "assess_snail")):
            lines.append((T[title], names(labels["units"][key], labels["grids"][key])))
    if "top_ten_grids" in labels:
        lines.append((T["assess_top_grids"], names([], labels["top_ten_grids"])))
    if "interview" in labels:
        interview = labels["interview"]
        lines.append((T["assess_interview"], names(interview["units"], interview["grids"])))
    return lines


@router.get("/assessment/export.csv")
async def assessment_csv(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    period, _ = period_of(request)
    report = await build_report(app.uow(), app.registry, period, level_of(request), now=now(request))
    return Response(exports.assessment_csv(report), media_type="text/csv; charset=utf-8",
                    headers=_attachment(f"assessment-{_slug(period.label)}.csv"))


@router.get("/assessment/export.xlsx")
async def assessment_xlsx(request: Request, info: SessionInfo = VIEWER) -> Response:
    app = gb(request)
    period, _ = period_of(request)
    report = await build_report(app.uow(), app.registry, period, level_of(request), now=now(request))
    return Response(exports.assessment_xlsx(report),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers=_attachment(f"assessment-{_slug(period.label)}.xlsx"))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _slug(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "-" else "_" for ch in label)
