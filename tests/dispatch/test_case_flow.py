"""The closed loop through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.db.orm import CaseEventRow, OutboxRow
from dispatch.domain.case import Rating
from dispatch.domain.duplicates import DuplicatePolicy, similarity
from dispatch.domain.errors import IllegalTransition, NotAuthorised
from dispatch.domain.status import CaseStatus
from dispatch.service.cases import ReportDraft
from tests.conftest import tg_actor, tg_member

MARKET = (25.838018, 115.021984)  # 解放路菜市场, in 解放社区第4网格 (G-01-01-01-04)
RESIDENT, OTHER_RESIDENT = 100001, 100002
WORKER = 200002  # grid worker of 解放社区


async def unit_member(app: Any, unit_id: str) -> int:
    async with app.uow() as uow:
        return next(m.tg_id for m in await uow.members.all() if unit_id in m.units)


async def outbox(app: Any, case_id: int) -> list[tuple[str, int]]:
    async with app.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxRow).where(OutboxRow.case_id == case_id).order_by(OutboxRow.id)
            )
        ).all()
        return [(r.kind, r.chat_id) for r in rows]


async def test_report_accept_resolve_rate_verify_close(app: Any, clock: Any) -> None:
    svc = app.service
    case = await svc.submit_report(
        ReportDraft(
            text="解放路菜市场门口天天有人摆摊卖菜",
            reporter_id=await tg_member(app, RESIDENT),
            category="street_vending",
            lat=MARKET[0],
            lon=MARKET[1],
            photos=["photo-a"],
            confidence=0.93,
        )
    )
    assert case.number == "QH-20261123-0001"
    assert case.grid_id == "G-01-01-01-04" and case.unit_id == "zf-chengguan"
    assert case.status is CaseStatus.DISPATCHED
    assert case.due_at == clock.now() + timedelta(hours=2)  # 占道经营: 2 h
    kinds = await outbox(app, case.id)
    assert ("unit_card", -1001000000001) in kinds and ("resident_notice", RESIDENT) in kinds

    member = await unit_member(app, "zf-chengguan")
    clock.advance(minutes=10)
    await svc.accept(case.id, await tg_actor(app, member, "unit_member"))
    clock.advance(minutes=50)
    case = await svc.resolve(case.id, await tg_actor(app, member, "unit_member"), "已劝离摊贩", ["photo-result"])
    assert case.status is CaseStatus.RESOLVED
    kinds = await outbox(app, case.id)
    assert ("rate_request", RESIDENT) in kinds and ("verify_task", WORKER) in kinds

    case = await svc.rate(case.id, await tg_actor(app, RESIDENT, "resident"), Rating.SATISFIED)
    assert case.status is CaseStatus.RESOLVED and case.rating == "satisfied"  # waits for 核查
    case = await svc.verify(case.id, await tg_actor(app, WORKER, "grid_worker"), passed=True)
    assert case.status is CaseStatus.CLOSED

    async with app.uow() as uow:
        events = await uow.cases.events(case.id)
    assert [e.action for e in events] == [
        "reported",
        "dispatched",
        "accepted",
        "resolved",
        "rated",
        "verified",
        "closed",
    ]
    assert events[2].actor_role == "unit_member" and events[2].channel == "telegram"
    assert events[1].note.startswith("解放社区第4网格 · 占道经营 → 城关执法中队")


async def test_return_goes_to_triage_and_dispatcher_reassigns(app: Any) -> None:
    svc = app.service
    case = await svc.submit_report(
        ReportDraft(
            text="解放路菜市场门口的井盖坏了",
            reporter_id=await tg_member(app, RESIDENT),
            category="street_vending",
            lat=MARKET[0],
            lon=MARKET[1],
        )
    )
    member = await unit_member(app, "zf-chengguan")
    case = await svc.return_case(case.id, await tg_actor(app, member, "unit_member"), "井盖不归执法队管")
    assert case.status is CaseStatus.TRIAGE and case.unit_id is None and case.return_count == 1
    with pytest.raises(NotAuthorised):
        await svc.reassign(case.id, await tg_actor(app, RESIDENT, "dispatcher"), "sz-chengqu")
    dispatcher = 400001
    municipal = next(u for u in app.registry.units.values() if "road_facility" in u.categories)
    case = await svc.reassign(case.id, await tg_actor(app, dispatcher, "dispatcher"), municipal.id, category="road_facility")
    assert case.status is CaseStatus.DISPATCHED and case.category == "road_facility"
    async with app.uow() as uow:
        corrections = await uow.corrections.all()
    assert [(c.predicted, c.category) for c in corrections] == [("street_vending", "road_facility")]


async def test_unhappy_resident_reopens_to_same_unit(app: Any) -> None:
    svc = app.service
    case = await svc.submit_report(
        ReportDraft(
            text="垃圾桶满了没人清", reporter_id=await tg_member(app, RESIDENT), category="garbage", lat=MARKET[0], lon=MARKET[1]
        )
    )
    member = await unit_member(app, case.unit_id)
    await svc.accept(case.id, await tg_actor(app, member, "unit_member"))
    await svc.resolve(case.id, await tg_actor(app, member, "unit_member"), "已清运", ["p"])
    case = await svc.rate(case.id, await tg_actor(app, RESIDENT, "resident"), Rating.UNSATISFIED)
    assert case.status is CaseStatus.DISPATCHED and case.rework_count == 1
    assert case.unit_id == "hw-chengqu"


async def test_authorisation(app: Any) -> None:
    svc = app.service
    case = await svc.submit_report(
        ReportDraft(
            text="乱贴小广告", reporter_id=await tg_member(app, RESIDENT), category="illegal_ads", lat=MARKET[0], lon=MARKET[1]
        )
    )
    wrong_unit = await unit_member(app, "zf-hedong")
    with pytest.raises(NotAuthorised):
        await svc.accept(case.id, await tg_actor(app, wrong_unit, "unit_member"))
    member = await unit_member(app, "zf-chengguan")
    await svc.accept(case.id, await tg_actor(app, member, "unit_member"))
    with pytest.raises(IllegalTransition):  # a stale second press
        await svc.accept(case.id, await tg_actor(app, member, "unit_member"))
    await svc.resolve(case.id, await tg_actor(app, member, "unit_member"), "已清理", [])
    with pytest.raises(NotAuthorised):
        await svc.rate(case.id, await tg_actor(app, OTHER_RESIDENT, "resident"), Rating.SATISFIED)
    with pytest.raises(NotAuthorised):
        await svc.verify(case.id, await tg_actor(app, 200008, "grid_worker"), passed=True)  # grid worker of another community


async def test_unlocated_report_goes_to_triage(app: Any) -> None:
    case = await app.service.submit_report(
        ReportDraft(text="有人乱倒垃圾", reporter_id=await tg_member(app, RESIDENT), category="garbage")
    )
    assert case.status is CaseStatus.TRIAGE and case.grid_id is None
    async with app.uow() as uow:
        kinds = {r.kind for r in (await uow.session.scalars(select(OutboxRow))).all()}
    assert "triage_notice" in kinds


async def test_typed_address_resolves_grid(app: Any) -> None:
    case = await app.service.submit_report(
        ReportDraft(
            text="有人摆摊", address="五丰菜市场东门", reporter_id=await tg_member(app, RESIDENT), category="street_vending"
        )
    )
    assert case.grid_id == "G-01-02-01-01" and case.unit_id == "zf-chengxi"
    assert case.lat is not None  # the landmark's point pins the case


async def test_grid_worker_on_the_spot(app: Any) -> None:
    case = await app.service.submit_report(
        ReportDraft(
            text="楼道堆放杂物, 已清理",
            reporter_id=await tg_member(app, WORKER),
            category="clutter",
            lat=MARKET[0],
            lon=MARKET[1],
            on_spot=True,
            result_photos=["after"],
        )
    )
    assert case.status is CaseStatus.CLOSED and case.on_spot and case.reporter_role == "grid_worker"


async def test_numbers_unique_under_concurrency(app: Any) -> None:
    app.service.config = replace(app.service.config, duplicates=DuplicatePolicy(enabled=False))
    drafts = [
        ReportDraft(text=f"垃圾{i}", reporter_id=await tg_member(app, RESIDENT), category="garbage", lat=MARKET[0], lon=MARKET[1])
        for i in range(12)
    ]
    cases = await asyncio.gather(*(app.service.submit_report(d) for d in drafts))
    numbers = sorted(c.number for c in cases)
    assert numbers == [f"QH-20261123-{i:04d}" for i in range(1, 13)]
    async with app.uow() as uow:
        n = await uow.session.scalar(select(func.count()).select_from(CaseEventRow))
    assert n == 24  # reported + dispatched each


async def test_concurrent_accept_only_one_wins(app: Any) -> None:
    case = await app.service.submit_report(
        ReportDraft(
            text="乱贴小广告", reporter_id=await tg_member(app, RESIDENT), category="illegal_ads", lat=MARKET[0], lon=MARKET[1]
        )
    )
    async with app.uow() as uow:
        members = [m.tg_id for m in await uow.members.all() if "zf-chengguan" in m.units]
    members = (members * 2)[:2]
    actors = [await tg_actor(app, m, "unit_member") for m in members]
    results = await asyncio.gather(*(app.service.accept(case.id, a) for a in actors), return_exceptions=True)
    assert sum(1 for r in results if not isinstance(r, Exception)) == 1


async def test_duplicate_report_is_linked_and_followed(app: Any, clock: Any) -> None:
    svc = app.service
    first = await svc.submit_report(
        ReportDraft(
            text="解放路菜市场门口垃圾桶满了没人清",
            reporter_id=await tg_member(app, RESIDENT),
            category="garbage",
            lat=MARKET[0],
            lon=MARKET[1],
        )
    )
    clock.advance(hours=1)
    near = (MARKET[0] + 0.0003, MARKET[1])  # ~33 m north
    second = await svc.submit_report(
        ReportDraft(
            text="菜市场门口的垃圾桶又满了",
            reporter_id=await tg_member(app, OTHER_RESIDENT),
            category="garbage",
            lat=near[0],
            lon=near[1],
        )
    )
    assert second.status is CaseStatus.DUPLICATE and second.duplicate_of == first.id
    # different category, far away, or unrelated text: not linked
    other = await svc.submit_report(
        ReportDraft(
            text="菜市场门口有人摆摊",
            reporter_id=await tg_member(app, OTHER_RESIDENT),
            category="street_vending",
            lat=near[0],
            lon=near[1],
        )
    )
    assert other.status is CaseStatus.DISPATCHED
    far = await svc.submit_report(
        ReportDraft(
            text="菜市场门口的垃圾桶又满了",
            reporter_id=await tg_member(app, OTHER_RESIDENT),
            category="garbage",
            lat=MARKET[0] + 0.01,
            lon=MARKET[1],
        )
    )
    assert far.status is not CaseStatus.DUPLICATE
    assert ("resident_notice", OTHER_RESIDENT) in await outbox(app, second.id)
    async with app.uow() as uow:
        assert await uow.cases.follower_tg_ids(first.id) == [OTHER_RESIDENT]
        assert await uow.cases.duplicate_count(first.id) == 1
        assert (await uow.cases.events(first.id))[-1].action == "duplicate_reported"
    # the follower hears about the original's progress
    member = await unit_member(app, "hw-chengqu")
    await svc.accept(first.id, await tg_actor(app, member, "unit_member"))
    assert ("resident_notice", OTHER_RESIDENT) in await outbox(app, first.id)
    # a dispatcher unlinks: the report goes to triage and stops following
    unlinked = await svc.unlink_duplicate(second.id, await tg_actor(app, 400001, "dispatcher"))
    assert unlinked.status is CaseStatus.TRIAGE and unlinked.duplicate_of is None
    async with app.uow() as uow:
        assert await uow.cases.follower_tg_ids(first.id) == []


def test_text_similarity() -> None:
    assert similarity("垃圾桶满了没人清", "这里垃圾桶又满了") > 0.2
    assert similarity("垃圾桶满了", "有人摆摊卖菜") == 0.0
    assert similarity("", "x") == 0.0


async def test_uncertain_category_goes_to_triage_and_dispatch_group(app: Any) -> None:
    app.registry.dispatch_chat_id = -100777
    case = await app.service.submit_report(ReportDraft(
        text="那边有点问题", reporter_id=await tg_member(app, RESIDENT), category="other", lat=MARKET[0], lon=MARKET[1],
        confidence=0.2, triage=True))
    assert case.status is CaseStatus.TRIAGE and case.grid_id == "G-01-01-01-04"
    assert ("triage_notice", -100777) in await outbox(app, case.id)


async def test_dispatcher_closes_handled_case_only(app: Any) -> None:
    svc = app.service
    case = await svc.submit_report(ReportDraft(
        text="乱贴小广告", reporter_id=await tg_member(app, RESIDENT), category="illegal_ads", lat=MARKET[0], lon=MARKET[1]))
    with pytest.raises(IllegalTransition):
        await svc.close(case.id, await tg_actor(app, 400001, "dispatcher"), "不需要")  # not handled yet: cancel, not close
    member = await unit_member(app, "zf-chengguan")
    await svc.accept(case.id, await tg_actor(app, member, "unit_member"))
    await svc.resolve(case.id, await tg_actor(app, member, "unit_member"), "已清理", ["p"])
    with pytest.raises(NotAuthorised):
        await svc.close(case.id, await tg_actor(app, RESIDENT, "dispatcher"), "x")
    closed = await svc.close(case.id, await tg_actor(app, 400001, "dispatcher"), "居民联系不上, 核查已通过电话确认")
    assert closed.status is CaseStatus.CLOSED
