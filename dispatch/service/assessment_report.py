"""Assessment for a period: read cases and events, compute the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from dispatch.db.orm import CaseEventRow, CaseRow, MemberRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain import assessment as A
from dispatch.service.registry import Registry


@dataclass
class Period:
    start: datetime
    end: datetime
    label: str

    @classmethod
    def month(cls, month: str, tz: str = "Asia/Shanghai") -> Period:
        """`2026-11` → [1 Nov 00:00, 1 Dec 00:00) local time."""
        try:
            year, mon = (int(x) for x in month.split("-"))
            first = date(year, mon, 1)
        except ValueError:
            raise ValueError(f"month must look like 2026-11, not {month!r}") from None
        nxt = date(year + (mon == 12), mon % 12 + 1, 1)
        zone = ZoneInfo(tz)
        return cls(datetime.combine(first, time(0), zone), datetime.combine(nxt, time(0), zone), month)

    @classmethod
    def between(cls, start: date, end: date, tz: str = "Asia/Shanghai") -> Period:
        zone = ZoneInfo(tz)
        return cls(
            datetime.combine(start, time(0), zone),
            datetime.combine(end + timedelta(days=1), time(0), zone),
            f"{start}~{end}",
        )


@dataclass
class Report:
    period: Period
    total: A.Figures
    units: list[A.Figures]
    grids: list[A.Figures]  # at the chosen level
    workers: list[A.WorkerPoints]
    unit_top: list[A.Figures]
    unit_bottom: list[A.Figures]
    grid_top: list[A.Figures]
    grid_bottom: list[A.Figures]


async def case_facts(uow: UnitOfWork, period: Period) -> list[A.CaseFacts]:
    """Cases reported in the period, or dispatched/resolved in it."""
    active_ids = select(CaseEventRow.case_id).where(
        CaseEventRow.at >= period.start,
        CaseEventRow.at < period.end,
        CaseEventRow.action.in_(["dispatched", "reassigned", "resolved", "resolved_on_spot"]),
    )
    rows = (
        (
            await uow.session.execute(
                select(
                    CaseRow.id,
                    CaseRow.category,
                    CaseRow.grid_id,
                    CaseRow.reporter_id,
                    CaseRow.reporter_role,
                    CaseRow.created_at,
                    CaseRow.status,
                    CaseRow.closed_at,
                    CaseRow.on_spot,
                ).where(
                    or_(
                        and_(CaseRow.created_at >= period.start, CaseRow.created_at < period.end),
                        CaseRow.id.in_(active_ids),
                    )
                )
            )
        )
        .mappings()
        .all()
    )
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    events: dict[int, list[dict[str, object]]] = {}
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk : chunk + 5000]
        ev = (
            (
                await uow.session.execute(
                    select(CaseEventRow.case_id, CaseEventRow.at, CaseEventRow.action, CaseEventRow.data)
                    .where(CaseEventRow.case_id.in_(part))
                    .order_by(CaseEventRow.case_id, CaseEventRow.id)
                )
            )
            .mappings()
            .all()
        )
        for case_id, group in A.group_events(dict(e) for e in ev).items():
            events[case_id] = group
    return [A.facts_from_events(dict(r), events.get(r["id"], []), period.end) for r in rows]


async def worker_points(uow: UnitOfWork, period: Period, facts: list[A.CaseFacts]) -> list[A.WorkerPoints]:
    members = {r.id: r for r in (await uow.session.scalars(select(MemberRow))).all()}
    points: dict[int, A.WorkerPoints] = {}

    def of(member_id: int) -> A.WorkerPoints:
        if member_id not in points:
            points[member_id] = A.WorkerPoints(
                member_id, members[member_id].name if member_id in members else str(member_id)
            )
        return points[member_id]

    for f in facts:
        if (
            f.reporter_role == "grid_worker"
            and f.reporter_id is not None
            and period.start <= f.reported_at < period.end
        ):
            w = of(f.reporter_id)
            w.reports += 1
            w.on_spot += f.on_spot
    verified = (
        await uow.session.execute(
            select(CaseEventRow.actor_id, CaseEventRow.action).where(
                CaseEventRow.at >= period.start,
                CaseEventRow.at < period.end,
                CaseEventRow.actor_role == "grid_worker",
                CaseEventRow.action.in_(["verified", "reopened", "linked_duplicate"]),
            )
        )
    ).all()
    for actor_id, action in verified:
        if actor_id is None:
            continue
        if action == "linked_duplicate":
            of(actor_id).duplicates += 1
        else:
            of(actor_id).verifications += 1
    return sorted(points.values(), key=lambda w: (-w.points, w.name))


async def build_report(uow: UnitOfWork, registry: Registry, period: Period, grid_level: int = 3) -> Report:
    async with uow:
        facts = await case_facts(uow, period)
        workers = await worker_points(uow, period, facts)
    tree = registry.tree

    def level_of(grid_id: str) -> str | None:
        if grid_id not in tree:
            return None
        for gid in tree.ancestors(grid_id):
            if tree.get(gid).level == grid_level:
                return gid
        return None

    names = {u.id: u.name for u in registry.units.values()}
    units = A.by_unit(facts, names)
    grids = A.by_grid(facts, level_of, {g.id: g.name for g in tree.by_id.values()})
    ut, ub = A.ranking(units)
    gt, gb = A.ranking(grids)
    return Report(period, A.total(facts), units, grids, workers, ut, ub, gt, gb)
