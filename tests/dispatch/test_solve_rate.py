"""解决率 from the resident's answers to "问题解决了吗", through the case commands, on a fixed
clock: the latest answer a person gave in the period counts; no answer (an old one-question
rating, a rating window that closed by default) is in neither numerator nor denominator."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.domain.case import Rating
from dispatch.service.assessment_report import Period, build_report
from dispatch.service.cases import ReportDraft
from tests.conftest import tg_actor, tg_member
from tests.dispatch.test_case_flow import MARKET, RESIDENT, unit_member


async def _resolved(app: Any, zf: int, text: str) -> int:
    svc = app.service
    c = await svc.submit_report(
        ReportDraft(text=text, reporter_id=await tg_member(app, RESIDENT), category="street_vending",
                    lat=MARKET[0], lon=MARKET[1])
    )
    await svc.accept(c.id, await tg_actor(app, zf, "unit_member"))
    await svc.resolve(c.id, await tg_actor(app, zf, "unit_member"), "已劝离", ["p"])
    return int(c.id)


async def test_solve_rate_counts_the_latest_answer(app: Any, clock: Any) -> None:
    svc = app.service
    zf = await unit_member(app, "zf-chengguan")
    resident = await tg_actor(app, RESIDENT, "resident")
    member = await tg_actor(app, zf, "unit_member")
    # A: 没解决 + 不满意 with a reason → 返工; resolved again, then 解决了 + 满意: counts solved, once.
    a = await _resolved(app, zf, "有人摆摊")
    await svc.rate(a, resident, Rating.UNSATISFIED, 0, solved=False, reason="  摊贩又回来了 ")
    case = await svc.accept(a, member)
    await svc.resolve(a, member, "再次劝离", ["p"])
    clock.advance(hours=1)
    await svc.rate(a, resident, Rating.SATISFIED, 1, solved=True)
    # B: 没解决 but 满意: counts as not solved (解决率 is its own question, not satisfaction).
    b = await _resolved(app, zf, "门口摆摊")
    await svc.rate(b, resident, Rating.SATISFIED, 0, solved=False)
    # C: a rating without the first answer: in 满意率, not in 解决率.
    c = await _resolved(app, zf, "路边摆摊")
    await svc.rate(c, resident, Rating.SATISFIED, 0)
    clock.advance(days=2)
    report = await build_report(app.uow(), app.registry, Period.month("2026-11"), now=clock.now())

    total = report.total
    assert (total.solve_answered, total.solved) == (2, 1)
    assert total.solve_rate == pytest.approx(0.5)
    assert (total.rated, total.satisfied) == (3, 3)  # A's 不满意 was replaced by its 满意
    unit = {f.subject: f for f in report.units}["zf-chengguan"]
    assert (unit.solve_answered, unit.solved) == (2, 1)
    assert report.as_json()["total"]["solve_rate"] == pytest.approx(0.5)
    # The reason is kept on the event that reopened the case (trimmed).
    async with app.uow() as uow:
        events = await uow.cases.events(a)
    reopened = [e for e in events if e.action == "reopened"]
    assert [(e.note, e.data["solved"]) for e in reopened] == [("摊贩又回来了", False)]
    assert case.rework_count == 1

    # December: nothing answered in it, so no 解决率 (null, not 0 %).
    december = await build_report(app.uow(), app.registry, Period.month("2026-12"), now=clock.now())
    assert december.total.solve_answered == 0 and december.total.solve_rate is None
