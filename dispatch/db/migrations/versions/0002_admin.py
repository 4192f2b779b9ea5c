"""admin console: accounts, sessions, case-list indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.db.orm

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_DT = dispatch.db.orm.UTCDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CASE_LIST_INDEXES = {
    "ix_cases_admin_status_id": ["status", "id"],
    "ix_cases_admin_category_id": ["category", "id"],
    "ix_cases_admin_grid_id": ["grid_id", "id"],
    "ix_cases_admin_unit_id": ["unit_id", "id"],
}


def upgrade() -> None:
    op.create_table(
        "admin_users",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("member_id", BIG_ID, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTC_DT, nullable=True),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("last_login_at", UTC_DT, nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "admin_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("last_seen_at", UTC_DT, nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
        sa.Column("flash", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["admin_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_admin_sessions_user_id", ["user_id"], unique=False)
        batch_op.create_index("ix_admin_sessions_expires_at", ["expires_at"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, columns in CASE_LIST_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name in CASE_LIST_INDEXES:
            batch_op.drop_index(name)
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_sessions_expires_at")
        batch_op.drop_index("ix_admin_sessions_user_id")
    op.drop_table("admin_sessions")
    op.drop_table("admin_users")
