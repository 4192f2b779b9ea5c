"""Patrol messages: the worker's summary, the grid leader's 电子围栏 alerts and morning
message — from the patrol as it is when delivered, texts from the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any

import texts
from bot.render import esc
from dispatch.domain.patrol import Patrol
from dispatch.domain.policy import PatrolPolicy
from dispatch.service.patrol_queries import DayReport
from dispatch.service.registry import Registry


def hm(dt: datetime | None, tz: tzinfo) -> str:
    return "—" if dt is None else f"{dt.astimezone(tz):%H:%M}"


def duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return texts.PATROL_DURATION_MIN.format(m=minutes)
    return texts.PATROL_DURATION.format(h=minutes // 60, m=minutes % 60)


def summary(p: Patrol, registry: Registry, tz: tzinfo, policy: PatrolPolicy) -> str:
    head = texts.PATROL_ENDED_BY.get(p.end_reason or "worker", "").format(hours=policy.rules.max_hours)
    total = p.duration_s()
    cov = p.summary.get("coverage")
    lines = [
        texts.PATROL_COVERAGE_LINE.format(grid=esc(registry.tree.name(g)), pct=share * 100)
        for g, share in (cov.items() if isinstance(cov, dict) else ())
        if share > 0
    ]
    cases = p.summary.get("cases")
    body = texts.PATROL_SUMMARY.format(
        start=hm(p.started_at, tz), end=hm(p.ended_at, tz), duration=duration(total),
        km=p.distance_m / 1000, inside=duration(p.inside_s),
        inside_pct=(100 * p.inside_s / total) if total else 0,
        coverage="\n".join(lines) or texts.PATROL_NO_COVERAGE,
        reports=len(cases) if isinstance(cases, list) else 0, on_spot=p.summary.get("on_spot", 0),
    )
    tail = "" if p.ok else "\n\n" + texts.PATROL_ASK_OK
    return f"{head}\n{body}{tail}"


def fence(payload: Mapping[str, Any], worker: str, tz: tzinfo, policy: PatrolPolicy) -> str:
    kind, alert = str(payload.get("fence")), bool(payload.get("alert"))
    template = texts.PATROL_FENCE[(kind, alert)]
    minutes = policy.rules.outside_minutes if kind == "outside" else policy.rules.stale_minutes
    since = datetime.fromisoformat(str(payload["since"]))
    now = datetime.fromisoformat(str(payload["at"]))
    return template.format(name=esc(worker), minutes=minutes, since=hm(since, tz), now=hm(now, tz))


def digest(report: DayReport, tz: tzinfo) -> str:
    lines = [texts.PATROL_DIGEST_HEADER.format(day=f"{report.day.month}月{report.day.day}日")]
    for v in report.patrols:
        p = v.patrol
        lines.append(texts.PATROL_DIGEST_LINE.format(
            name=esc(v.worker), start=hm(p.started_at, tz), end=hm(p.ended_at, tz),
            duration=duration(p.duration_s()), km=p.distance_m / 1000, reports=len(v.cases),
        ))
    if report.without:
        lines.append(texts.PATROL_DIGEST_NONE.format(names="、".join(esc(n) for n in report.without)))
    if not report.workers:
        lines.append(texts.PATROL_DIGEST_EMPTY)
    return "\n".join(lines)


def parse_day(value: object) -> date:
    return date.fromisoformat(str(value))
