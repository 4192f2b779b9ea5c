"""Assessment figures from the event log, on a scripted month."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.domain.case import Rating
from dispatch.service.assessment_report import Period, build_report
from dispatch.service.cases import ReportDraft
from tests.conftest import START, tg_actor, tg_member
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
    return await build_report(app.uow(), app.registry, Period.month("2026-11"), grid_level=3, now=clock.now())


async def test_figures(month: Any) -> None:
    total = month.total
    assert total.reported == 4
    assert total.proactive_rate == pytest.approx(1 / 4)
    assert total.to_handle == 4 and total.handled == 2  # A and C; B is open again for rework
    assert total.on_time == 2  # A and C
    assert total.overdue_open == 2  # B after rework and D, both past their deadlines at as_of
    assert total.reworked == 0 and total.rework_rate == 0.0  # of the handled cases, none was reworked
    assert total.satisfaction_rate == pytest.approx(1 / 2)  # A satisfied, B unsatisfied
    assert total.accurate_dispatch_rate == pytest.approx(3 / 4)  # A, B, D→环卫 right; D→执法 returned


async def test_units_and_ranking(month: Any) -> None:
    units = {f.subject: f for f in month.units}
    zf, hw = units["zf-chengguan"], units["hw-chengqu"]
    assert (zf.dispatched, zf.returned, zf.to_handle, zf.handled) == (2, 1, 1, 1)
    assert zf.on_time_rate == 1.0 and zf.accurate_dispatch_rate == 0.5
    assert (hw.to_handle, hw.handled, hw.overdue_open) == (2, 0, 2)
    assert hw.rework_rate is None and hw.mean_handling_hours is None
    assert zf.score is not None and hw.score is not None and zf.score > hw.score
    assert month.unit_top[0].subject == "zf-chengguan"
    grids = {f.subject: f for f in month.grids}
    assert set(grids) == {"G-01-01-01"} and grids["G-01-01-01"].reported == 4
    every = {f.subject for f in month.all_grids}
    assert every == {"G-01", "G-01-01", "G-01-01-01", "G-01-01-01-04"}  # the unit grid and every ancestor


async def test_worker_points(month: Any) -> None:
    (w,) = month.workers
    # the on-the-spot record was never reviewed (审核): it earns the report point only
    assert (w.reports, w.on_spot, w.on_spot_unreviewed, w.verifications) == (1, 0, 1, 1)
    assert w.points == 1 + 1


async def test_empty_period_has_no_made_up_rates(app: Any) -> None:
    r = await build_report(app.uow(), app.registry, Period.month("2026-10"), now=START)
    assert r.total.reported == 0 and r.total.handled_rate is None and r.total.score is None
    assert r.unit_top == [] and r.workers == []


def test_period_parsing() -> None:
    p = Period.month("2026-12")
    assert p.start.isoformat() == "2026-12-01T00:00:00+08:00" and p.end.year == 2027
    with pytest.raises(ValueError):
        Period.month("November")


async def test_open_overdue_case_stays_in_later_months_through_the_service(app: Any, clock: Any) -> None:
    """A case overdue since 23 Nov and still open is 应处置 and 超期 in December too."""
    svc = app.service
    await svc.submit_report(
        ReportDraft(text="垃圾满了", reporter_id=await tg_member(app, RESIDENT), category="garbage",
                    lat=MARKET[0], lon=MARKET[1])
    )
    clock.advance(days=20)  # 13 Dec
    dec = await build_report(app.uow(), app.registry, Period.month("2026-12"), now=clock.now())
    (unit,) = dec.units
    assert (unit.to_handle, unit.handled, unit.overdue_open) == (1, 0, 1)
    assert dec.total.reported == 0


async def test_not_yet_due_is_not_overdue_in_the_running_month(app: Any, clock: Any) -> None:
    svc = app.service
    await svc.submit_report(
        ReportDraft(text="垃圾满了", reporter_id=await tg_member(app, RESIDENT), category="garbage",
                    lat=MARKET[0], lon=MARKET[1])
    )
    r = await build_report(app.uow(), app.registry, Period.month("2026-11"), now=clock.now())
    assert r.as_of == clock.now() and r.total.to_handle == 1
    assert (r.total.overdue_open, r.total.overdue_rate) == (0, 0.0)


async def test_on_spot_points_after_review_and_the_solved_answer_through_the_service(app: Any, clock: Any) -> None:
    from dispatch.domain.errors import NotAuthorised

    svc = app.service
    spot = await svc.submit_report(
        ReportDraft(text="楼道杂物已清", reporter_id=await tg_member(app, WORKER), category="clutter",
                    lat=MARKET[0], lon=MARKET[1], on_spot=True)
    )
    with pytest.raises(NotAuthorised):
        await svc.review(spot.id, await tg_actor(app, WORKER, "grid_worker"), True)
    before = await build_report(app.uow(), app.registry, Period.month("2026-11"), now=clock.now())
    await svc.review(spot.id, await tg_actor(app, 400001, "dispatcher"), True)
    after = await build_report(app.uow(), app.registry, Period.month("2026-11"), now=clock.now())
    assert (before.workers[0].points, after.workers[0].points) == (1, 3)
    hw = await unit_member(app, "hw-chengqu")
    b = await svc.submit_report(
        ReportDraft(text="垃圾满了", reporter_id=await tg_member(app, RESIDENT), category="garbage",
                    lat=MARKET[0], lon=MARKET[1])
    )
    await svc.accept(b.id, await tg_actor(app, hw, "unit_member"))
    await svc.resolve(b.id, await tg_actor(app, hw, "unit_member"), "已清运", ["p"])
    await svc.rate(b.id, await tg_actor(app, RESIDENT, "resident"), Rating.SATISFIED, solved=False)
    r = await build_report(app.uow(), app.registry, Period.month("2026-11"), now=clock.now())
    assert (r.total.solve_answered, r.total.solved, r.total.solve_rate) == (1, 0, 0.0)
    assert r.total.satisfaction_rate == 1.0
