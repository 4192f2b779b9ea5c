"""Dashboard reads: volumes by day, category and grid for a period, live counts, and the map
layers. The assessment figures themselves come from `build_report` (the same as
`gridbot report`); nothing here recomputes a rate."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from shapely.geometry import mapping as geo_mapping
from sqlalchemy import func, select

from dispatch.db.orm import CaseRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.status import OPEN, WITH_UNIT, CaseStatus
from dispatch.service.assessment_report import Period
from dispatch.service.registry import Registry

MAP_POINTS = 3000


@dataclass
class Volumes:
    by_day: list[tuple[date, int]]
    by_category: Counter[str]
    by_grid: Counter[str]  # at the chosen level
    by_leaf: Counter[str]  # the case's own grid
    total: int


def period_days(period: Period, tz: str) -> list[date]:
    zone = ZoneInfo(tz)
    first = period.start.astimezone(zone).date()
    last = (period.end.astimezone(zone) - timedelta(seconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def volumes(uow: UnitOfWork, registry: Registry, period: Period, tz: str, level: int) -> Volumes:
    zone = ZoneInfo(tz)
    tree = registry.tree
    day: Counter[date] = Counter()
    cats: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    async with uow:
        result = await uow.session.stream(
            select(CaseRow.created_at, CaseRow.category, CaseRow.grid_id)
            .where(CaseRow.created_at >= period.start, CaseRow.created_at < period.end)
            .execution_options(yield_per=5000))
        async for created_at, category, grid_id in result:
            day[created_at.astimezone(zone).date()] += 1
            cats[category] += 1
            if grid_id is not None:
                leaves[grid_id] += 1
    grids: Counter[str] = Counter()
    for gid, n in leaves.items():
        if gid in tree:
            at = next((g for g in tree.ancestors(gid) if tree.get(g).level == level), None)
            if at is not None:
                grids[at] += n
    return Volumes([(d, day.get(d, 0)) for d in period_days(period, tz)], cats, grids, leaves,
                   sum(day.values()))


@dataclass
class Live:
    open: int
    overdue: int
    triage: int
    emergency_open: int


async def live_counts(uow: UnitOfWork, now: datetime) -> Live:
    open_states = sorted(s.value for s in OPEN)
    async with uow:
        s = uow.session

        async def count(*cond: Any) -> int:
            return int(await s.scalar(select(func.count()).select_from(CaseRow).where(*cond)) or 0)

        return Live(
            await count(CaseRow.status.in_(open_states)),
            await count(CaseRow.status.in_(sorted(x.value for x in WITH_UNIT)), CaseRow.due_at < now),
            await count(CaseRow.status.in_([CaseStatus.TRIAGE.value, CaseStatus.RETURNED.value])),
            await count(CaseRow.status.in_(open_states), CaseRow.emergency.is_(True)),
        )


# -- map --------------------------------------------------------------------------------------
_GEO_CACHE: dict[int, dict[str, Any]] = {}


def grid_features(registry: Registry) -> dict[str, Any]:
    """Every grid as GeoJSON (rounded, lightly simplified), cached per registry."""
    key = id(registry)
    cached = _GEO_CACHE.get(key)
    if cached is not None and cached.get("_registry") is registry:
        return cached
    tree = registry.tree
    features = []
    for g in sorted(tree.by_id.values(), key=lambda g: (g.level, g.id)):
        geom = shapely.set_precision(g.geometry.simplify(0.00002, preserve_topology=True), 1e-6)
        features.append({
            "type": "Feature", "geometry": geo_mapping(geom),
            "properties": {"id": g.id, "name": g.name, "level": g.level,
                           "leaf": not tree.children.get(g.id)},
        })
    doc = {"type": "FeatureCollection", "features": features, "_registry": registry}
    _GEO_CACHE.clear()
    _GEO_CACHE[key] = doc
    return doc


async def open_points(uow: UnitOfWork, now: datetime, limit: int = MAP_POINTS) -> list[list[Any]]:
    """The newest open cases with coordinates: [lat, lon, id, number, category, overdue]."""
    with_unit = {s.value for s in WITH_UNIT}
    async with uow:
        rows = (await uow.session.execute(
            select(CaseRow.id, CaseRow.number, CaseRow.category, CaseRow.status, CaseRow.due_at,
                   CaseRow.lat, CaseRow.lon)
            .where(CaseRow.status.in_(sorted(s.value for s in OPEN)), CaseRow.lat.is_not(None))
            .order_by(CaseRow.id.desc()).limit(limit))).all()
    return [[round(r.lat, 6), round(r.lon, 6), r.id, r.number, r.category,
             bool(r.due_at is not None and r.status in with_unit and r.due_at < now)] for r in rows]
