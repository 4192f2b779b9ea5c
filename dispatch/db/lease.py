"""A database lease: at most one holder of a name at a time, across processes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dispatch.db.orm import LeaseRow


async def acquire(
    sessions: async_sessionmaker[AsyncSession], name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take or renew the lease; True when `holder` has it until now + ttl."""
    async with sessions() as session:
        result = await session.execute(
            update(LeaseRow)
            .where(LeaseRow.name == name, or_(LeaseRow.holder == holder, LeaseRow.expires_at < now))
            .values(holder=holder, expires_at=now + ttl)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            await session.commit()
            return True
        exists = await session.scalar(select(LeaseRow.name).where(LeaseRow.name == name))
        if exists is not None:
            return False
        session.add(LeaseRow(name=name, holder=holder, expires_at=now + ttl))
        try:
            await session.commit()
        except IntegrityError:  # someone else created it first
            return False
        return True


async def release(sessions: async_sessionmaker[AsyncSession], name: str, holder: str) -> None:
    async with sessions() as session:
        await session.execute(delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder))
        await session.commit()
