"""Assessment for a period: read cases and their events, compute the tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from dispatch.db.orm import CaseEventRow, CaseRow, MemberRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain import assessment as A
from dispatch.domain.offsite import OffsiteRule
from dispatch.domain.offsite import rate as offsite_rate
from dispatch.domain.policy import AssessmentPolicy
from dispatch.service.hotline_check import offsite_check
from dispatch.service.patrol_report import patrol_figures
from dispatch.service.registry import Registry


def _at(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


@dataclass
class Period:
    """[start, end) in China time (the configured zone), with its label."""

    start: datetime
    end: datetime
    label: str
    kind: str = "range"  # week / month / quarter / year / range

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
        return cls(_at(first, zone), _at(nxt, zone), f"{year:04d}-{mon:02d}", "month")

    @classmethod
    def week(cls, week: str, tz: str = "Asia/Shanghai") -> Period:
        """ISO week `2026-W48` → [Monday 00:00, next Monday 00:00)."""
        try:
            year, w = week.upper().split("-W")
            monday = date.fromisocalendar(int(year), int(w), 1)
        except ValueError:
            raise ValueError(f"week must look like 2026-W48, not {week!r}") from None
        zone = ZoneInfo(tz)
        return cls(
            _at(monday, zone), _at(monday + timedelta(days=7), zone), f"{int(year):04d}-W{int(w):02d}", "week"
        )

    @classmethod
    def quarter(cls, quarter: str, tz: str = "Asia/Shanghai") -> Period:
        """`2026-Q4` → [1 Oct, 1 Jan)."""
        try:
            year, q = quarter.upper().split("-Q")
            y, n = int(year), int(q)
            if not 1 <= n <= 4:
                raise ValueError
        except ValueError:
            raise ValueError(f"quarter must look like 2026-Q4, not {quarter!r}") from None
        zone = ZoneInfo(tz)
        first = date(y, 3 * n - 2, 1)
        nxt = date(y + 1, 1, 1) if n == 4 else date(y, 3 * n + 1, 1)
        return cls(_at(first, zone), _at(nxt, zone), f"{y:04d}-Q{n}", "quarter")

    @classmethod
    def year(cls, year: str, tz: str = "Asia/Shanghai") -> Period:
        try:
            y = int(year)
            first = date(y, 1, 1)
        except ValueError:
            raise ValueError(f"year must look like 2026, not {year!r}") from None
        zone = ZoneInfo(tz)
        return cls(_at(first, zone), _at(date(y + 1, 1, 1), zone), f"{y:04d}", "year")

    @classmethod
    def between(cls, start: date, end: date, tz: str = "Asia/Shanghai") -> Period:
        zone = ZoneInfo(tz)
        return cls(_at(start, zone), _at(end + timedelta(days=1), zone), f"{start}~{end}")


@dataclass
class Report:
    period: Period
    as_of: datetime
    total: A.Figures
    units: list[A.Figures]
    grids: list[A.Figures]  # at the chosen level
    workers: list[A.WorkerPoints]
    unit_top: list[A.Figures]
    unit_bottom: list[A.Figures]
    grid_top: list[A.Figures]
    grid_bottom: list[A.Figures]
    all_grids: list[A.Figures]  # every level
    points_rule: dict[str, int] = field(default_factory=lambda: dict(A.POINTS))
    labels: dict[str, Any] = field(default_factory=dict)
    # 非现场检查: hotline orders of the period and those no grid worker had found first, per
    # grid (every level) and per grid worker: {"total": {...}, "grids": {id: {...}}, "workers": {ref: {...}}}
    offsite: dict[str, Any] = field(default_factory=dict)
    patrols: dict[str, Any] = field(default_factory=dict)  # 巡查出勤 (patrol_report.py)

    def as_json(self) -> dict[str, Any]:
        """The `gridbot report --json` object (docs/assessment.md)."""
        return {
            "period": self.period.label,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "total": self.total.as_json(),
            "units": [f.as_json() for f in self.units],
            "grids": [{**f.as_json(), **self._offsite("grids", f.subject)} for f in self.all_grids],
            "workers": [{**w.as_json(), **self._offsite("workers", w.ref or str(w.member_id))}
                        for w in self.workers],
            "offsite": self.offsite.get("total", _NO_ORDERS),
            "patrols": self.patrols,
            "ranking": {
                "units": _ids(self.unit_top, self.unit_bottom),
                "grids": _ids(self.grid_top, self.grid_bottom),
            },
            "labels": self.labels,
        }


    def _offsite(self, table: str, key: str) -> dict[str, Any]:
        return dict(self.offsite.get(table, {}).get(key, _NO_ORDERS))


_NO_ORDERS: dict[str, Any] = {"hotline_orders": 0, "not_found_first": 0, "not_found_rate": None}


def _offsite_figures(check: dict[str, Any], tree: Any) -> dict[str, Any]:
    """The 非现场检查 of the period by grid at every level (a unit grid's orders count for its
    ancestors too) and by grid worker."""
    per_grid: dict[str, list[int]] = {}
    for order in check["orders"]:
        grid = order["grid_id"]
        if grid is None:
            continue
        for g in tree.ancestors(grid) if grid in tree else (grid,):
            counts = per_grid.setdefault(g, [0, 0])
            counts[0] += 1
            counts[1] += 0 if order["found_first"] else 1
    grids = {g: {"hotline_orders": n, "not_found_first": m, "not_found_rate": offsite_rate(m, n)}
             for g, (n, m) in per_grid.items()}
    workers = {w["id"]: {k: w[k] for k in ("hotline_orders", "not_found_first", "not_found_rate")}
               for w in check["workers"]}
    return {"total": check["total"], "grids": grids, "workers": workers}


def _ids(top: list[A.Figures], bottom: list[A.Figures]) -> dict[str, list[str]]:
    return {"top": [f.subject for f in top], "bottom": [f.subject for f in bottom]}


async def case_logs(uow: UnitOfWork, window: A.Window) -> list[A.CaseLog]:
    """Every case that can count in the window: reported by as_of, and not resolved for
    good before the period began (backlog is carried), or with an event in the period."""
    active_ids = select(CaseEventRow.case_id).where(
        CaseEventRow.at >= window.start, CaseEventRow.at < window.end, CaseEventRow.at <= window.as_of
    )
    rows = (
        await uow.session.execute(
            select(
                CaseRow.id, CaseRow.grid_id, CaseRow.reporter_id, CaseRow.reporter_role, CaseRow.created_at
            ).where(
                CaseRow.created_at < window.end,
                CaseRow.created_at <= window.as_of,
                or_(
                    CaseRow.resolved_at.is_(None),
                    CaseRow.resolved_at >= window.start,
                    CaseRow.id.in_(active_ids),
                ),
            )
        )
    ).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    events: dict[int, list[A.LogEvent]] = {}
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk : chunk + 5000]
        found = (
            await uow.session.execute(
                select(
                    CaseEventRow.case_id, CaseEventRow.at, CaseEventRow.action, CaseEventRow.actor_id,
                    CaseEventRow.actor_role, CaseEventRow.new_status, CaseEventRow.data,
                )
                .where(
                    CaseEventRow.case_id.in_(part),
                    CaseEventRow.at < window.end,
                    CaseEventRow.at <= window.as_of,
                )
                .order_by(CaseEventRow.case_id, CaseEventRow.at, CaseEventRow.id)
            )
        ).all()
        for e in found:
            events.setdefault(e.case_id, []).append(
                A.LogEvent(e.action, _aware(e.at), e.actor_id, e.actor_role, e.new_status, e.data or {})
            )
    return [
        A.CaseLog(
            r.id, r.grid_id, r.reporter_id, r.reporter_role, _aware(r.created_at), tuple(events.get(r.id, ()))
        )
        for r in rows
    ]


def _aware(at: datetime) -> datetime:
    """SQLite gives naive UTC datetimes back."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def build_report(
    uow: UnitOfWork,
    registry: Registry,
    period: Period,
    grid_level: int = 3,
    now: datetime | None = None,
    interview: bool = True,
) -> Report:
    """The assessment of `period` as of now (or `now`), with the policy's points and weights."""
    window = A.Window.of(period.start, period.end, now or datetime.now(UTC))
    settings = registry.policy.assessment
    rules = {**A.POINTS, **settings.points}
    async with uow:
        logs = await case_logs(uow, window)
        members = {
            r.id: (r.ref, r.name)
            for r in (await uow.session.execute(select(MemberRow.id, MemberRow.ref, MemberRow.name))).all()
        }
    views = [A.view(c, window) for c in logs]
    workers_by_id, per_case = A.worker_points(views, rules)
    for mid, w in workers_by_id.items():
        w.ref, w.name = members.get(mid, (str(mid), str(mid)))
    workers = sorted(workers_by_id.values(), key=lambda w: (-w.points, w.ref))
    tree = registry.tree
    grid_ids = {v.grid_id for v in views if v.grid_id is not None}
    ancestors = {g: tree.ancestors(g) if g in tree else (g,) for g in grid_ids}
    names = {u.id: u.name for u in registry.units.values()}
    units = A.by_unit(views, names, settings.unit_weights)
    all_grids = A.by_grid(
        views, ancestors, {g.id: g.name for g in tree.by_id.values()}, settings.grid_weights, points=per_case
    )
    grids = [f for f in all_grids if f.subject in tree and tree.get(f.subject).level == grid_level]
    ut, ub = A.ranking(units, settings.ranking_size)
    gt, gb = A.ranking(grids, settings.ranking_size)
    as_of = window.as_of.astimezone(period.start.tzinfo)
    total = A.total(views, settings.grid_weights)
    report = Report(period, as_of, total, units, grids, workers, ut, ub, gt, gb, all_grids, rules)
    report.labels = _labels(report, settings)
    check = await offsite_check(lambda: uow, registry, period.start, window.as_of, OffsiteRule(),
                                period.start.tzinfo)  # type: ignore[arg-type]
    report.offsite = _offsite_figures(check, tree)
    listed = {w.ref for w in workers}
    for w in check["workers"]:  # grid workers with hotline orders in their grids and no points
        if w["id"] not in listed:
            workers.append(A.WorkerPoints(member_id=0, name=w["name"], ref=w["id"], rules=rules))
    report.patrols = await patrol_figures(uow, registry, period.start, period.end, window.as_of,
                                          {mid: ref for mid, (ref, _) in members.items()})
    if period.kind == "month" and interview:
        report.labels["interview"] = await _interview(uow, registry, period, grid_level, window.as_of, report)
    return report


def _labels(report: Report, settings: AssessmentPolicy) -> dict[str, Any]:
    """Quarterly 奔牛 (top) / 蜗牛 (bottom) units and grids; the yearly 十佳网格."""
    kind = report.period.kind
    if kind == "quarter":
        units = _ids(*A.ranking(report.units, settings.label_size))
        grids = _ids(*A.ranking(report.grids, settings.label_size))
        return {
            "units": {"bull": units["top"], "snail": units["bottom"]},
            "grids": {"bull": grids["top"], "snail": grids["bottom"]},
        }
    if kind == "year":
        best, _ = A.ranking(report.grids, settings.top_grids)
        return {"top_ten_grids": [f.subject for f in best]}
    return {}


async def _interview(
    uow: UnitOfWork, registry: Registry, period: Period, level: int, now: datetime, report: Report
) -> dict[str, list[str]]:
    """约谈: units and grids in the bottom of this month and the months before it, for the
    policy's `interview_months` months running."""
    units = {f.subject for f in report.unit_bottom}
    grids = {f.subject for f in report.grid_bottom}
    first = period.start.date()
    tz = period.start.tzinfo
    for _ in range(registry.policy.assessment.interview_months - 1):
        if not (units or grids):
            break
        first = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
        earlier = await build_report(
            uow, registry, Period.month(f"{first:%Y-%m}", str(tz)), level, now=now, interview=False
        )
        units &= {f.subject for f in earlier.unit_bottom}
        grids &= {f.subject for f in earlier.grid_bottom}
    return {"units": sorted(units), "grids": sorted(grids)}
