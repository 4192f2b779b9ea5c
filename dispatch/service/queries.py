"""Read-only queries the chat channels need: a person's cases, their tasks, who may press what.

Plain functions over one unit of work; they never write. The `can_*` checks are early,
friendly answers (so the bot does not ask a stranger for a reason it will refuse); the
commands in `cases.py` check again inside their transaction and stay the authority."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from dispatch.db import mapping
from dispatch.db.orm import CaseEventRow, CaseRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Case
from dispatch.domain.errors import IllegalTransition, NotAuthorised, OutdatedRound
from dispatch.domain.members import Member, Role, ensure_grid_worker, ensure_reporter, ensure_unit_member
from dispatch.domain.status import CaseStatus
from dispatch.service.registry import Registry


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case plus the bits of its timeline a person reads."""

    case: Case
    latest_note: str
    latest_action: str
    resolve_note: str
    return_reason: str
    accepted_by_name: str | None
    rework_reason: str = ""  # why it came back (返工): the resident's or the grid worker's words


async def my_cases(uow: UnitOfWork, tg_id: int, limit: int = 10) -> list[Case]:
    m = await uow.members.by_tg(tg_id)
    if m is None or m.id is None:
        return []
    return await uow.cases.by_reporter(m.id, limit)


async def case_by_number_for(uow: UnitOfWork, registry: Registry, tg_id: int, number: str) -> Case | None:
    """The case if this person may see it: its reporter, staff, its unit or its grid worker."""
    case = await uow.cases.by_number(number)
    if case is None:
        return None
    m = await uow.members.by_tg(tg_id)
    if m is None:
        return None
    if case.reporter_id == m.id or m.is_staff:
        return case
    if case.unit_id and case.unit_id in m.units:
        return case
    if m.has(Role.GRID_WORKER) and m.covers_grid(registry.tree, case.grid_id):
        return case
    return None


async def view_of(uow: UnitOfWork, case: Case) -> CaseView:
    assert case.id is not None
    events = await uow.cases.events(case.id)
    return _view(case, events, await _name(uow, case.accepted_by))


async def views(uow: UnitOfWork, case_ids: list[int]) -> dict[int, CaseView]:
    """Many cases at once (the relay renders a batch of notifications)."""
    if not case_ids:
        return {}
    rows = (await uow.session.scalars(select(CaseRow).where(CaseRow.id.in_(case_ids)))).all()
    cases = {r.id: mapping.case_from_row(r) for r in rows}
    ev_rows = (
        await uow.session.scalars(
            select(CaseEventRow).where(CaseEventRow.case_id.in_(list(cases))).order_by(CaseEventRow.id)
        )
    ).all()
    by_case: dict[int, list[CaseEventRow]] = {}
    for e in ev_rows:
        by_case.setdefault(e.case_id, []).append(e)
    names: dict[int, str | None] = {}
    for c in cases.values():
        if c.accepted_by is not None and c.accepted_by not in names:
            names[c.accepted_by] = await _name(uow, c.accepted_by)
    return {
        cid: _view(c, by_case.get(cid, []), names.get(c.accepted_by) if c.accepted_by else None)
        for cid, c in cases.items()
    }


async def _name(uow: UnitOfWork, member_id: int | None) -> str | None:
    if member_id is None:
        return None
    m = await uow.members.get(member_id)
    return m.name if m else None


def _view(case: Case, events: list[CaseEventRow], accepted_by_name: str | None) -> CaseView:
    latest = events[-1] if events else None
    resolve_note = next(
        (e.note for e in reversed(events) if e.action in ("resolved", "resolved_on_spot")), ""
    )
    return_reason = next((e.note for e in reversed(events) if e.action == "returned"), "")
    rework_reason = next((e.note for e in reversed(events) if e.action == "reopened"), "")
    return CaseView(
        case,
        latest.note if latest else "",
        latest.action if latest else "",
        resolve_note,
        return_reason,
        accepted_by_name,
        rework_reason,
    )


# -- tasks -------------------------------------------------------------------------------------
async def verify_tasks(uow: UnitOfWork, registry: Registry, m: Member, limit: int = 20) -> list[Case]:
    """Resolved cases in the grid worker's grids, waiting for 核查."""
    if not m.has(Role.GRID_WORKER):
        return []
    cases = await uow.cases.with_status([CaseStatus.RESOLVED.value], limit=2000)
    mine = [c for c in cases if not c.on_spot and m.covers_grid(registry.tree, c.grid_id)]
    return mine[:limit]


async def unit_tasks(uow: UnitOfWork, m: Member, limit: int = 20) -> list[Case]:
    if not m.units:
        return []
    rows = (
        await uow.session.scalars(
            select(CaseRow)
            .where(
                CaseRow.unit_id.in_(sorted(m.units)),
                CaseRow.status.in_([CaseStatus.DISPATCHED.value, CaseStatus.ACCEPTED.value]),
            )
            .order_by(CaseRow.priority.desc(), CaseRow.due_at)
            .limit(limit)
        )
    ).all()
    return [mapping.case_from_row(r) for r in rows]


async def triage_tasks(uow: UnitOfWork, m: Member, limit: int = 20) -> list[Case]:
    if not m.is_staff:
        return []
    return await uow.cases.with_status([CaseStatus.TRIAGE.value, CaseStatus.RETURNED.value], limit=limit)


# -- early authorisation (the commands check again) ---------------------------------------------
async def can_handle(uow: UnitOfWork, tg_id: int, case_id: int) -> Case:
    """The case, if `tg_id` is a member of its unit; raises NotAuthorised otherwise."""
    m, case = await uow.members.by_tg(tg_id), await uow.cases.get(case_id)
    if m is None or case is None:
        raise NotAuthorised("unknown member or case")
    ensure_unit_member(m, case)
    return case


async def can_verify(uow: UnitOfWork, registry: Registry, tg_id: int, case_id: int) -> Case:
    m, case = await uow.members.by_tg(tg_id), await uow.cases.get(case_id)
    if m is None or case is None:
        raise NotAuthorised("unknown member or case")
    ensure_grid_worker(m, case, registry.tree)
    return case


async def can_rate(uow: UnitOfWork, tg_id: int, case_id: int, rating_round: int) -> Case:
    """The case if this person may rate it now, in this round; else the refusal `rate` would
    give (so a question asked before the rating changes nothing when it is refused)."""
    m, case = await uow.members.by_tg(tg_id), await uow.cases.get(case_id)
    if m is None or case is None:
        raise NotAuthorised("unknown member or case")
    ensure_reporter(m, case)
    if rating_round != case.rework_count:
        raise OutdatedRound(case.number, rating_round, case.rework_count)
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.VERIFIED) or case.rating is not None:
        raise IllegalTransition(case.number, case.status.value, "rated")
    return case
