"""Repositories over one SQLAlchemy session."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.db import mapping, reference
from dispatch.db.orm import (
    CaseCounterRow,
    CaseEventRow,
    CaseFollowerRow,
    CaseRow,
    GridRow,
    MemberRow,
    MessageRow,
    NluCorrectionRow,
    OutboxRow,
    UnitRow,
)
from dispatch.domain.case import Case
from dispatch.domain.errors import ConcurrentModification
from dispatch.domain.grids import Grid
from dispatch.domain.members import Member
from dispatch.domain.routing import Unit

# Hot-path statements, built once: a submitted report reads its reporter, takes a case
# number, looks for an open case it duplicates, writes the case, its events and its outbox
# rows, and a linked duplicate updates the original; building these per call (and loading
# ORM entities) cost more CPU than running them. Core rows, no identity map: the
# repositories return domain objects anyway.
_CASES: Table = CaseRow.__table__  # type: ignore[assignment]
_EVENTS: Table = CaseEventRow.__table__  # type: ignore[assignment]
_MEMBERS: Table = MemberRow.__table__  # type: ignore[assignment]
_COUNTERS: Table = CaseCounterRow.__table__  # type: ignore[assignment]
_FOLLOWERS: Table = CaseFollowerRow.__table__  # type: ignore[assignment]
_MESSAGES: Table = MessageRow.__table__  # type: ignore[assignment]
_OUTBOX: Table = OutboxRow.__table__  # type: ignore[assignment]
_CORRECTIONS: Table = NluCorrectionRow.__table__  # type: ignore[assignment]
_SAVE_COLUMNS = (
    *(f for f in mapping.CASE_FIELDS if f != "version"),
    "status",
    "photos",
    "updated_at",
    "version",
)
_INSERT_CASE = insert(_CASES).returning(_CASES.c.id)
_INSERT_EVENTS = insert(_EVENTS)
_SAVE_CASE = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("w_id"), _CASES.c.version == bindparam("w_version"))
    .values({c: bindparam(f"v_{c}") for c in _SAVE_COLUMNS})
)
_CASE_COLUMNS = [_CASES.c[c] for c in mapping.CASE_COLUMNS]


def _open_cases(where: str) -> Select[Any]:
    """Recent cases of a category in some statuses; `where` narrows to a box ("near"), one
    grid ("grid") or nothing more ("any")."""
    c = _CASES.c
    conditions = [
        c.category == bindparam("category"),
        c.created_at >= bindparam("since"),
        c.status.in_(bindparam("statuses", expanding=True)),
    ]
    if where == "near":
        conditions += [
            c.lat.between(bindparam("lat_lo"), bindparam("lat_hi")),
            c.lon.between(bindparam("lon_lo"), bindparam("lon_hi")),
        ]
    elif where == "grid":
        conditions.append(c.grid_id == bindparam("grid_id"))
    limit = bindparam("limit", type_=Integer)
    return select(*_CASE_COLUMNS).where(*conditions).order_by(c.id.desc()).limit(limit)


_OPEN_CASES = {w: _open_cases(w) for w in ("near", "grid", "any")}
_DUPLICATE_COUNT = (
    select(func.count()).select_from(_CASES).where(_CASES.c.duplicate_of == bindparam("case_id"))
)
_MEMBER_COLUMNS = [
    _MEMBERS.c[c] for c in ("id", "ref", "tg_id", "name", "roles", "grids", "units", "phone", "blocked")
]
_MEMBER_BY_TG = select(*_MEMBER_COLUMNS).where(_MEMBERS.c.tg_id == bindparam("tg_id"))
_MEMBER_BY_REF = select(*_MEMBER_COLUMNS).where(_MEMBERS.c.ref == bindparam("ref"))
_FOLLOWER_TG_IDS = (
    select(_MEMBERS.c.tg_id)
    .join(_FOLLOWERS, _FOLLOWERS.c.member_id == _MEMBERS.c.id)
    .where(_FOLLOWERS.c.case_id == bindparam("case_id"), _MEMBERS.c.blocked.is_(False))
)
_REMOVE_FOLLOWER = delete(_FOLLOWERS).where(
    _FOLLOWERS.c.case_id == bindparam("case_id"), _FOLLOWERS.c.member_id == bindparam("member_id")
)
_LINK_MESSAGES = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id.in_(bindparam("ids", expanding=True)))
    .values(case_id=bindparam("link_case_id"))
)
_INSERT_OUTBOX = insert(_OUTBOX)
_INSERT_CORRECTIONS = insert(_CORRECTIONS)


def _with_role(dialect: str) -> Select[Any]:
    """(tg_id, grids) of the members on Telegram, not blocked, whose `roles` (a JSON array) hold
    the string `role`, by id: the array is searched in SQL, not decoded for every member in Python."""
    m = _MEMBERS.c
    role = bindparam("role", type_=String)
    if dialect == "postgresql":
        has_role: Any = cast(m.roles, JSONB).has_key(role)
    else:
        element = func.json_each(m.roles).table_valued("value")
        has_role = exists(select(1).select_from(element).where(element.c.value == role))
    return select(m.tg_id, m.grids).where(m.blocked.is_(False), m.tg_id.is_not(None), has_role).order_by(m.id)


def _dialect_statements(dialect: str) -> dict[str, Any]:
    """Statements PostgreSQL and SQLite spell differently (INSERT … ON CONFLICT is alike but
    built by each dialect's `insert`; JSON arrays are searched differently)."""
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    counter = ins(_COUNTERS).values(prefix=bindparam("prefix"), day=bindparam("day"), last=1)
    member = ins(_MEMBERS)
    kept = ("name", "roles", "grids", "units", "phone", "blocked")  # not created_at
    return {
        "counter": counter.on_conflict_do_update(
            index_elements=["prefix", "day"], set_={"last": _COUNTERS.c.last + 1}
        ).returning(_COUNTERS.c.last),
        "member": member.on_conflict_do_update(
            index_elements=["tg_id"], set_={k: member.excluded[k] for k in kept}
        ).returning(_MEMBERS.c.id),
        "follower": ins(_FOLLOWERS).on_conflict_do_nothing(index_elements=["case_id", "member_id"]),
        "with_role": _with_role(dialect),
    }


_BY_DIALECT = {d: _dialect_statements(d) for d in ("postgresql", "sqlite")}


def _statement(session: AsyncSession, name: str) -> Any:
    dialect = "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"
    return _BY_DIALECT[dialect][name]


class GridRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> list[Grid]:
        rows = (await self.session.scalars(select(GridRow))).all()
        return [reference.grid_from_row(r) for r in rows]

    async def upsert_many(self, grids: Sequence[Grid], now: datetime) -> None:
        existing = (
            {
                r.id: r
                for r in (
                    await self.session.scalars(select(GridRow).where(GridRow.id.in_([g.id for g in grids])))
                ).all()
            }
            if len(grids) < 30000
            else {r.id: r for r in (await self.session.scalars(select(GridRow))).all()}
        )
        for g in grids:
            row = existing.get(g.id) or GridRow(id=g.id)
            row.name = g.name
            row.level = g.level
            row.parent_id = g.parent_id
            row.geometry = mapping.grid_geometry_json(g)
            row.places = [mapping.place_to_json(p) for p in g.places]
            row.updated_at = now
            if g.id not in existing:
                self.session.add(row)

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(GridRow)) or 0)


class UnitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> list[Unit]:
        rows = (await self.session.scalars(select(UnitRow).order_by(UnitRow.id))).all()
        return [reference.unit_from_row(r) for r in rows]

    async def get(self, unit_id: str) -> Unit | None:
        row = await self.session.get(UnitRow, unit_id)
        return reference.unit_from_row(row) if row else None

    async def by_chat(self, chat_id: int) -> Unit | None:
        row = await self.session.scalar(select(UnitRow).where(UnitRow.chat_id == chat_id))
        return reference.unit_from_row(row) if row else None

    async def upsert_many(self, units: Sequence[Unit], now: datetime) -> None:
        for u in units:
            row = await self.session.get(UnitRow, u.id)
            if row is None:
                row = UnitRow(id=u.id)
                self.session.add(row)
            row.name, row.kind, row.chat_id = u.name, u.kind, u.chat_id
            row.categories = sorted(u.categories)
            row.grids = list(u.grids)
            row.active = u.active
            row.updated_at = now

    async def set_chat(self, unit_id: str, chat_id: int | None) -> None:
        await self.session.execute(update(UnitRow).where(UnitRow.id == unit_id).values(chat_id=chat_id))

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        result = await self.session.execute(
            update(UnitRow).where(UnitRow.chat_id == old_chat_id).values(chat_id=new_chat_id)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class MemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_tg(self, tg_id: int) -> Member | None:
        row = (await self.session.execute(_MEMBER_BY_TG, {"tg_id": tg_id})).first()
        return mapping.member_from_row(row) if row else None

    async def by_ref(self, ref: str) -> Member | None:
        row = (await self.session.execute(_MEMBER_BY_REF, {"ref": ref})).first()
        return mapping.member_from_row(row) if row else None

    async def get(self, member_id: int) -> Member | None:
        row = await self.session.get(MemberRow, member_id)
        return mapping.member_from_row(row) if row else None

    async def all(self) -> list[Member]:
        rows = (await self.session.scalars(select(MemberRow).order_by(MemberRow.id))).all()
        return [mapping.member_from_row(r) for r in rows]

    async def save(self, member: Member, now: datetime) -> Member:
        """Insert or update the member of this stable id; a member known so far only by their
        Telegram id (`tg-<id>`) takes the stable id the file gives them."""
        row = await self.session.scalar(select(MemberRow).where(MemberRow.ref == member.ref))
        if row is None and member.tg_id is not None:
            row = await self.session.scalar(select(MemberRow).where(MemberRow.tg_id == member.tg_id))
        if row is None:
            row = MemberRow(created_at=now)
            self.session.add(row)
        row.ref = member.ref
        row.tg_id = member.tg_id
        row.name = member.name
        row.roles = sorted(member.roles)
        row.grids = sorted(member.grids)
        row.units = sorted(member.units)
        row.phone = member.phone
        row.blocked = member.blocked
        await self.session.flush()
        member.id = row.id
        return member

    async def register(self, member: Member, now: datetime) -> Member:
        """Write a member known by their Telegram id (insert, or update the row of its tg_id
        but its stable id and created_at) in one statement, without loading the row."""
        params = {
            "ref": member.ref,
            "tg_id": member.tg_id,
            "name": member.name,
            "roles": sorted(member.roles),
            "grids": sorted(member.grids),
            "units": sorted(member.units),
            "phone": member.phone,
            "blocked": member.blocked,
            "created_at": now,
        }
        member.id = int((await self.session.execute(_statement(self.session, "member"), params)).scalar_one())
        return member

    async def active_with_role(self, role: str) -> list[tuple[int, list[str]]]:
        """(tg_id, grids) of every member who has `role` and has not blocked the bot, by id."""
        rows = (await self.session.execute(_statement(self.session, "with_role"), {"role": role})).all()
        return [(tg_id, grids or []) for tg_id, grids in rows]

    async def in_unit(self, unit_id: str) -> list[Member]:
        return [m for m in await self.all() if unit_id in m.units]


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_number_seq(self, prefix: str, day: str) -> int:
        """Atomically take the next sequence number for (prefix, day)."""
        stmt = _statement(self.session, "counter")
        return int((await self.session.execute(stmt, {"prefix": prefix, "day": day})).scalar_one())

    async def add(self, case: Case) -> Case:
        values = mapping.case_values(case)
        values["updated_at"] = case.created_at
        case.id = int((await self.session.execute(_INSERT_CASE, values)).scalar_one())
        await self._flush_events(case)
        return case

    async def get(self, case_id: int) -> Case | None:
        row = await self.session.get(CaseRow, case_id)
        return mapping.case_from_row(row) if row else None

    async def by_number(self, number: str) -> Case | None:
        row = await self.session.scalar(select(CaseRow).where(CaseRow.number == number))
        return mapping.case_from_row(row) if row else None

    async def save(self, case: Case, now: datetime) -> None:
        """Write the case if nobody changed it since it was read (optimistic lock)."""
        assert case.id is not None
        values = mapping.case_values(case)
        values.update(updated_at=now, version=case.version + 1)
        params = {f"v_{c}": values[c] for c in _SAVE_COLUMNS}
        params.update(w_id=case.id, w_version=case.version)
        result = await self.session.execute(_SAVE_CASE, params)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentModification(f"case {case.number} was changed by someone else")
        case.version += 1
        await self._flush_events(case)

    async def _flush_events(self, case: Case) -> None:
        assert case.id is not None
        rows = [mapping.event_values(case.id, e) for e in case.pop_events()]
        if rows:
            await self.session.execute(_INSERT_EVENTS, rows)

    async def events(self, case_id: int) -> list[CaseEventRow]:
        return list(
            (
                await self.session.scalars(
                    select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.id)
                )
            ).all()
        )

    async def open_of_category(
        self,
        category: str,
        since: datetime,
        statuses: Sequence[str],
        *,
        near: tuple[float, float, float] | None = None,
        grid_id: str | None = None,
        limit: int = 200,
    ) -> list[Case]:
        """Recent cases of a category in the given statuses, narrowed in SQL to a box of
        `near` = (lat, lon, metres) around a point, or else to one grid."""
        params: dict[str, Any] = {
            "category": category,
            "since": since,
            "statuses": list(statuses),
            "limit": limit,
        }
        if near is not None:
            lat, lon, metres = near
            dlat = metres / 111_320.0
            dlon = metres / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
            params.update(lat_lo=lat - dlat, lat_hi=lat + dlat, lon_lo=lon - dlon, lon_hi=lon + dlon)
            stmt = _OPEN_CASES["near"]
        elif grid_id is not None:
            params["grid_id"] = grid_id
            stmt = _OPEN_CASES["grid"]
        else:
            stmt = _OPEN_CASES["any"]
        rows = (await self.session.execute(stmt, params)).all()
        return [mapping.case_from_values(r) for r in rows]

    async def add_follower(self, case_id: int, member_id: int, now: datetime) -> None:
        """Unless they follow it already (one statement: insert, or nothing on the key)."""
        await self.session.execute(
            _statement(self.session, "follower"), {"case_id": case_id, "member_id": member_id, "since": now}
        )

    async def remove_follower(self, case_id: int, member_id: int) -> None:
        await self.session.execute(_REMOVE_FOLLOWER, {"case_id": case_id, "member_id": member_id})

    async def follower_ids(self, case_id: int) -> list[int]:
        """The members following a case (their own reports were linked to it)."""
        return list((await self.session.scalars(
            select(_FOLLOWERS.c.member_id).where(_FOLLOWERS.c.case_id == case_id))).all())

    async def follower_tg_ids(self, case_id: int) -> list[int]:
        return list((await self.session.scalars(_FOLLOWER_TG_IDS, {"case_id": case_id})).all())

    async def duplicate_count(self, case_id: int) -> int:
        return int(await self.session.scalar(_DUPLICATE_COUNT, {"case_id": case_id}) or 0)

    async def by_reporter(self, member_id: int, limit: int = 20) -> list[Case]:
        rows = (
            await self.session.scalars(
                select(CaseRow)
                .where(CaseRow.reporter_id == member_id)
                .order_by(CaseRow.id.desc())
                .limit(limit)
            )
        ).all()
        return [mapping.case_from_row(r) for r in rows]

    async def with_status(self, statuses: Sequence[str], limit: int = 100) -> list[Case]:
        rows = (
            await self.session.scalars(
                select(CaseRow).where(CaseRow.status.in_(list(statuses))).order_by(CaseRow.id).limit(limit)
            )
        ).all()
        return [mapping.case_from_row(r) for r in rows]


class MessageRepository:
    """The transcript."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, **fields: Any) -> MessageRow:
        row = MessageRow(**fields)
        self.session.add(row)
        await self.session.flush()
        return row

    async def link(self, message_ids: Sequence[int], case_id: int) -> None:
        if message_ids:
            await self.session.execute(_LINK_MESSAGES, {"ids": list(message_ids), "link_case_id": case_id})

    async def for_case(self, case_id: int) -> list[MessageRow]:
        return list(
            (
                await self.session.scalars(
                    select(MessageRow).where(MessageRow.case_id == case_id).order_by(MessageRow.id)
                )
            ).all()
        )


class _QueuedInserts:
    """Rows queued by `add`; the unit of work writes them at commit, in the order they were
    added, with one executemany INSERT (or earlier, at `flush`; `discard` on rollback)."""

    _INSERT: Any  # the prebuilt INSERT of the subclass

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._rows: list[dict[str, Any]] = []

    async def flush(self) -> None:
        if self._rows:
            rows, self._rows = self._rows, []
            await self.session.execute(self._INSERT, rows)

    def discard(self) -> None:
        self._rows = []


class OutboxRepository(_QueuedInserts):
    """Notifications to deliver (queued: see `_QueuedInserts`)."""

    _INSERT = _INSERT_OUTBOX

    def add(
        self, *, chat_id: int, kind: str, payload: dict[str, Any], now: datetime, case_id: int | None = None
    ) -> None:
        self._rows.append(
            {
                "created_at": now,
                "case_id": case_id,
                "chat_id": chat_id,
                "kind": kind,
                "payload": payload,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
            }
        )


class CorrectionRepository(_QueuedInserts):
    """Categories people chose (NLU training examples; queued: see `_QueuedInserts`)."""

    _INSERT = _INSERT_CORRECTIONS

    def add(
        self,
        *,
        text: str,
        predicted: str | None,
        category: str,
        source: str,
        now: datetime,
        case_id: int | None = None,
    ) -> None:
        self._rows.append(
            {
                "text": text,
                "predicted": predicted,
                "category": category,
                "source": source,
                "case_id": case_id,
                "at": now,
            }
        )

    async def all(self) -> list[NluCorrectionRow]:
        await self.flush()
        return list(
            (await self.session.scalars(select(NluCorrectionRow).order_by(NluCorrectionRow.id))).all()
        )
