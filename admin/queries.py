"""Read queries for the console: the filtered case list (keyset paging), one case with its
timeline and transcript, the triage queue. Plain functions over one unit of work."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from dispatch.db.orm import CaseEventRow, CaseRow, MemberRow, MessageRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Case
from dispatch.domain.status import FINAL, OPEN, WITH_UNIT, CaseStatus
from dispatch.service.registry import Registry

PAGE_SIZE = 50
MAX_GRID_IN = 2000  # above this many grids, "the root" is every located case
NUMBER_RE = re.compile(r"^[A-Za-z]{1,8}-\d{8}-\d+$")

LIST_COLUMNS = (
    CaseRow.id, CaseRow.number, CaseRow.category, CaseRow.status, CaseRow.grid_id, CaseRow.unit_id,
    CaseRow.emergency, CaseRow.due_at, CaseRow.created_at, CaseRow.address, CaseRow.rework_count,
    func.substr(CaseRow.description, 1, 80).label("snippet"),
)
EXPORT_COLUMNS = (
    CaseRow.id, CaseRow.number, CaseRow.category, CaseRow.status, CaseRow.grid_id, CaseRow.unit_id,
    CaseRow.emergency, CaseRow.due_at, CaseRow.created_at, CaseRow.address, CaseRow.description,
    CaseRow.reporter_role, CaseRow.channel, CaseRow.lat, CaseRow.lon, CaseRow.dispatched_at,
    CaseRow.resolved_at, CaseRow.closed_at, CaseRow.rework_count, CaseRow.extension_count,
    CaseRow.return_count, CaseRow.rating,
)


@dataclass(frozen=True)
class CaseFilter:
    status: str = ""  # a status, "open" or "final"
    category: str = ""
    grid: str = ""
    unit: str = ""
    overdue: bool = False
    emergency: bool = False
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""

    @classmethod
    def from_params(cls, params: Any, registry: Registry) -> CaseFilter:
        """From query parameters; unknown values are dropped, never an error page."""
        def get(name: str) -> str:
            return str(params.get(name) or "").strip()

        status = get("status")
        if status not in {"open", "final", *(s.value for s in CaseStatus)}:
            status = ""
        category = get("category") if registry.taxonomy.has_category(get("category")) else ""
        grid = get("grid") if get("grid") in registry.tree else ""
        unit = get("unit") if get("unit") in registry.units else ""
        return cls(status, category, grid, unit, get("overdue") in ("1", "on", "true"),
                   get("emergency") in ("1", "on", "true"), _date(get("from")), _date(get("to")),
                   get("q")[:100])

    def params(self) -> dict[str, str]:
        """The non-empty filters as query parameters (for links and exports)."""
        out = {"status": self.status, "category": self.category, "grid": self.grid, "unit": self.unit,
               "overdue": "1" if self.overdue else "", "emergency": "1" if self.emergency else "",
               "from": self.date_from.isoformat() if self.date_from else "",
               "to": self.date_to.isoformat() if self.date_to else "", "q": self.q}
        return {k: v for k, v in out.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.params())


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def conditions(f: CaseFilter, registry: Registry, now: datetime, tz: str) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = []
    if f.status == "open":
        cond.append(CaseRow.status.in_(sorted(s.value for s in OPEN)))
    elif f.status == "final":
        cond.append(CaseRow.status.in_(sorted(s.value for s in FINAL)))
    elif f.status:
        cond.append(CaseRow.status == f.status)
    if f.category:
        cond.append(CaseRow.category == f.category)
    if f.grid:
        tree = registry.tree
        ids = tree.descendants(f.grid)
        if len(ids) == 1:
            cond.append(CaseRow.grid_id == f.grid)
        elif len(ids) > MAX_GRID_IN and tree.get(f.grid).parent_id is None:
            cond.append(CaseRow.grid_id.is_not(None))
        else:
            cond.append(CaseRow.grid_id.in_(ids))
    if f.unit:
        cond.append(CaseRow.unit_id == f.unit)
    if f.overdue:
        cond.append(and_(CaseRow.status.in_(sorted(s.value for s in WITH_UNIT)), CaseRow.due_at < now))
    if f.emergency:
        cond.append(CaseRow.emergency.is_(True))
    zone = ZoneInfo(tz)
    if f.date_from:
        cond.append(CaseRow.created_at >= datetime.combine(f.date_from, time(0), zone))
    if f.date_to:
        cond.append(CaseRow.created_at < datetime.combine(f.date_to + timedelta(days=1), time(0), zone))
    if f.q:
        q = f.q
        if NUMBER_RE.match(q):
            cond.append(CaseRow.number == q.upper())
        else:
            cond.append(or_(CaseRow.number.contains(q, autoescape=True),
                            CaseRow.description.contains(q, autoescape=True),
                            CaseRow.address.contains(q, autoescape=True)))
    if f.date_from and f.date_to and f.date_from > f.date_to:
        cond.append(false())
    return cond


@dataclass
class Page:
    rows: list[Any]
    total: int
    first_index: int  # 1-based position of the first row in the whole filtered list
    newer: int | None  # `before` cursor for the newer page
    older: int | None  # `after` cursor for the older page
    at_start: bool = True


async def search(uow: UnitOfWork, registry: Registry, f: CaseFilter, now: datetime, tz: str,
                 after: int | None = None, before: int | None = None,
                 limit: int = PAGE_SIZE) -> Page:
    """One page, newest first. `after=id`: the page below that id; `before=id`: above it."""
    cond = conditions(f, registry, now, tz)
    async with uow:
        s = uow.session
        total = int(await s.scalar(select(func.count()).select_from(CaseRow).where(*cond)) or 0)
        stmt = select(*LIST_COLUMNS).where(*cond)
        if before is not None:
            rows = list((await s.execute(
                stmt.where(CaseRow.id > before).order_by(CaseRow.id.asc()).limit(limit + 1))).all())
            more_newer = len(rows) > limit
            rows = list(reversed(rows[:limit]))
        else:
            if after is not None:
                stmt = stmt.where(CaseRow.id < after)
            rows = list((await s.execute(stmt.order_by(CaseRow.id.desc()).limit(limit + 1))).all())
            more_newer = after is not None
            has_older = len(rows) > limit
            rows = rows[:limit]
        if not rows:
            return Page([], total, 0, None, None)
        first_id, last_id = rows[0].id, rows[-1].id
        newer_count = 0
        if before is not None or after is not None:
            newer_count = int(await s.scalar(
                select(func.count()).select_from(CaseRow).where(*cond, CaseRow.id > first_id)) or 0)
        if before is not None:
            has_older = newer_count + len(rows) < total
        more_newer = newer_count > 0
        return Page(rows, total, newer_count + 1, first_id if more_newer else None,
                    last_id if has_older else None, at_start=not more_newer)


async def iter_filtered(uow: UnitOfWork, registry: Registry, f: CaseFilter, now: datetime, tz: str,
                        batch: int = 2000, cap: int = 200_000) -> AsyncIterator[Any]:
    """Every matching case, newest first, in batches (for exports)."""
    cond = conditions(f, registry, now, tz)
    after: int | None = None
    sent = 0
    while sent < cap:
        async with uow:
            stmt = select(*EXPORT_COLUMNS).where(*cond)
            if after is not None:
                stmt = stmt.where(CaseRow.id < after)
            rows = (await uow.session.execute(stmt.order_by(CaseRow.id.desc()).limit(batch))).all()
        for r in rows:
            yield r
        sent += len(rows)
        if len(rows) < batch:
            return
        after = rows[-1].id


def is_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    return due_at is not None and status in {s.value for s in WITH_UNIT} and now > due_at


# -- one case ---------------------------------------------------------------------------------
@dataclass
class CaseDetail:
    case: Case
    events: list[CaseEventRow]
    messages: list[MessageRow]
    names: dict[int, str] = field(default_factory=dict)  # member id → name
    tg_names: dict[int, str] = field(default_factory=dict)  # tg id → name
    reporter: MemberRow | None = None
    duplicate_number: str | None = None


async def case_detail(uow: UnitOfWork, case_id: int) -> CaseDetail | None:
    async with uow:
        case = await uow.cases.get(case_id)
        if case is None:
            return None
        events = await uow.cases.events(case_id)
        messages = await uow.messages.for_case(case_id)
        member_ids = {e.actor_id for e in events if e.actor_id is not None}
        entered = ((e.data or {}).get("entered_by") for e in events)  # a console intake's staff member
        member_ids |= {m for m in entered if isinstance(m, int)}
        if case.reporter_id is not None:
            member_ids.add(case.reporter_id)
        if case.accepted_by is not None:
            member_ids.add(case.accepted_by)
        tg_ids = {m.user_id for m in messages if m.user_id is not None}
        rows = (await uow.session.scalars(select(MemberRow).where(
            or_(MemberRow.id.in_(member_ids), MemberRow.tg_id.in_(tg_ids))))).all()
        dup = None
        if case.duplicate_of is not None:
            dup = await uow.session.scalar(select(CaseRow.number).where(CaseRow.id == case.duplicate_of))
        return CaseDetail(
            case, events, messages, {r.id: r.name for r in rows},
            {r.tg_id: r.name for r in rows if r.tg_id is not None},
            next((r for r in rows if r.id == case.reporter_id), None), dup)


async def case_id_by_number(uow: UnitOfWork, number: str) -> int | None:
    async with uow:
        return await uow.session.scalar(select(CaseRow.id).where(CaseRow.number == number))


async def case_number(uow: UnitOfWork, case_id: int) -> str:
    async with uow:
        return str(await uow.session.scalar(select(CaseRow.number).where(CaseRow.id == case_id)) or case_id)
