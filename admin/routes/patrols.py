"""日督导 in the console: who is on patrol now (a live map), who has not patrolled today or
this week, a day's patrols, and one patrol's track played back with the reports made on it.

Tracks are personal data: only dispatchers and admins see them here (a viewer account gets
403); in chat a worker sees their own summary and grid leaders their grids' alerts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

import texts
from admin import stats
from admin.accounts import SessionInfo
from admin.web import DISPATCHER, error_page, gb, render_page
from dispatch.db.patrol_store import PatrolStore
from dispatch.service import patrol_queries

router = APIRouter()


def _day(request: Request, today: date) -> date:
    try:
        return date.fromisoformat(request.query_params.get("day") or "")
    except ValueError:
        return today


@router.get("/patrols")
async def watch(request: Request, info: SessionInfo = DISPATCHER) -> Response:
    app = gb(request)
    tz = app.settings.tz
    now = app.clock.now()
    today = now.astimezone(tz).date()
    day = _day(request, today)
    monday = today - timedelta(days=today.weekday())
    async with app.uow() as uow:
        store = PatrolStore(uow.session)
        on_patrol = []
        for p in await store.open_patrols():
            m = await uow.members.get(p.member_id)
            on_patrol.append({"p": p, "name": m.name if m else "?", "minutes": int(p.duration_s(now) // 60)})
        chosen = await patrol_queries.day_report(uow, app.registry, day, tz)
        todays = chosen if day == today else await patrol_queries.day_report(uow, app.registry, today, tz)
        workers = await patrol_queries.grid_workers(uow)
        start, _ = patrol_queries.day_bounds(monday, tz)
        week = await store.started_between(start, now + timedelta(seconds=1))
    walked = {p.member_id for p in week}
    not_week = [w.name for w in workers if w.id not in walked]
    return await render_page(request, "patrols.html", {
        "nav": "patrols", "on_patrol": on_patrol, "report": chosen, "day": day, "today": today,
        "not_today": todays.without, "not_week": not_week, "prev": day - timedelta(days=1),
        "next": day + timedelta(days=1),
    })


@router.get("/patrols/{patrol_id}")
async def one(request: Request, patrol_id: int, info: SessionInfo = DISPATCHER) -> Response:
    app = gb(request)
    async with app.uow() as uow:
        view = await patrol_queries.patrol_view(uow, patrol_id)
    if view is None:
        return error_page(request, texts.ADMIN["patrol_missing"], 404)
    names = {g: app.registry.tree.name(g) for g in view.patrol.grids}
    return await render_page(request, "patrol.html", {"nav": "patrols", "v": view, "p": view.patrol,
                                                      "grid_names": names,
                                                      "END_REASON_ZH": texts.PATROL_END_REASON_ZH})


@router.get("/api/patrols.json")
async def map_data(request: Request, info: SessionInfo = DISPATCHER) -> Response:
    """The grids, and either one patrol's track with its reports (?patrol=ID) or every open
    patrol's last position."""
    app = gb(request)
    grids = {"type": "FeatureCollection", "features": stats.grid_features(app.registry)["features"]}
    body: dict[str, Any] = {"grids": grids, "cases": [], "tracks": [], "live": []}
    raw = request.query_params.get("patrol")
    async with app.uow() as uow:
        store = PatrolStore(uow.session)
        if raw:
            try:
                view = await patrol_queries.patrol_view(uow, int(raw))
            except ValueError:
                view = None
            if view is None:
                return JSONResponse({"error": "no such patrol"}, status_code=404)
            p = view.patrol
            track = await store.track(p)
            points = [[round(q.lat, 6), round(q.lon, 6), int((q.at - p.started_at).total_seconds())]
                      for q in track]
            body["tracks"] = [{"id": p.id, "name": view.worker, "points": points}]
            spot_zh = texts.ADMIN["patrol_on_spot"]
            body["cases"] = [[lat, lon, cid, number, spot_zh if spot else "", False]
                             for cid, number, spot, lat, lon in view.cases
                             if lat is not None and lon is not None]
        else:
            for p in await store.open_patrols():
                if p.last is not None:
                    m = await uow.members.get(p.member_id)
                    body["live"].append([p.last.lat, p.last.lon, m.name if m else "?", p.id])
    return JSONResponse(body)
