"""Claiming outbox rows so that several relays never deliver the same row twice.

PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` then mark the rows claimed, in one short
transaction. SQLite has one writer at a time, so the same UPDATE is already exclusive.
A claim expires (`claimed_until`): a relay that died mid-batch leaves its rows to the
next relay after the expiry, never sooner."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.adapters.orm import OutboxRow


async def claim(
    session: AsyncSession, holder: str, now: datetime, limit: int, ttl: timedelta
) -> list[OutboxRow]:
    """Claim up to `limit` due rows for `holder`; commits."""
    free = or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now)
    query = (
        select(OutboxRow.id)
        .where(and_(OutboxRow.state == "pending", OutboxRow.next_attempt_at <= now, free))
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list((await session.scalars(query)).all())
    if not ids:
        await session.commit()
        return []
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids), free)
        .values(claimed_by=holder, claimed_until=now + ttl)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    rows = (
        await session.scalars(
            select(OutboxRow)
            .where(OutboxRow.id.in_(ids), OutboxRow.claimed_by == holder)
            .order_by(OutboxRow.id)
        )
    ).all()
    return list(rows)


async def release(session: AsyncSession, holder: str, ids: list[int]) -> None:
    """Give back rows this holder claimed but did not finish."""
    if ids:
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids), OutboxRow.claimed_by == holder)
            .values(claimed_by=None, claimed_until=None)
        )
        await session.commit()
