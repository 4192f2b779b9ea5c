"""SQLAlchemy 2 tables. Works on SQLite (default) and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class GridRow(Base):
    __tablename__ = "grids"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer, index=True)
    parent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)  # GeoJSON geometry
    places: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]


class UnitRow(Base):
    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    categories: Mapped[list[Any]] = mapped_column(JSON)
    grids: Mapped[list[Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]


class MemberRow(Base):
    __tablename__ = "members"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)  # the stable id (migration 0005)
    tg_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[Any]] = mapped_column(JSON)
    grids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    units: Mapped[list[Any]] = mapped_column(JSON, default=list)
    phone: Mapped[str | None] = mapped_column(String(32))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    anonymised_at: Mapped[datetime | None]  # retention (migration 0009)


class CaseCounterRow(Base):
    __tablename__ = "case_counters"
    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CaseRow(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    category: Mapped[str] = mapped_column(String(48), index=True)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    reporter_role: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(500))
    grid_id: Mapped[str | None] = mapped_column(String(64), index=True)
    unit_id: Mapped[str | None] = mapped_column(String(64), index=True)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    on_spot: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[str | None] = mapped_column(String(24))
    nlu_confidence: Mapped[float | None] = mapped_column(Float)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    photos: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{file_id, kind}]
    version: Mapped[int] = mapped_column(Integer, default=0)
    # What the deadline scheduler already did: reminders, escalation step (see deadlines.py).
    sched: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    anonymised_at: Mapped[datetime | None]  # its people's personal data removed (migration 0009)

    __table_args__ = (
        Index("ix_cases_status_due", "status", "due_at"),
        Index("ix_cases_unit_status", "unit_id", "status"),
    )


class CaseEventRow(Base):
    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_role: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    old_status: Mapped[str | None] = mapped_column(String(16))
    new_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class HistoryCaseRow(Base):
    """A case brought in by `gridbot history import`: its id in the older system, and how
    many of its events were replayed (re-importing a file replays only what is new)."""

    __tablename__ = "history_cases"
    external_ref: Mapped[str] = mapped_column(String(128), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    events: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime]


class ChatSubmissionRow(Base):
    """A report submitted from a chat's summary card: (Telegram user, the card's nonce) → its
    case, written in the submit's transaction. A press of the same [提交] delivered again (a
    worker killed after the commit, before the answer; Telegram posts the update once more)
    is answered with the case it made instead of a stale-card alert or a second case."""

    __tablename__ = "chat_submissions"
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    nonce: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]


class MessageRow(Base):
    """The transcript: every message of a conversation, in and out."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(4))  # in / out
    kind: Mapped[str] = mapped_column(String(16))  # text / photo / location / callback / …
    text: Mapped[str] = mapped_column(Text, default="")
    file_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tg_message_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(index=True)


class OutboxRow(Base):
    """A notification to deliver, written in the same transaction as its cause."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending/sent/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    tg_message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None]
    # A relay that took the row; others skip it until the claim expires (crash recovery).
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    # Delivery progress, written as each Bot API call succeeds: how many parts of the row's
    # delivery (card text, photos, location…) are at Telegram, and the chat of its main
    # message (`tg_message_id`). A relay taking the row over continues from the next part.
    parts_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    part_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)


class CardRow(Base):
    """Where a case's card was posted (to edit it in place later)."""

    __tablename__ = "cards"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    tg_message_id: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(16))  # unit / verify / triage / rate
    __table_args__ = (UniqueConstraint("case_id", "chat_id", "purpose"),)


class NluCorrectionRow(Base):
    """A category chosen by a person: a labelled NLU example for the next training."""

    __tablename__ = "nlu_corrections"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    predicted: Mapped[str | None] = mapped_column(String(48))
    category: Mapped[str] = mapped_column(String(48))
    source: Mapped[str] = mapped_column(String(16))  # resident / dispatcher / admin
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime]


class GroupBindingRow(Base):
    """Telegram group ↔ unit, and one-time invite/bind codes."""

    __tablename__ = "invites"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))  # unit_member / grid_worker / bind_group
    target: Mapped[str] = mapped_column(String(64))  # unit id or grid id
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None]


class UnitChatMoveRow(Base):
    """A request to move a unit's work group to another Telegram group (`/bind` in a new group
    while the unit has one): nothing routes there until an admin approves it."""

    __tablename__ = "unit_chat_moves"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    from_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    to_chat_id: Mapped[int] = mapped_column(BigInteger)
    to_chat_title: Mapped[str | None] = mapped_column(String(255))
    requested_by: Mapped[int] = mapped_column(BigInteger)  # Telegram user id
    requested_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending/approved/rejected
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]


class LeaseRow(Base):
    """A named lease: one holder at a time across processes (the scheduler)."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class CaseFollowerRow(Base):
    """Someone who reported the same problem again and follows the case (重复上报)."""

    __tablename__ = "case_followers"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    since: Mapped[datetime]


class ConfigStateRow(Base):
    """A configuration document with its version (name "policy": the closed-loop policy), and
    the counter every configuration change bumps (name "config"): running processes compare
    it with the version they loaded and reload when it moved."""

    __tablename__ = "config_state"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    doc: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str | None] = mapped_column(String(128))


class ConfigAuditRow(Base):
    """One configuration change: when, who (console account, CLI, Telegram), what, before/after."""

    __tablename__ = "config_audit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))  # admin / cli / telegram / system
    actor: Mapped[str] = mapped_column(String(128))
    object_kind: Mapped[str] = mapped_column(String(32), index=True)  # policy / unit / member / …
    object_id: Mapped[str] = mapped_column(String(128), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")  # one line per changed setting
    config_version: Mapped[int] = mapped_column(Integer)


# The console's case list (migration 0002): every filter column paired with the paging key
# (id), so that "filter, newest first, 50 rows" is an index range scan on SQLite and PostgreSQL.
CASE_LIST_INDEXES = (
    Index("ix_cases_admin_status_id", CaseRow.status, CaseRow.id),
    Index("ix_cases_admin_category_id", CaseRow.category, CaseRow.id),
    Index("ix_cases_admin_grid_id", CaseRow.grid_id, CaseRow.id),
    Index("ix_cases_admin_unit_id", CaseRow.unit_id, CaseRow.id),
)

# The submit path (migration 0011): a report's duplicate search reads the window's cases of
# its category, newest first (category, created_at, id), and linking a duplicate counts the
# reports already linked to the original (duplicate_of) — index range scans, whatever the
# number of older cases.
HOT_PATH_INDEXES = (
    Index("ix_cases_category_created_id", CaseRow.category, CaseRow.created_at, CaseRow.id),
    Index("ix_cases_duplicate_of", CaseRow.duplicate_of),
)
