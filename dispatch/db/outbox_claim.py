"""Claiming outbox rows so that several relays never deliver the same row twice.

PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` then mark the rows claimed, in one short
transaction. SQLite has no SKIP LOCKED and (between processes) no lock held from the SELECT
to the UPDATE, so the claiming UPDATE re-checks the whole "due and free" condition itself:
one UPDATE statement is atomic there (one writer at a time), so a row that another relay
claimed — or claimed, sent and released — in between is not taken again.

A claim expires (`claimed_until`); a live relay renews the claims of the rows it is still
working on (`renew`), so only a relay that died or hung loses them. A row whose claim lapsed
may have been sent without the outcome being recorded: the next claim marks it in its payload
(`LAPSED_FROM`: the holder that lost it), and the mark stays until the row is done, so it is
still known when a retry delivers it later (`Claimed.lapsed`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.db.orm import OutboxRow

LAPSED_FROM = "_lapsed_from"  # payload key: the relay whose claim on this row lapsed


@dataclass
class Claimed:
    rows: list[OutboxRow]
    lapsed: dict[int, str] = field(default_factory=dict)  # row id → holder whose claim lapsed once


def _claimable(now: datetime) -> ColumnElement[bool]:
    free = or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now)
    return and_(OutboxRow.state == "pending", OutboxRow.next_attempt_at <= now, free)


async def claim(session: AsyncSession, holder: str, now: datetime, limit: int, ttl: timedelta) -> Claimed:
    """Claim up to `limit` due rows for `holder`, oldest first; commits."""
    query = (
        select(OutboxRow.id, OutboxRow.claimed_by).where(_claimable(now)).order_by(OutboxRow.id).limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    found = (await session.execute(query)).all()
    if not found:
        await session.commit()
        return Claimed([])
    ids = [r.id for r in found]
    until = now + ttl
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids), _claimable(now))  # re-checked: atomic on SQLite too
        .values(claimed_by=holder, claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    rows = (
        await session.scalars(
            select(OutboxRow)
            .where(OutboxRow.id.in_(ids), OutboxRow.claimed_by == holder, OutboxRow.claimed_until == until)
            .order_by(OutboxRow.id)
        )
    ).all()
    taken = {r.id for r in rows}
    fresh = {r.id: r.claimed_by for r in found if r.claimed_by and r.id in taken}
    for r in rows:
        if r.id in fresh:  # its holder stopped without recording: mark it for good
            r.payload = {**(r.payload or {}), LAPSED_FROM: fresh[r.id]}
    if fresh:
        await session.commit()
    lapsed = {r.id: str(r.payload[LAPSED_FROM]) for r in rows if LAPSED_FROM in (r.payload or {})}
    return Claimed(list(rows), lapsed)


async def renew(
    session: AsyncSession, holder: str, ids: list[int], now: datetime, ttl: timedelta
) -> set[int]:
    """Extend this holder's claims on `ids` (still pending) to `now + ttl`, in the caller's
    transaction. Returns the ids it still holds (a claim that lapsed and was taken over by
    another relay is gone)."""
    if not ids:
        return set()
    mine = and_(OutboxRow.id.in_(ids), OutboxRow.claimed_by == holder, OutboxRow.state == "pending")
    await session.execute(
        update(OutboxRow)
        .where(mine)
        .values(claimed_until=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return set((await session.scalars(select(OutboxRow.id).where(mine))).all())


async def release(session: AsyncSession, holder: str, ids: list[int]) -> None:
    """Give back rows this holder claimed but did not finish."""
    if ids:
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids), OutboxRow.claimed_by == holder)
            .values(claimed_by=None, claimed_until=None)
        )
        await session.commit()
