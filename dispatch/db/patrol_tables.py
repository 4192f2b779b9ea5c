"""The tables of patrols (巡查): one row per patrol, one compact row per stored track point,
and the days whose morning message (日督导) went out.

Same `Base` as the dispatch tables, so Alembic (migration 0012) sees them. A track point is
four integers: the patrol, its sequence number, seconds since the patrol began and the
position in microdegrees (about 0.1 m) — about 40 bytes a point with the index on SQLite."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db.orm import Base, BigId


class PatrolRow(Base):
    __tablename__ = "patrols"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    tg_id: Mapped[int] = mapped_column(BigInteger)  # whose live location this is
    message_id: Mapped[int] = mapped_column(BigInteger)  # the live location message
    grids: Mapped[list[Any]] = mapped_column(JSON)  # the worker's grids at the start (the fence)
    started_at: Mapped[datetime]
    live_until: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(16))
    last_seen: Mapped[datetime | None]
    last_t: Mapped[int | None] = mapped_column(Integer)  # the last stored point, as stored
    last_lat: Mapped[int | None] = mapped_column(Integer)
    last_lon: Mapped[int | None] = mapped_column(Integer)
    last_inside: Mapped[bool] = mapped_column(Boolean, default=False)
    points: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[int] = mapped_column(Integer, default=0)
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    inside_s: Mapped[float] = mapped_column(Float, default=0.0)
    fence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # at the end: coverage, cases
    track_deleted: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_patrols_open_tg", "tg_id", "ended_at"),
        Index("ix_patrols_member_started", "member_id", "started_at"),
        Index("ix_patrols_ended", "ended_at"),
    )


class PatrolPointRow(Base):
    __tablename__ = "patrol_points"
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    t: Mapped[int] = mapped_column(Integer)  # seconds since the patrol started
    lat: Mapped[int] = mapped_column(Integer)  # microdegrees
    lon: Mapped[int] = mapped_column(Integer)


class PatrolDigestRow(Base):
    """A local day whose morning message to the grid leaders was queued (exactly once)."""

    __tablename__ = "patrol_digests"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, the day reported
    queued_at: Mapped[datetime]
