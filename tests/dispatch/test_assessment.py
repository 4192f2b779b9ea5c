"""Assessment figures from the event log, on a scripted month."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.domain.case import Rating
from dispatch.service.assessment_report import Period, build_report
from dispatch.service.cases import ReportDraft
from tests.conftest import tg_actor, tg_member
from tests.dispatch.test_case_flow import MARKET, RESIDENT, WORKER, unit_member


@pytest.fixture
async def month(app: Any, clock: Any) -> Any:
    svc = app.service
    zf = await unit_member(app, "zf-chengguan")
    hw = await unit_member(app, "hw-chengqu")
    # A: 占道经营, handled in 1 h of its 2 h, rated satisfied, verified → closed
    a = await svc.submit_report(
        ReportDraft(
            text="有人摆摊", reporter_id=await tg_member(app, RESIDENT), category="street_vending", lat=MARKET[0], lon=MARKET[1]
        )
    )
    await svc.accept(a.id, await tg_actor(app, zf, "unit_member"))
    clock.advance(hours=1)
    await svc.resolve(a.id, await tg_actor(app, zf, "unit_member"), "已劝离", ["p"])
    await svc.rate(a.id, await tg_actor(app, RESIDENT, "resident"), Rating.SATISFIED)
    await svc.verify(a.id, await tg_actor(app, WORKER, "grid_worker"), True)
    # B: 垃圾, resolved after 5 h of its 4 h, resident unhappy → 返工, then left open past its deadline
    b = await svc.submit_report(
        ReportDraft(text="垃圾满了", reporter_id=await tg_member(app, RESIDENT), category="garbage", lat=MARKET[0], lon=MARKET[1])
    )
    await svc.accept(b.id, await tg_actor(app, hw, "unit_member"))
    clock.advance(hours=5)
    await svc.resolve(b.id, await tg_actor(app, hw, "unit_member"), "已清运", ["p"])
    await svc.rate(b.id, await tg_actor(app, RESIDENT, "resident"), Rating.UNSATISFIED)
    # C: a grid worker's on-the-spot case
    await svc.submit_report(
        ReportDraft(
            text="楼道杂物已清",
            reporter_id=await tg_member(app, WORKER),
            category="clutter",
            lat=MARKET[0],
            lon=MARKET[1],
            on_spot=True,
        )
    )
    # D: wrongly sent to 执法, returned, re-dispatched to 环卫 by a dispatcher
    d = await svc.submit_report(
        ReportDraft(text="垃圾堆", reporter_id=await tg_member(app, RESIDENT), category="clutter", lat=MARKET[0], lon=MARKET[1])
    )
    await svc.return_case(d.id, await tg_actor(app, zf, "unit_member"), "是垃圾不是杂物")
    await svc.reassign(d.id, await tg_actor(app, 400001, "dispatcher"), "hw-chengqu", category="garbage")
    clock.advance(days=2)
    return await build_report(app.uow(), app.registry, Period.month("2026-11"), grid_level=3)


async def test_figures(month: Any) -> None:
    total = month.total
    assert total.reported == 4
    assert total.proactive_rate == pytest.approx(1 / 4)
    assert total.to_handle == 4 and total.handled == 3  # A, B (first round), C
    assert total.on_time == 2  # A and C; B was late
    assert total.overdue_open == 2  # B after rework and D, both past their deadlines at month end
    assert total.rework_rate == pytest.approx(1 / 3)
    assert total.satisfaction_rate == pytest.approx(1 / 2)  # A satisfied, B unsatisfied
    assert total.accurate_dispatch_rate == pytest.approx(3 / 4)  # A, B, D→环卫 right; D→执法 returned


async def test_units_and_ranking(month: Any) -> None:
    units = {f.subject: f for f in month.units}
    zf, hw = units["zf-chengguan"], units["hw-chengqu"]
    assert (zf.dispatched, zf.returned, zf.to_handle, zf.handled) == (2, 1, 1, 1)
    assert zf.on_time_rate == 1.0 and zf.accurate_dispatch_rate == 0.5
    assert (hw.to_handle, hw.handled, hw.overdue_open) == (2, 1, 2)
    assert hw.rework_rate == 1.0 and hw.mean_handling_hours == pytest.approx(5.0)
    assert zf.score is not None and hw.score is not None and zf.score > hw.score
    assert month.unit_top[0].subject == "zf-chengguan"
    grids = {f.subject: f for f in month.grids}
    assert set(grids) == {"G-01-01-01"} and grids["G-01-01-01"].reported == 4


async def test_worker_points(month: Any) -> None:
    (w,) = month.workers
    assert (w.reports, w.on_spot, w.verifications) == (1, 1, 1)
    assert w.points == 1 + 2 + 1


async def test_empty_period_has_no_made_up_rates(app: Any) -> None:
    r = await build_report(app.uow(), app.registry, Period.month("2026-10"))
    assert r.total.reported == 0 and r.total.handled_rate is None and r.total.score is None
    assert r.unit_top == [] and r.workers == []


def test_period_parsing() -> None:
    p = Period.month("2026-12")
    assert p.start.isoformat() == "2026-12-01T00:00:00+08:00" and p.end.year == 2027
    with pytest.raises(ValueError):
        Period.month("November")
