"""The triage queue (待分拨): cases no unit holds, with why they are here — which unit returned
them and its reason — and the units to choose from, the routing rule's candidates first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from admin.queries import LIST_COLUMNS
from dispatch.db.orm import CaseEventRow, CaseRow, MemberRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.routing import candidates
from dispatch.domain.status import CaseStatus
from dispatch.service.registry import Registry

WAITING = (CaseStatus.TRIAGE.value, CaseStatus.RETURNED.value)


@dataclass(frozen=True)
class Returned:
    """The last 退回 of a case: which unit, who, why, when."""

    unit_id: str
    by: str  # the member's name ("" if unknown)
    reason: str
    at: datetime


@dataclass
class TriageItem:
    row: Any
    reason: str
    returned: Returned | None = None
    candidates: list[str] = field(default_factory=list)  # unit ids, the rule's order


async def last_returns(uow: UnitOfWork, case_ids: Iterable[int]) -> dict[int, Returned]:
    """The last 退回 of each case (inside the caller's unit of work)."""
    ids = list(case_ids)
    if not ids:
        return {}
    s = uow.session
    last = (select(CaseEventRow.case_id, func.max(CaseEventRow.id).label("eid"))
            .where(CaseEventRow.case_id.in_(ids), CaseEventRow.action == "returned")
            .group_by(CaseEventRow.case_id).subquery())
    rows = (await s.execute(
        select(CaseEventRow.case_id, CaseEventRow.data, CaseEventRow.note, CaseEventRow.at, MemberRow.name)
        .join(last, CaseEventRow.id == last.c.eid)
        .outerjoin(MemberRow, MemberRow.id == CaseEventRow.actor_id))).all()
    return {case_id: Returned(str((data or {}).get("unit_id") or ""), name or "", note or "", at)
            for case_id, data, note, at, name in rows if (data or {}).get("unit_id")}


async def returned_to(uow: UnitOfWork, case_id: int, unit_id: str) -> Returned | None:
    """The case's last 退回 if it was `unit_id`'s and the case still waits in triage: sending it
    back there needs the dispatcher's confirmation."""
    async with uow:
        status = await uow.session.scalar(select(CaseRow.status).where(CaseRow.id == case_id))
        if status not in WAITING:
            return None
        last = (await last_returns(uow, [case_id])).get(case_id)
    return last if last is not None and last.unit_id == unit_id else None


async def triage_queue(uow: UnitOfWork, registry: Registry, limit: int = 200) -> tuple[list[TriageItem], int]:
    async with uow:
        s = uow.session
        total = int(await s.scalar(select(func.count()).select_from(CaseRow)
                                   .where(CaseRow.status.in_(WAITING))) or 0)
        rows = (await s.execute(
            select(*LIST_COLUMNS, CaseRow.lat, CaseRow.lon).where(CaseRow.status.in_(WAITING))
            .order_by(CaseRow.emergency.desc(), CaseRow.id.asc()).limit(limit))).all()
        reasons: dict[int, str] = {}
        returns: dict[int, Returned] = {}
        if rows:
            ids = [r.id for r in rows]
            last = (select(CaseEventRow.case_id, func.max(CaseEventRow.id).label("eid"))
                    .where(CaseEventRow.case_id.in_(ids), CaseEventRow.action.in_(["triaged", "returned"]))
                    .group_by(CaseEventRow.case_id).subquery())
            for case_id, note in (await s.execute(
                    select(CaseEventRow.case_id, CaseEventRow.note)
                    .join(last, CaseEventRow.id == last.c.eid))).all():
                reasons[case_id] = note
            returns = await last_returns(uow, ids)
    items = [TriageItem(r, reasons.get(r.id, ""), returns.get(r.id),
                        candidates(registry.table, registry.tree, r.grid_id, r.category)) for r in rows]
    return items, total


def unit_choices(registry: Registry, first: list[str]) -> tuple[list[Any], list[Any]]:
    """(the rule's candidates in its order, every other active unit by name)."""
    units = registry.units
    ranked = [units[u] for u in first if u in units]
    others = sorted((u for u in units.values() if u.id not in first and u.active), key=lambda u: u.name)
    return ranked, others
