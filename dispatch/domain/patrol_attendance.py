"""Patrol attendance (巡查出勤) for the assessment: patrol days per week against the required
number ("每周到网格开展巡查工作不少于2日"), hours, coverage; 网格出勤率 per unit grid.

Counting rules (docs/patrols.md):
- A patrol belongs to the local day it started. A day is a patrol day of a worker when their
  patrols of that day last at least `min_minutes` together.
- Each ISO week (Monday to Sunday) that touches the period requires
  round(weekly_days × d / 7) days, d = the days of that week inside the period (a full week
  requires `weekly_days`; a month's stray day requires none). A week credits
  min(patrol days, weekly_days) — a patrol in a partial week (the week in progress, a month's
  edge) counts —, and 出勤率 = min(1, credited / required) (None when nothing is required).
- 网格出勤率 of a unit grid: the same sum over the workers assigned to it.
- Coverage of a grid over the period: the union of the covered cells of every patrol in it
  (`patrol_coverage`), per worker and per grid."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from dispatch.domain.patrol_coverage import share


@dataclass(frozen=True)
class PatrolRecord:
    member_id: int
    started_at: datetime
    ended_at: datetime
    distance_m: float
    masks: Mapping[str, tuple[str, int]] = field(default_factory=dict)  # grid → (raster key, mask)

    @property
    def seconds(self) -> float:
        return max(0.0, (self.ended_at - self.started_at).total_seconds())


@dataclass(frozen=True)
class Worker:
    member_id: int
    name: str
    grids: tuple[str, ...]


@dataclass
class WorkerAttendance:
    member_id: int
    name: str
    grids: tuple[str, ...]
    patrols: int = 0
    patrol_days: int = 0
    required_days: int = 0
    credited_days: int = 0
    hours: float = 0.0
    distance_km: float = 0.0
    coverage: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return capped(self.credited_days, self.required_days)


def capped(credited: int, required: int) -> float | None:
    return None if required == 0 else min(1.0, credited / required)


def required_by_week(start: date, end: date, weekly_days: int) -> dict[date, int]:
    """Monday of each week touching [start, end) → the days it requires."""
    days: dict[date, int] = defaultdict(int)
    d = start
    while d < end:
        days[d - timedelta(days=d.weekday())] += 1
        d += timedelta(days=1)
    return {monday: math.floor(weekly_days * n / 7 + 0.5) for monday, n in days.items()}


def attendance(
    records: Iterable[PatrolRecord],
    workers: Sequence[Worker],
    start: date,
    end: date,
    tz: tzinfo,
    *,
    weekly_days: int,
    min_minutes: float,
    rasters: Mapping[str, tuple[str, int]],  # grid → (raster key, cells)
) -> tuple[list[WorkerAttendance], dict[str, float | None]]:
    """Per worker (in `workers` order) and 网格出勤率 per unit grid of the workers."""
    required = required_by_week(start, end, weekly_days)
    by_worker: dict[int, list[PatrolRecord]] = defaultdict(list)
    for r in records:
        if start <= r.started_at.astimezone(tz).date() < end:
            by_worker[r.member_id].append(r)
    out: list[WorkerAttendance] = []
    grid_credit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for w in workers:
        a = WorkerAttendance(w.member_id, w.name, w.grids)
        mine = by_worker.get(w.member_id, [])
        seconds_by_day: dict[date, float] = defaultdict(float)
        for r in mine:
            seconds_by_day[r.started_at.astimezone(tz).date()] += r.seconds
            a.hours += r.seconds / 3600
            a.distance_km += r.distance_m / 1000
        days = [d for d, s in seconds_by_day.items() if s >= min_minutes * 60]
        a.patrols, a.patrol_days = len(mine), len(days)
        per_week: dict[date, int] = defaultdict(int)
        for d in days:
            per_week[d - timedelta(days=d.weekday())] += 1
        a.required_days = sum(required.values())
        a.credited_days = sum(min(per_week.get(m, 0), weekly_days) for m in required)
        for g in w.grids:
            if g in rasters:
                key, cells = rasters[g]
                mask = 0
                for r in mine:
                    k, m = r.masks.get(g, ("", 0))
                    if k == key:
                        mask |= m
                a.coverage[g] = share(mask, cells)
            grid_credit[g][0] += a.credited_days
            grid_credit[g][1] += a.required_days
        out.append(a)
    rates = {g: capped(c, n) for g, (c, n) in grid_credit.items()}
    return out, rates
