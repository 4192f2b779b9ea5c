"""Reminders, escalation and default closing across a simulated week (a settable clock)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from dispatch.db import lease
from dispatch.db.orm import OutboxRow
from dispatch.domain.status import CaseStatus
from dispatch.service.cases import ReportDraft
from dispatch.service.scheduler import Scheduler
from tests.conftest import tg_actor, tg_member
from tests.dispatch.test_case_flow import MARKET, RESIDENT, WORKER, unit_member


def scheduler(app: Any, clock: Any) -> Scheduler:
    return Scheduler(app.sessions, lambda: app.registry, clock)


async def kinds(app: Any, case_id: int, kind: str) -> list[tuple[int, dict]]:
    async with app.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxRow)
                .where(OutboxRow.case_id == case_id, OutboxRow.kind == kind)
                .order_by(OutboxRow.id)
            )
        ).all()
        return [(r.chat_id, r.payload) for r in rows]


async def actions(app: Any, case_id: int) -> list[str]:
    async with app.uow() as uow:
        return [e.action for e in await uow.cases.events(case_id)]


async def test_reminders_then_escalation_up_the_hierarchy(app: Any, clock: Any) -> None:
    s = scheduler(app, clock)
    case = await app.service.submit_report(
        ReportDraft(text="垃圾桶满了", reporter_id=await tg_member(app, RESIDENT), category="garbage", lat=MARKET[0], lon=MARKET[1])
    )
    start = clock.now()  # 4 h allowed
    unit_chat = app.registry.units["hw-chengqu"].chat_id

    clock.set(start + timedelta(hours=1, minutes=59))
    assert (await s.tick()).reminders == 0
    clock.set(start + timedelta(hours=2))
    assert (await s.tick()).reminders == 1
    assert (await s.tick()).reminders == 0  # not twice
    clock.set(start + timedelta(hours=3, minutes=13))
    assert (await s.tick()).reminders == 1
    assert [p["share"] for _, p in await kinds(app, case.id, "reminder")] == [0.5, 0.8]
    assert {c for c, _ in await kinds(app, case.id, "reminder")} == {unit_chat}

    clock.set(start + timedelta(hours=4, minutes=1))
    r = await s.tick()
    assert (r.reminders, r.escalations) == (0, 1)
    station = next(u for u in app.registry.units.values() if "*" in u.categories and "G-01-01-01" in u.grids)
    escalations = await kinds(app, case.id, "escalation")
    assert {c for c, _ in escalations} == {station.chat_id, unit_chat}
    clock.set(start + timedelta(hours=6))
    assert (await s.tick()).escalations == 0  # the next step waits one more time limit
    member = await unit_member(app, "hw-chengqu")
    await app.service.accept(case.id, await tg_actor(app, member, "unit_member"))  # accepted but still late: escalation goes on
    clock.set(start + timedelta(hours=8, minutes=2))
    assert (await s.tick()).escalations == 1
    clock.set(start + timedelta(hours=12, minutes=3))
    assert (await s.tick()).escalations == 1
    clock.set(start + timedelta(days=3))
    assert (await s.tick()).escalations == 0  # three levels: community, street, county
    async with app.uow() as uow:
        events = await uow.cases.events(case.id)
    esc = [e for e in events if e.action == "escalated"]
    assert [e.data["level"] for e in esc] == [3, 2, 1]
    centre = next(u for u in app.registry.units.values() if "*" in u.categories and "G-01" in u.grids)
    assert esc[2].data["target_unit_id"] == centre.id

    await app.service.resolve(case.id, await tg_actor(app, member, "unit_member"), "已清运", ["p"])
    clock.set(start + timedelta(days=4))
    assert (await s.tick()).escalations == 0


async def test_extension_resets_reminders(app: Any, clock: Any) -> None:
    s = scheduler(app, clock)
    case = await app.service.submit_report(
        ReportDraft(text="垃圾", reporter_id=await tg_member(app, RESIDENT), category="garbage", lat=MARKET[0], lon=MARKET[1])
    )
    clock.advance(hours=2)
    assert (await s.tick()).reminders == 1
    await app.service.extend(case.id, await tg_actor(app, 400001, "dispatcher"), 20, "需要调车")  # due now start+24h
    clock.advance(hours=1)
    assert (await s.tick()).reminders == 0  # 3 h into a 24 h window
    clock.advance(hours=10)
    assert (await s.tick()).reminders == 1


async def test_unrated_case_closes_by_default(app: Any, clock: Any) -> None:
    s = scheduler(app, clock)
    case = await app.service.submit_report(
        ReportDraft(text="小广告", reporter_id=await tg_member(app, RESIDENT), category="illegal_ads", lat=MARKET[0], lon=MARKET[1])
    )
    member = await unit_member(app, "zf-chengguan")
    await app.service.accept(case.id, await tg_actor(app, member, "unit_member"))
    await app.service.resolve(case.id, await tg_actor(app, member, "unit_member"), "已清理", ["p"])
    clock.advance(hours=71)
    assert (await s.tick()).auto_closed == 0  # the resident still has time to rate
    clock.advance(hours=9)
    assert (await s.tick()).auto_closed == 0  # no rating, but still waiting for 核查
    await app.service.verify(case.id, await tg_actor(app, WORKER, "grid_worker"), True)
    assert (await s.tick()).auto_closed == 1  # verified, rating window (from resolution) over
    async with app.uow() as uow:
        closed = await uow.cases.get(case.id)
    assert closed.status is CaseStatus.CLOSED and closed.rating == "satisfied"
    assert (await actions(app, case.id))[-1] == "closed"


async def test_one_lease_holder(app: Any, clock: Any) -> None:
    now, ttl = clock.now(), timedelta(seconds=60)
    assert await lease.acquire(app.sessions, "x", "a", now, ttl)
    assert not await lease.acquire(app.sessions, "x", "b", now, ttl)
    assert await lease.acquire(app.sessions, "x", "a", now + timedelta(seconds=30), ttl)  # renew
    assert await lease.acquire(app.sessions, "x", "b", now + timedelta(seconds=91), ttl)  # expired
    await lease.release(app.sessions, "x", "b")
    assert await lease.acquire(app.sessions, "x", "a", now, ttl)
