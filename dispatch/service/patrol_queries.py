"""Read queries on patrols: one patrol with its worker and cases, a grid leader's day
(日督导), the console's watch (who is on patrol, who has not patrolled), attendance for the
assessment, and who may see a track."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select

from dispatch.db.orm import CaseRow
from dispatch.db.patrol_store import PatrolStore
from dispatch.db.uow import UnitOfWork
from dispatch.domain.members import Member, Role, grids_cover
from dispatch.domain.patrol import Patrol, TrackPoint
from dispatch.domain.patrol_attendance import PatrolRecord, Worker, WorkerAttendance, attendance
from dispatch.domain.patrol_coverage import raster
from dispatch.service.registry import Registry


@dataclass
class PatrolView:
    patrol: Patrol
    worker: str
    cases: list[tuple[int, str, bool, float | None, float | None]] = field(default_factory=list)
    # (case id, number, on the spot, lat, lon)


async def patrol_view(uow: UnitOfWork, patrol_id: int) -> PatrolView | None:
    p = await PatrolStore(uow.session).get(patrol_id)
    if p is None:
        return None
    member = await uow.members.get(p.member_id)
    raw = p.summary.get("cases")
    ids = [int(i) for i in raw] if isinstance(raw, list) else []
    rows = []
    if ids:
        rows = [
            (int(r.id), r.number, bool(r.on_spot), r.lat, r.lon)
            for r in (await uow.session.execute(
                select(CaseRow.id, CaseRow.number, CaseRow.on_spot, CaseRow.lat, CaseRow.lon)
                .where(CaseRow.id.in_(ids)).order_by(CaseRow.id)
            )).all()
        ]
    return PatrolView(p, member.name if member else "?", rows)


async def track_of(uow: UnitOfWork, p: Patrol) -> list[TrackPoint]:
    return await PatrolStore(uow.session).track(p)


def may_see_track(viewer: Member, worker_id: int, worker_grids: Iterable[str], registry: Registry) -> bool:
    """The worker, their grid leaders, dispatchers and admins."""
    if viewer.id == worker_id or viewer.is_staff:
        return True
    if viewer.has(Role.GRID_LEADER):
        return any(grids_cover(registry.tree, viewer.grids, g) for g in worker_grids)
    return False


async def grid_workers(uow: UnitOfWork) -> list[Member]:
    return [m for m in await uow.members.all() if m.has(Role.GRID_WORKER) and m.id is not None]


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return start, start + timedelta(days=1)


@dataclass
class DayReport:
    """A grid leader's (or the centre's) day: the patrols of the workers in scope, and who had none."""

    day: date
    patrols: list[PatrolView]
    without: list[str]  # the workers in scope with no patrol that day
    workers: int


async def day_report(
    uow: UnitOfWork, registry: Registry, day: date, tz: tzinfo, grids: Iterable[str] | None = None
) -> DayReport:
    """`grids`: a grid leader's grids (workers of grids within them); None: every worker."""
    scope = list(grids) if grids is not None else None
    workers = [
        w for w in await grid_workers(uow)
        if scope is None or any(grids_cover(registry.tree, scope, g) for g in w.grids)
    ]
    start, end = day_bounds(day, tz)
    patrols = await PatrolStore(uow.session).started_between(start, end, [w.id or 0 for w in workers])
    names = {w.id: w.name for w in workers}
    views = []
    for p in patrols:
        v = await patrol_view(uow, p.id or 0)
        if v is not None:
            views.append(v)
    seen = {p.member_id for p in patrols}
    return DayReport(day, views, [names[i] for i in names if i not in seen], len(workers))


async def attendance_report(
    uow: UnitOfWork, registry: Registry, start: datetime, end: datetime, tz: tzinfo
) -> tuple[list[WorkerAttendance], dict[str, float | None]]:
    """Per grid worker and per unit grid, for [start, end) (local dates)."""
    policy = registry.policy.patrol
    workers = await grid_workers(uow)
    patrols = await PatrolStore(uow.session).started_between(start, end)
    records = []
    for p in patrols:
        if p.ended_at is None:
            continue
        raw = p.summary.get("masks")
        masks: dict[str, tuple[str, int]] = {}
        if isinstance(raw, dict):
            for g, km in raw.items():
                if isinstance(km, list) and len(km) == 2:
                    masks[str(g)] = (str(km[0]), int(str(km[1]), 16))
        records.append(PatrolRecord(p.member_id, p.started_at, p.ended_at, p.distance_m, masks))
    rasters: dict[str, tuple[str, int]] = {}
    for w in workers:
        for g in w.grids:
            if g not in rasters and g in registry.tree:
                r = raster(registry.tree.get(g).geometry)
                rasters[g] = (r.key, r.cells)
    return attendance(
        records,
        [Worker(w.id or 0, w.name, tuple(sorted(w.grids))) for w in workers],
        start.astimezone(tz).date(),
        end.astimezone(tz).date(),
        tz,
        weekly_days=policy.weekly_days,
        min_minutes=policy.min_day_minutes,
        rasters=rasters,
    )
