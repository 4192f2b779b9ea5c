"""Retention with a fixed clock: a resident's personal data goes a configured time after their
case closed, exactly once, audit-logged; the case, its events and the assessment stay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from dispatch.db.channel_tables import HotlineOrderRow
from dispatch.db.orm import CaseEventRow, CaseRow, ConfigAuditRow, MemberRow, MessageRow
from dispatch.domain.case import Rating
from dispatch.domain.policy import RetentionPolicy, parse_policy, policy_to_doc
from dispatch.service.assessment_report import Period, build_report
from dispatch.service.cases import ReportDraft
from dispatch.service.retention import anonymise_due
from dispatch.service.scheduler import Scheduler
from tests.conftest import tg_actor, tg_member

MARKET = (25.838018, 115.021984)
RESIDENT, OTHER = 100001, 100002
WORKER = 200002
PHONE = "13912345678"


async def closed_case(app: Any, clock: Any, tg: int, text: str) -> Any:
    svc = app.service
    case = await svc.submit_report(ReportDraft(text=text, reporter_id=await tg_member(app, tg),
                                               category="street_vending", lat=MARKET[0], lon=MARKET[1]))
    async with app.uow() as uow:
        member = next(m.tg_id for m in await uow.members.all() if "zf-chengguan" in m.units)
        uow.session.add_all([
            MessageRow(case_id=case.id, chat_id=tg, user_id=tg, direction="in", kind="text",
                       text=f"我的电话 {PHONE}，晚上打", at=clock.now()),
            MessageRow(case_id=case.id, chat_id=tg, user_id=tg, direction="in", kind="contact",
                       text=PHONE, payload={"phone_number": PHONE, "first_name": "张桂兰"}, at=clock.now()),
            MessageRow(case_id=case.id, chat_id=tg, user_id=None, direction="out", kind="text",
                       text="已受理", at=clock.now()),
            MessageRow(case_id=None, chat_id=tg, user_id=tg, direction="in", kind="text",
                       text=f"你好 {PHONE}", at=clock.now()),
        ])
        await uow.commit()
    await svc.accept(case.id, await tg_actor(app, member, "unit_member"))
    await svc.resolve(case.id, await tg_actor(app, member, "unit_member"), "已劝离", ["photo-result"])
    await svc.rate(case.id, await tg_actor(app, tg, "resident"), Rating.SATISFIED)
    return await svc.verify(case.id, await tg_actor(app, WORKER, "grid_worker"), passed=True)


async def snapshot(app: Any, case_id: int) -> tuple[Any, ...]:
    async with app.uow() as uow:
        row = await uow.session.get(CaseRow, case_id)
        events = (await uow.session.execute(
            select(CaseEventRow.action, CaseEventRow.at).where(CaseEventRow.case_id == case_id)
            .order_by(CaseEventRow.id))).all()
    return (row.number, row.category, row.status, row.grid_id, row.unit_id, row.rating, row.closed_at,
            row.due_at, row.lat, row.lon, tuple(events))


def test_the_policy_setting() -> None:
    assert parse_policy({}).retention == RetentionPolicy(enabled=True, anonymise_after_days=365)
    p = parse_policy({"retention": {"anonymise_after_days": 730, "enabled": False}})
    assert policy_to_doc(p)["retention"] == {"enabled": False, "anonymise_after_days": 730}
    for bad in (0, -1, 4000, "soon"):
        try:
            parse_policy({"retention": {"anonymise_after_days": bad}})
        except Exception as exc:
            assert "retention.anonymise_after_days" in str(exc)
        else:
            raise AssertionError(f"{bad!r} accepted")


async def test_anonymised_once_after_the_period(app: Any, clock: Any) -> None:
    case = await closed_case(app, clock, RESIDENT, f"解放路菜市场门口有人摆摊，联系我{PHONE}")
    async with app.uow() as uow:
        uow.session.add(HotlineOrderRow(
            order_no="12345-1", case_id=case.id, fingerprint="x", received_at=clock.now(), kind="投诉",
            text="摆摊", category="street_vending", caller_name="李先生", caller_phone="13800001111",
            created_at=clock.now(), updated_at=clock.now()))
        await uow.commit()
    other_open = await app.service.submit_report(ReportDraft(
        text="又有人摆摊", reporter_id=await tg_member(app, OTHER), category="street_vending",
        lat=MARKET[0], lon=MARKET[1]))
    period = Period.month("2026-11", app.settings.timezone)
    before_report = (await build_report(app.uow(), app.registry, period, 3, now=clock.now())).as_json()
    before = await snapshot(app, case.id)
    policy = RetentionPolicy(anonymise_after_days=365)
    scheduler = Scheduler(app.sessions, lambda: app.registry, clock)

    clock.advance(days=364)  # not yet
    assert (await anonymise_due(app.uow(), policy, clock.now())).cases == []
    clock.advance(days=2)
    result = await scheduler.retention(force=True)  # the scheduler's own pass, the configured 365 days
    assert result is not None and result.cases == [case.number] and result.members == 1
    assert (await scheduler.retention()) is None  # within the hour: not again

    async with app.uow() as uow:
        s = uow.session
        row = await s.get(CaseRow, case.id)
        assert PHONE not in row.description and "解放路菜市场门口有人摆摊" in row.description
        assert row.anonymised_at == clock.now()
        msgs = (await s.execute(select(MessageRow).where(
            (MessageRow.case_id == case.id) | (MessageRow.text.like("你好%"))))).scalars().all()
        assert all(PHONE not in m.text and m.user_id is None and m.chat_id == 0 for m in msgs)
        contact = next(m for m in msgs if m.kind == "contact")
        assert contact.payload == {} and contact.text == ""
        member = await s.get(MemberRow, case.reporter_id)
        assert member.tg_id is None and member.phone is None and member.name == "已匿名居民"
        assert member.anonymised_at == clock.now()
        order = await s.get(HotlineOrderRow, "12345-1")
        assert order.caller_name is None and order.caller_phone is None
        # the other resident's case is open: untouched
        assert (await s.get(CaseRow, other_open.id)).anonymised_at is None
        other = await s.get(MemberRow, other_open.reporter_id)
        assert other.tg_id == OTHER and other.anonymised_at is None
        audit = (await s.execute(select(ConfigAuditRow).where(ConfigAuditRow.object_kind == "retention"))).scalars().all()
        assert len(audit) == 1 and audit[0].actor_kind == "system" and case.number in audit[0].summary
        assert audit[0].after == {"cases": [case.number], "members": [case.reporter_id]}

    assert await snapshot(app, case.id) == before  # the case and its events as they were
    after_report = (await build_report(app.uow(), app.registry, period, 3, now=clock.now() - timedelta(days=366)))
    assert after_report.as_json() == before_report

    # exactly once: a later pass finds nothing, writes no audit row
    clock.advance(days=30)
    assert (await scheduler.retention(force=True)).cases == []  # type: ignore[union-attr]
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ConfigAuditRow)
                                        .where(ConfigAuditRow.object_kind == "retention")) == 1
    # the same person writing again is a new member
    again = await tg_member(app, RESIDENT)
    assert again != case.reporter_id


async def test_disabled_retention_keeps_everything(app: Any, clock: Any) -> None:
    case = await closed_case(app, clock, RESIDENT, f"摆摊，电话{PHONE}")
    clock.advance(days=4000)
    assert (await anonymise_due(app.uow(), RetentionPolicy(enabled=False), clock.now())).cases == []
    async with app.uow() as uow:
        assert PHONE in (await uow.session.get(CaseRow, case.id)).description


async def test_a_backlog_goes_in_passes(app: Any, clock: Any) -> None:
    cases = [await closed_case(app, clock, tg, f"摆摊{i}") for i, tg in enumerate((RESIDENT, OTHER, RESIDENT))]
    clock.advance(days=400)
    policy = RetentionPolicy()
    first = await anonymise_due(app.uow(), policy, clock.now(), batch=2, max_cases=2)
    assert first.cases == [c.number for c in cases[:2]] and first.members == 1  # OTHER; RESIDENT has one left
    second = await anonymise_due(app.uow(), policy, clock.now(), batch=2, max_cases=2)
    assert second.cases == [cases[2].number] and second.members == 1
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ConfigAuditRow)
                                        .where(ConfigAuditRow.object_kind == "retention")) == 2
