"""Rows ↔ domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shapely.geometry import mapping as geo_mapping

from dispatch.db.orm import CaseEventRow, CaseRow, MemberRow
from dispatch.domain.case import Case, CaseEvent, Photo
from dispatch.domain.grids import Grid, Place
from dispatch.domain.members import Member
from dispatch.domain.status import CaseStatus


def place_to_json(p: Place) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "kind": p.kind}
    if p.aliases:
        out["aliases"] = list(p.aliases)
    if p.lon is not None:
        out["lon"], out["lat"] = p.lon, p.lat
    return out


def grid_geometry_json(grid: Grid) -> dict[str, Any]:
    return dict(geo_mapping(grid.geometry))


def member_from_row(row: MemberRow | Any) -> Member:
    """A member from its ORM row or a Core row with the same column names."""
    return Member(
        ref=row.ref,
        tg_id=row.tg_id,
        name=row.name,
        roles=set(row.roles),
        grids=set(row.grids or ()),
        units=set(row.units or ()),
        id=row.id,
        phone=row.phone,
        blocked=row.blocked,
    )


CASE_FIELDS = (
    "number category description reporter_id reporter_role channel lat lon address grid_id"
    " unit_id emergency priority due_at created_at dispatched_at accepted_at accepted_by"
    " resolved_at closed_at rework_count extension_count return_count on_spot rating"
    " nlu_confidence duplicate_of version sched"
).split()


def case_from_row(row: CaseRow) -> Case:
    case = Case(**{f: getattr(row, f) for f in CASE_FIELDS}, status=CaseStatus(row.status), id=row.id)
    case.photos = [Photo(p["file_id"], p.get("kind", "report")) for p in row.photos or []]
    return case


# The columns `case_from_values` reads, in this order (Core rows on the hot path).
CASE_COLUMNS = (*CASE_FIELDS, "status", "photos", "id")
_N_FIELDS = len(CASE_FIELDS)


def case_from_values(row: Sequence[Any]) -> Case:
    """A case from a Core row of `CASE_COLUMNS` (as `case_from_row`, without the ORM)."""
    n = _N_FIELDS
    case = Case(**dict(zip(CASE_FIELDS, row[:n], strict=True)), status=CaseStatus(row[n]), id=row[n + 2])
    case.photos = [Photo(p["file_id"], p.get("kind", "report")) for p in row[n + 1] or []]
    return case


def case_to_row(case: Case, row: CaseRow) -> None:
    for f in CASE_FIELDS:
        setattr(row, f, getattr(case, f))
    row.status = case.status.value
    row.photos = [{"file_id": p.file_id, "kind": p.kind} for p in case.photos]


def case_values(case: Case) -> dict[str, Any]:
    """The case as column values (for Core statements on the hot path)."""
    values = {f: getattr(case, f) for f in CASE_FIELDS}
    values["status"] = case.status.value
    values["photos"] = [{"file_id": p.file_id, "kind": p.kind} for p in case.photos]
    return values


def event_values(case_id: int, e: CaseEvent) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "at": e.at,
        "action": e.action,
        "actor_id": e.actor_id,
        "actor_role": e.actor_role,
        "channel": e.channel,
        "old_status": e.old_status,
        "new_status": e.new_status,
        "note": e.note,
        "data": e.data,
    }


def event_to_row(case_id: int, e: CaseEvent) -> CaseEventRow:
    return CaseEventRow(
        case_id=case_id,
        at=e.at,
        action=e.action,
        actor_id=e.actor_id,
        actor_role=e.actor_role,
        channel=e.channel,
        old_status=e.old_status,
        new_status=e.new_status,
        note=e.note,
        data=e.data,
    )
