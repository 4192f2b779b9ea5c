"""The stored policy reaching new cases, the scheduler and other processes; invalid documents
change nothing; every change is audit-logged (SQLite and PostgreSQL, a settable clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dispatch.db.orm import ConfigAuditRow
from dispatch.domain.policy import PolicyError
from dispatch.domain.status import CaseStatus
from dispatch.service import config_log
from dispatch.service.cases import ReportDraft
from dispatch.service.config_log import AuditActor
from dispatch.service.imports import import_units
from dispatch.service.policy_store import PolicyConflict, read_policy, save_policy_doc
from dispatch.service.scheduler import Scheduler
from tests.conftest import demo_docs, tg_actor, tg_member
from tests.dispatch.test_case_flow import MARKET, RESIDENT, unit_member

TESTER = AuditActor("cli", "tester")
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def save(app: Any, doc: Any, **kw: Any) -> Any:
    stored = await save_policy_doc(app.uow(), doc, TESTER, app.clock.now(), **kw)
    await app.reload()
    return stored


async def vending(app: Any, text: str = "菜市场门口有人摆摊", **kw: Any) -> ReportDraft:
    return ReportDraft(text=text, reporter_id=await tg_member(app, RESIDENT), category="street_vending",
                       lat=MARKET[0], lon=MARKET[1], **kw)


NO_DUPLICATES = {"duplicates": {"enabled": False}}  # the same spot reported again: its own case


async def audit_rows(app: Any) -> list[ConfigAuditRow]:
    async with app.uow() as uow:
        return list((await uow.session.scalars(select(ConfigAuditRow).order_by(ConfigAuditRow.id))).all())


async def test_overrides_reach_the_next_cases_deadline(app: Any, clock: Any) -> None:
    now = clock.now()
    first = await app.service.submit_report(await vending(app))
    assert first.unit_id == "zf-chengguan" and first.due_at == now + timedelta(hours=2)  # taxonomy
    await save(app, {"time_limits": {"categories": {"street_vending": 3}}, **NO_DUPLICATES})
    case = await app.service.submit_report(await vending(app))
    assert case.duplicate_of is None
    assert case.due_at == now + timedelta(hours=3)
    await save(app, {"time_limits": {"categories": {"street_vending": 3}, "units": {"zf-chengguan": 6}},
                     **NO_DUPLICATES})
    case = await app.service.submit_report(await vending(app))
    assert case.due_at == now + timedelta(hours=6)  # the unit beats the category
    await save(app, {"time_limits": {"units": {"zf-chengguan": 6},
                                     "unit_categories": {"zf-chengguan": {"street_vending": 1.5}},
                                     "priority_factors": {"emergency": 0.5}}, **NO_DUPLICATES})
    case = await app.service.submit_report(await vending(app))
    assert case.due_at == now + timedelta(hours=1.5)  # (unit, category) beats the unit
    case = await app.service.submit_report(await vending(app, text="摊贩的煤气罐着火了", emergency=True))
    assert case.due_at == now + timedelta(hours=0.75)  # × the emergency factor
    async with app.uow() as uow:
        old = await uow.cases.get(first.id)
    assert old.due_at == now + timedelta(hours=2)  # open cases keep their deadline


async def test_working_hours_calendar_sets_due_at(app: Any, clock: Any) -> None:
    clock.set(datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI).astimezone(UTC))  # Friday 16:00
    await save(app, {"calendar": {"mode": "working_hours", "holidays": ["2026-11-30"]}})
    case = await app.service.submit_report(await vending(app))  # 2 working hours
    # 1.5 h on Friday; Saturday, Sunday and the Monday holiday off; 0.5 h on Tuesday.
    assert case.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


async def test_invalid_document_changes_nothing(app: Any, clock: Any) -> None:
    await save(app, {"time_limits": {"categories": {"garbage": 3}}})
    before = await audit_rows(app)
    version = await app.config_version()
    for doc in ({"time_limits": {"categories": {"garbage": 3, "street_vending": -1}}},
                {"time_limits": {"units": {"no-such-unit": 5}}},
                {"reminders": {"shares": [0.9, 0.1]}, "time_limits": {"categories": {"garbage": 9}}}):
        with pytest.raises(PolicyError):
            await save_policy_doc(app.uow(), doc, TESTER, clock.now())
    async with app.uow() as uow:
        stored = await read_policy(uow.session)
    assert stored.policy.category_hours == {"garbage": 3} and stored.version == 1
    assert await app.config_version() == version
    assert len(await audit_rows(app)) == len(before)


async def test_stale_edit_is_refused(app: Any, clock: Any) -> None:
    await save(app, {"rating": {"timeout_hours": 48}}, expected_version=0)
    with pytest.raises(PolicyConflict):
        await save_policy_doc(app.uow(), {"rating": {"timeout_hours": 24}}, TESTER, clock.now(),
                              expected_version=0)
    assert app.registry.policy.deadlines.rating_timeout_hours == 48


async def test_every_change_is_audited_with_a_diff(app: Any, clock: Any) -> None:
    await save(app, {"time_limits": {"categories": {"garbage": 3}}, "verification": {"required": False}})
    rows = await audit_rows(app)
    last = rows[-1]
    assert (last.actor_kind, last.actor, last.object_kind) == ("cli", "tester", "policy")
    assert "time_limits.categories.garbage: — → 3" in last.summary.splitlines()
    assert "verification.required: true → false" in last.summary.splitlines()
    assert last.config_version == await app.config_version()
    units = demo_docs()[1]
    units["units"][0]["name"] = "城关综合执法中队"
    await import_units(app.uow(), units, clock.now(), AuditActor("cli", "tester"))
    last = (await audit_rows(app))[-1]
    assert last.object_kind == "units" and "zf-chengguan.name: 城关执法中队 → 城关综合执法中队" in last.summary
    async with app.uow() as uow:
        page, total = await config_log.entries(uow.session, 0, 2)
    assert total == len(await audit_rows(app)) and [r.id for r in page] == [last.id, last.id - 1]


async def test_another_process_notices_the_change(app: Any, clock: Any) -> None:
    from gridbot.bootstrap import bootstrap

    other = await bootstrap(app.settings, migrate=False, clock=clock)
    try:
        assert not await other.reload_if_changed()
        assert other.service.config.require_verification
        await save_policy_doc(app.uow(), {"time_limits": {"categories": {"street_vending": 5}},
                                          "verification": {"required": False},
                                          "duplicates": {"distance_m": 50}}, TESTER, clock.now())
        assert other.registry.sla.hours_for("street_vending", None, 0) == 2  # not yet
        assert await other.reload_if_changed()
        assert other.registry.sla.hours_for("street_vending", None, 0) == 5
        assert other.service.config.require_verification is False
        assert other.service.config.duplicates.distance_m == 50
        assert other.service.config.case_prefix == "QH"  # the deployment's settings stay
        case = await other.service.submit_report(await vending(other))
        assert case.due_at == clock.now() + timedelta(hours=5)
        assert not await other.reload_if_changed()  # nothing new
        # Imports move the version too: units renamed by the CLI reach the running process.
        units = demo_docs()[1]
        units["units"][0]["name"] = "城关综合执法中队"
        await import_units(app.uow(), units, clock.now())
        assert await other.reload_if_changed()
        assert other.registry.units["zf-chengguan"].name == "城关综合执法中队"
    finally:
        await other.close()


async def test_scheduler_follows_the_configured_reminders_and_escalation(app: Any, clock: Any) -> None:
    scheduler = Scheduler(app.sessions, lambda: app.registry, clock)
    case = await app.service.submit_report(
        ReportDraft(text="垃圾桶满了", reporter_id=await tg_member(app, RESIDENT), category="garbage", lat=MARKET[0], lon=MARKET[1])
    )
    start = clock.now()  # 4 h allowed
    # Configured while the case is open: the scheduler reads the policy at each tick.
    await save(app, {"reminders": {"shares": [0.25]}, "escalation": {"levels": [1], "interval_hours": 1}})
    clock.set(start + timedelta(hours=1))
    assert (await scheduler.tick()).reminders == 1
    clock.set(start + timedelta(hours=3, minutes=30))
    assert (await scheduler.tick()).reminders == 0  # no 50 % / 80 % reminders any more
    clock.set(start + timedelta(hours=4, minutes=1))
    assert (await scheduler.tick()).escalations == 1
    clock.set(start + timedelta(days=2))
    assert (await scheduler.tick()).escalations == 0  # one level only
    async with app.uow() as uow:
        events = await uow.cases.events(case.id)
    reminded = [e.data["share"] for e in events if e.action == "reminded"]
    escalated = [(e.data["level"], e.data["target_unit_id"]) for e in events if e.action == "escalated"]
    assert reminded == [0.25] and escalated == [(1, "wg-centre")]


async def test_without_verification_the_rating_window_alone_closes(app: Any, clock: Any) -> None:
    scheduler = Scheduler(app.sessions, lambda: app.registry, clock)
    await save(app, {"verification": {"required": False}, "rating": {"timeout_hours": 24,
                                                                      "default": "basically_satisfied"}})
    case = await app.service.submit_report(
        ReportDraft(text="小广告", reporter_id=await tg_member(app, RESIDENT), category="illegal_ads", lat=MARKET[0], lon=MARKET[1])
    )
    member = await unit_member(app, "zf-chengguan")
    await app.service.accept(case.id, await tg_actor(app, member, "unit_member"))
    await app.service.resolve(case.id, await tg_actor(app, member, "unit_member"), "已清理", ["p"])
    clock.advance(hours=23)
    assert (await scheduler.tick()).auto_closed == 0
    clock.advance(hours=2)
    assert (await scheduler.tick()).auto_closed == 1  # no 核查 awaited
    async with app.uow() as uow:
        closed = await uow.cases.get(case.id)
        n = await uow.session.scalar(select(func.count()).select_from(ConfigAuditRow))
    assert closed.status is CaseStatus.CLOSED and closed.rating == "basically_satisfied"
    assert n and n >= 1


async def test_config_watch_checks_until_stopped() -> None:
    import asyncio

    from gridbot.config_watch import watch_config

    stop = asyncio.Event()

    class FakeApp:
        calls = 0
        registry = type("R", (), {"config_version": 7})()

        async def reload_if_changed(self) -> bool:
            self.calls += 1
            if self.calls == 1:
                raise OSError("database restarting")  # logged; the watcher carries on
            if self.calls == 3:
                stop.set()
            return True

    app = FakeApp()
    await asyncio.wait_for(watch_config(app, stop, interval=0), timeout=10)  # type: ignore[arg-type]
    assert app.calls == 3
