"""Reading and writing the hotline and Open311 tables (`channel_tables.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.db.channel_tables import ApiAuditRow, ApiKeyRow, HotlineOrderRow, Open311RequestRow
from dispatch.db.orm import CaseEventRow, CaseRow


async def hotline_order(session: AsyncSession, order_no: str) -> HotlineOrderRow | None:
    return await session.get(HotlineOrderRow, order_no)


async def save_hotline_order(
    session: AsyncSession, order_no: str, now: datetime, case_id: int | None, **fields: Any
) -> HotlineOrderRow:
    """Insert the order, or update the row of its number (counting the imports)."""
    row = await session.get(HotlineOrderRow, order_no)
    if row is None:
        row = HotlineOrderRow(order_no=order_no, created_at=now, imports=0)
        session.add(row)
    for name, value in fields.items():
        setattr(row, name, value)
    if case_id is not None:
        row.case_id = case_id
    row.imports = (row.imports or 0) + 1
    row.updated_at = now
    await session.flush()
    return row


_ORDERS_WITH_CASES = select(HotlineOrderRow, CaseRow).outerjoin(
    CaseRow, CaseRow.id == HotlineOrderRow.case_id
)


async def _pairs(
    session: AsyncSession, stmt: Select[HotlineOrderRow, CaseRow]
) -> list[tuple[HotlineOrderRow, CaseRow | None]]:
    return [(o, c) for o, c in (await session.execute(stmt)).all()]


async def hotline_orders_changed(
    session: AsyncSession, since: datetime
) -> list[tuple[HotlineOrderRow, CaseRow | None]]:
    """Orders imported, or whose case changed, at or after `since`, by 受理时间."""
    stmt = _ORDERS_WITH_CASES.where(or_(HotlineOrderRow.updated_at >= since, CaseRow.updated_at >= since))
    return await _pairs(session, stmt.order_by(HotlineOrderRow.received_at, HotlineOrderRow.order_no))


async def resolution_notes(session: AsyncSession, case_ids: list[int]) -> dict[int, str]:
    """The latest resolution note (处置说明) of each case."""
    if not case_ids:
        return {}
    rows = await session.execute(
        select(CaseEventRow.case_id, CaseEventRow.note)
        .where(CaseEventRow.case_id.in_(case_ids),
               CaseEventRow.action.in_(("resolved", "resolved_on_spot")))
        .order_by(CaseEventRow.case_id, CaseEventRow.at, CaseEventRow.id)
    )
    return {int(c): n or "" for c, n in rows.all()}


# -- Open311 -----------------------------------------------------------------------------------
async def api_key_by_name(session: AsyncSession, name: str) -> ApiKeyRow | None:
    return await session.scalar(select(ApiKeyRow).where(ApiKeyRow.name == name))


async def api_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKeyRow | None:
    return await session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))


async def add_open311_request(session: AsyncSession, row: Open311RequestRow) -> None:
    session.add(row)
    await session.flush()


async def open311_request(session: AsyncSession, token: str) -> Open311RequestRow | None:
    return await session.get(Open311RequestRow, token)


async def open311_media(session: AsyncSession, case_ids: list[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    rows = await session.execute(
        select(Open311RequestRow.case_id, Open311RequestRow.media_url).where(
            Open311RequestRow.case_id.in_(case_ids), Open311RequestRow.media_url.is_not(None)
        )
    )
    return {int(c): str(m) for c, m in rows.all()}


def audit(session: AsyncSession, **fields: Any) -> None:
    session.add(ApiAuditRow(**fields))


async def cases_for_open311(
    session: AsyncSession,
    *,
    numbers: list[str] | None = None,
    categories: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: list[str] | None = None,
    limit: int = 1000,
) -> list[CaseRow]:
    """Cases for `GET requests`: by number (then no other filter), else by category, the time
    they were reported and status; newest first."""
    stmt = select(CaseRow)
    if numbers is not None:
        stmt = stmt.where(CaseRow.number.in_(numbers))
    else:
        if categories:
            stmt = stmt.where(CaseRow.category.in_(categories))
        if start is not None:
            stmt = stmt.where(CaseRow.created_at >= start)
        if end is not None:
            stmt = stmt.where(CaseRow.created_at <= end)
        if statuses is not None:
            stmt = stmt.where(CaseRow.status.in_(statuses))
    stmt = stmt.order_by(CaseRow.created_at.desc(), CaseRow.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())


async def hotline_cases_between(
    session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[HotlineOrderRow, CaseRow]]:
    """Hotline orders taken in [start, end) that have a case."""
    stmt = (
        select(HotlineOrderRow, CaseRow)
        .join(CaseRow, CaseRow.id == HotlineOrderRow.case_id)
        .where(HotlineOrderRow.received_at >= start, HotlineOrderRow.received_at < end)
        .order_by(HotlineOrderRow.received_at, HotlineOrderRow.order_no)
    )
    return [(o, c) for o, c in (await session.execute(stmt)).all()]


async def grid_worker_cases(
    session: AsyncSession, start: datetime, end: datetime, categories: list[str]
) -> list[CaseRow]:
    """Cases grid workers reported in [start, end] of these categories."""
    if not categories:
        return []
    stmt = select(CaseRow).where(
        CaseRow.reporter_role == "grid_worker",
        CaseRow.created_at >= start,
        CaseRow.created_at <= end,
        CaseRow.category.in_(categories),
    )
    return list((await session.scalars(stmt)).all())


async def recent_hotline_orders(
    session: AsyncSession, limit: int
) -> list[tuple[HotlineOrderRow, CaseRow | None]]:
    stmt = _ORDERS_WITH_CASES.order_by(HotlineOrderRow.received_at.desc(), HotlineOrderRow.order_no)
    return await _pairs(session, stmt.limit(limit))
