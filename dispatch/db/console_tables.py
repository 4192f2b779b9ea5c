"""The console's tables: console accounts and their sessions.

Same `Base` as the dispatch tables, so Alembic (migration 0002) sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db.orm import Base, BigId

ROLES = ("admin", "dispatcher", "viewer")


class AdminUserRow(Base):
    """A console account. Users who act on cases (dispatcher, admin) are linked to a member:
    the commands take a member as their actor, so the timeline names who did it."""

    __tablename__ = "admin_users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # admin / dispatcher / viewer
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class AdminSessionRow(Base):
    """A login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "admin_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(token) hex
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    flash: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
