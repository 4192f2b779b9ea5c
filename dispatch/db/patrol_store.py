"""Patrols in the database: the patrol row ↔ `Patrol`, track points in and out.

The update path (`open_for_tg`, `add_point`, `save`) is three statements: the open patrol by
its worker's Telegram id (an index), one point inserted, the patrol row updated — prebuilt
Core statements on the tables (the ORM's bulk update path costs several times as much)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.db.patrol_tables import PatrolDigestRow, PatrolPointRow, PatrolRow
from dispatch.domain.patrol import FenceState, Patrol, TrackPoint

E6 = 1_000_000
_T: Table = PatrolRow.__table__  # type: ignore[assignment]
_P: Table = PatrolPointRow.__table__  # type: ignore[assignment]
_OPEN = select(_T).where(_T.c.tg_id == bindparam("tg"), _T.c.ended_at.is_(None)).limit(1)
_INSERT_POINT = _P.insert()


def _e6(x: float) -> int:
    return round(x * E6)


def patrol_from_row(r: Any) -> Patrol:
    """A patrol from its ORM row or a Core result row (the same attribute names)."""
    last = None
    if r.last_t is not None and r.last_lat is not None and r.last_lon is not None:
        last = TrackPoint(r.started_at + timedelta(seconds=r.last_t), r.last_lat / E6, r.last_lon / E6)
    return Patrol(
        member_id=r.member_id, tg_id=r.tg_id, message_id=r.message_id, started_at=r.started_at,
        grids=tuple(r.grids or ()), live_until=r.live_until, id=r.id, ended_at=r.ended_at,
        end_reason=r.end_reason, last=last, last_inside=r.last_inside, last_seen=r.last_seen,
        points=r.points, dropped=r.dropped, distance_m=r.distance_m, inside_s=r.inside_s,
        fence=FenceState.from_doc(r.fence), ok=r.ok, summary=dict(r.summary or {}),
    )


def _values(p: Patrol) -> dict[str, object]:
    last = p.last
    return {
        "message_id": p.message_id, "live_until": p.live_until, "ended_at": p.ended_at,
        "end_reason": p.end_reason, "last_seen": p.last_seen,
        "last_t": None if last is None else round((last.at - p.started_at).total_seconds()),
        "last_lat": None if last is None else _e6(last.lat),
        "last_lon": None if last is None else _e6(last.lon),
        "last_inside": p.last_inside, "points": p.points, "dropped": p.dropped,
        "distance_m": p.distance_m, "inside_s": p.inside_s, "fence": p.fence.to_doc(), "ok": p.ok,
        "summary": p.summary,
    }


class PatrolStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, p: Patrol) -> Patrol:
        row = PatrolRow(member_id=p.member_id, tg_id=p.tg_id, grids=list(p.grids),
                        started_at=p.started_at,
                        track_deleted=False, **_values(p))
        self.session.add(row)
        await self.session.flush()
        p.id = row.id
        return p

    async def get(self, patrol_id: int) -> Patrol | None:
        row = await self.session.get(PatrolRow, patrol_id)
        return patrol_from_row(row) if row else None

    async def open_for_tg(self, tg_id: int) -> Patrol | None:
        row = (await self.session.execute(_OPEN, {"tg": tg_id})).first()
        return patrol_from_row(row) if row else None

    async def save(self, p: Patrol, *, while_open: bool = False) -> bool:
        """Write the patrol's row. `while_open`: only if it is still open (a concurrent end —
        the worker's, or the scheduler's — wins); False when it was not."""
        q = _T.update().where(_T.c.id == p.id)
        if while_open:
            q = q.where(_T.c.ended_at.is_(None))
        result: Any = await self.session.execute(q.values(**_values(p)))
        return bool(result.rowcount)

    async def save_fence(self, p: Patrol) -> None:
        """Only the fence state (the scheduler's look must not overwrite a concurrent update's
        point count and sums)."""
        await self.session.execute(
            _T.update().where(_T.c.id == p.id, _T.c.ended_at.is_(None)).values(fence=p.fence.to_doc()))

    async def add_point(self, p: Patrol, point: TrackPoint) -> None:
        """`point` was stored by the aggregate as its `points`-th."""
        await self.session.execute(_INSERT_POINT, {
            "patrol_id": p.id, "seq": p.points, "t": round((point.at - p.started_at).total_seconds()),
            "lat": _e6(point.lat), "lon": _e6(point.lon),
        })

    async def track(self, p: Patrol) -> list[TrackPoint]:
        rows = (await self.session.execute(
            select(PatrolPointRow.t, PatrolPointRow.lat, PatrolPointRow.lon)
            .where(PatrolPointRow.patrol_id == p.id).order_by(PatrolPointRow.seq)
        )).all()
        return [TrackPoint(p.started_at + timedelta(seconds=t), lat / E6, lon / E6) for t, lat, lon in rows]

    async def open_ids(self) -> list[int]:
        return list((await self.session.scalars(
            select(PatrolRow.id).where(PatrolRow.ended_at.is_(None)).order_by(PatrolRow.id))).all())

    async def open_patrols(self) -> list[Patrol]:
        rows = (await self.session.scalars(
            select(PatrolRow).where(PatrolRow.ended_at.is_(None)).order_by(PatrolRow.id))).all()
        return [patrol_from_row(r) for r in rows]

    async def started_between(self, start: datetime, end: datetime,
                              member_ids: Sequence[int] | None = None) -> list[Patrol]:
        q = select(PatrolRow).where(PatrolRow.started_at >= start, PatrolRow.started_at < end)
        if member_ids is not None:
            q = q.where(PatrolRow.member_id.in_(list(member_ids)))
        rows = (await self.session.scalars(q.order_by(PatrolRow.started_at, PatrolRow.id))).all()
        return [patrol_from_row(r) for r in rows]

    async def delete_tracks_before(self, cutoff: datetime) -> int:
        """Delete the track points of patrols that ended before `cutoff`; their figures stay."""
        ids = list((await self.session.scalars(select(PatrolRow.id).where(
            PatrolRow.ended_at < cutoff, PatrolRow.track_deleted.is_(False)))).all())
        if not ids:
            return 0
        await self.session.execute(delete(PatrolPointRow).where(PatrolPointRow.patrol_id.in_(ids)))
        await self.session.execute(update(PatrolRow).where(PatrolRow.id.in_(ids)).values(track_deleted=True))
        return len(ids)

    async def digest_queued(self, day: str) -> bool:
        return await self.session.get(PatrolDigestRow, day) is not None

    async def mark_digest(self, day: str, now: datetime) -> None:
        self.session.add(PatrolDigestRow(day=day, queued_at=now))
        await self.session.flush()
