"""History import through the service: imported cases are records of the past."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from dispatch.db.orm import OutboxRow
from dispatch.service.history import import_history
from dispatch.service.scheduler import Scheduler

LINES = [
    '{"case": "H1", "at": "2026-11-20T09:00:00+08:00", "action": "report", "text": "垃圾满了",'
    ' "category": "garbage", "lat": 25.838018, "lon": 115.021984}',
    '{"case": "H1", "at": "2026-11-20T09:00:00+08:00", "action": "dispatch"}',
    '{"case": "H1", "at": "2026-11-20T10:00:00+08:00", "action": "resolve"}',
    '{"case": "H2", "at": "2026-11-20T09:00:00+08:00", "action": "report", "text": "摆摊",'
    ' "category": "street_vending", "lat": 25.838018, "lon": 115.021984}',
    '{"case": "H2", "at": "2026-11-20T09:00:00+08:00", "action": "dispatch"}',
]


async def test_imported_cases_message_nobody(app: Any, clock: Any) -> None:
    result = await import_history(app.uow(), app.registry, LINES, prefix="QH", tz=app.settings.tz, now=clock.now())
    assert result.cases_created == 2
    async with app.uow() as uow:
        h1, h2 = await uow.cases.get(result.case_ids["H1"]), await uow.cases.get(result.case_ids["H2"])
    # routed by the routing rule, due by the policy's time limit
    assert h2.unit_id == "zf-chengguan" and h2.due_at is not None and h1.status.value == "resolved"
    clock.advance(days=10)  # H2 long overdue, H1 long unrated
    await Scheduler(app.sessions, lambda: app.registry, clock).tick()
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(OutboxRow)) == 0
        assert (await uow.cases.get(h1.id)).status.value == "resolved"  # no default rating of its own


def _months_of_cases(bad_months: set[int]) -> list[str]:
    """Four units each month; 交警城区中队 handles its case late in `bad_months`, the others
    in an hour."""
    import json

    lines = []
    for month in (9, 10, 11):
        for n, unit in enumerate(("hw-chengqu", "zf-chengguan", "sz-county", "jj-chengqu")):
            ref, at = f"M{month}-{unit}", f"2026-{month:02d}-05T09:0{n}:00+08:00"
            lines.append(json.dumps({"case": ref, "at": at, "action": "report", "text": "垃圾",
                                     "category": "garbage", "lat": 25.838018, "lon": 115.021984}))
            lines.append(json.dumps({"case": ref, "at": at, "action": "dispatch", "unit": unit,
                                     "due": f"2026-{month:02d}-05T13:00:00+08:00"}))
            hour = 20 if unit == "jj-chengqu" and month in bad_months else 10
            lines.append(json.dumps({"case": ref, "at": f"2026-{month:02d}-05T{hour}:0{n}:00+08:00",
                                     "action": "resolve"}))
    return lines


async def test_bottom_three_months_running_is_on_the_interview_list(app: Any, clock: Any) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dispatch.service.assessment_report import Period, build_report

    await import_history(app.uow(), app.registry, _months_of_cases({9, 10, 11}), prefix="QH",
                         tz=app.settings.tz, now=clock.now())
    dec = datetime(2026, 12, 2, tzinfo=ZoneInfo("Asia/Shanghai"))
    nov = await build_report(app.uow(), app.registry, Period.month("2026-11"), now=dec)
    assert [f.subject for f in nov.unit_bottom] == ["jj-chengqu"]
    assert nov.labels["interview"] == {"units": ["jj-chengqu"], "grids": []}
    q = await build_report(app.uow(), app.registry, Period.quarter("2026-Q4"), now=dec)
    assert q.labels["units"]["snail"] == ["jj-chengqu"] and "jj-chengqu" not in q.labels["units"]["bull"]
    year = await build_report(app.uow(), app.registry, Period.year("2026"), 4, now=dec)
    assert year.labels == {"top_ten_grids": ["G-01-01-01-04"]}


async def test_not_bottom_every_month_is_not_on_the_interview_list(app: Any, clock: Any) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dispatch.service.assessment_report import Period, build_report

    await import_history(app.uow(), app.registry, _months_of_cases({9, 11}), prefix="QH",
                         tz=app.settings.tz, now=clock.now())
    dec = datetime(2026, 12, 2, tzinfo=ZoneInfo("Asia/Shanghai"))
    nov = await build_report(app.uow(), app.registry, Period.month("2026-11"), now=dec)
    assert [f.subject for f in nov.unit_bottom] == ["jj-chengqu"]
    assert nov.labels["interview"] == {"units": [], "grids": []}


async def test_the_interview_run_and_the_ranking_sizes_are_policy(app: Any, clock: Any) -> None:
    """Bottom in October and November only: not on the 约谈 list with the default three months
    running, on it when the policy says two; the ranking and label sizes follow the policy."""
    from dataclasses import replace
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dispatch.domain.policy import parse_policy
    from dispatch.service.assessment_report import Period, build_report

    await import_history(app.uow(), app.registry, _months_of_cases({10, 11}), prefix="QH",
                         tz=app.settings.tz, now=clock.now())
    dec = datetime(2026, 12, 2, tzinfo=ZoneInfo("Asia/Shanghai"))
    nov = await build_report(app.uow(), app.registry, Period.month("2026-11"), now=dec)
    assert nov.labels["interview"] == {"units": [], "grids": []}
    assert (len(nov.unit_top), len(nov.unit_bottom)) == (3, 1)

    policy = parse_policy({"assessment": {"interview_months": 2, "ranking_size": 1, "label_size": 2}})
    app.registry = replace(app.registry, policy=policy)
    nov = await build_report(app.uow(), app.registry, Period.month("2026-11"), now=dec)
    assert nov.labels["interview"] == {"units": ["jj-chengqu"], "grids": []}
    assert [f.subject for f in nov.unit_bottom] == ["jj-chengqu"] and len(nov.unit_top) == 1
    q = await build_report(app.uow(), app.registry, Period.quarter("2026-Q4"), now=dec)
    assert len(q.labels["units"]["bull"]) == 2 and len(q.labels["units"]["snail"]) == 2
    assert q.labels["units"]["snail"][0] == "jj-chengqu"
