"""Patrol attendance (巡查出勤) in the assessment report: the `patrols` key of
`gridbot report --json`, its text section, and the console's 考核 page table.

The period is counted up to the day the report is made (a month in progress requires the
days of its weeks so far, not the weeks still to come)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Any, TextIO

import texts
from dispatch.db.uow import UnitOfWork
from dispatch.domain.patrol_attendance import capped
from dispatch.service.patrol_queries import attendance_report
from dispatch.service.registry import Registry


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


async def patrol_figures(
    uow: UnitOfWork, registry: Registry, start: datetime, end: datetime, as_of: datetime,
    refs: dict[int, str],
) -> dict[str, Any]:
    """{"weekly_days", "workers": [...], "grids": [...], "total": {...}} for [start, end)."""
    tz = start.tzinfo
    assert tz is not None
    local = as_of.astimezone(tz)
    upto = datetime(local.year, local.month, local.day, tzinfo=tz) + timedelta(days=1)
    stop = min(end, max(start, upto))
    async with uow:
        rows, grid_rates = await attendance_report(uow, registry, start, stop, tz)
    workers = [
        {
            "id": refs.get(a.member_id, str(a.member_id)), "name": a.name, "grids": list(a.grids),
            "patrols": a.patrols, "patrol_days": a.patrol_days, "required_days": a.required_days,
            "credited_days": a.credited_days, "attendance_rate": _r(a.rate), "hours": round(a.hours, 2),
            "distance_km": round(a.distance_km, 2),
            "coverage": {g: _r(s) for g, s in sorted(a.coverage.items())},
        }
        for a in rows
    ]
    required = sum(a.required_days for a in rows)
    credited = sum(a.credited_days for a in rows)
    return {
        "weekly_days": registry.policy.patrol.weekly_days,
        "counted_until": stop.isoformat(),
        "workers": workers,
        "grids": [
            {"id": g, "name": registry.tree.name(g), "attendance_rate": _r(rate)}
            for g, rate in sorted(grid_rates.items())
        ],
        "total": {
            "patrols": sum(a.patrols for a in rows), "hours": round(sum(a.hours for a in rows), 2),
            "required_days": required, "credited_days": credited,
            "attendance_rate": _r(capped(credited, required)),
        },
    }


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def print_patrols(figures: dict[str, Any], out: TextIO = sys.stdout) -> None:
    if not figures:
        return
    out.write(f"\n{texts.ASSESS_PATROL_TITLE.format(n=figures['weekly_days'])}\n")
    total = figures["total"]
    out.write(texts.ASSESS_PATROL_TOTAL.format(rate=pct(total["attendance_rate"]), **{
        k: total[k] for k in ("patrols", "hours", "credited_days", "required_days")}) + "\n")
    for w in figures["workers"]:
        cov = [c for c in w["coverage"].values() if c is not None]
        out.write(texts.ASSESS_PATROL_LINE.format(
            name=w["name"], days=w["patrol_days"], credited=w["credited_days"], required=w["required_days"],
            rate=pct(w["attendance_rate"]), hours=w["hours"], km=w["distance_km"],
            coverage=pct(sum(cov) / len(cov) if cov else None),
        ) + "\n")
