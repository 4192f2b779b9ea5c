"""The tables of the ways in besides chat: 12345 hotline orders and the Open311 API.

Same `Base` as the dispatch tables, so Alembic (migration 0007) sees them. What a caller or an
API client tells about themselves (name, phone, email) lives here, never on the case: a unit
reads the case, not these rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db.orm import Base, BigId


class HotlineOrderRow(Base):
    """One 12345 work order (工单), keyed by the hotline's order number. `case_id` is null for
    orders recorded without a case (咨询 / 建议 / 表扬)."""

    __tablename__ = "hotline_orders"
    order_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the normalised row
    received_at: Mapped[datetime] = mapped_column(index=True)  # 受理时间
    kind: Mapped[str] = mapped_column(String(16))  # 诉求类型 as given ("" = not given)
    text: Mapped[str] = mapped_column(Text)  # 诉求内容 as given
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(64))
    caller_name: Mapped[str | None] = mapped_column(String(100))  # private: the call-back only
    caller_phone: Mapped[str | None] = mapped_column(String(40))  # private: the call-back only
    imports: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ApiKeyRow(Base):
    """An Open311 client's key. Only its SHA-256 is stored; the key is shown once."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # the reporter
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Open311RequestRow(Base):
    """A service request posted through the API: its token and the requester's private
    details (kept for the call-back, never shown to units)."""

    __tablename__ = "open311_requests"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    key_name: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    device_id: Mapped[str | None] = mapped_column(String(100))
    account_id: Mapped[str | None] = mapped_column(String(100))
    media_url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]


class ApiAuditRow(Base):
    """Every request to the API, with the name of the key it came with (if any)."""

    __tablename__ = "api_audit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    key_name: Mapped[str | None] = mapped_column(String(64), index=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    status: Mapped[int] = mapped_column(Integer)
    client: Mapped[str | None] = mapped_column(String(64))
