"""closed-loop policy document, configuration version counter, configuration audit log

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.db.orm

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC_DT = dispatch.db.orm.UTCDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    state = op.create_table(
        "config_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=True),
        sa.Column("updated_at", UTC_DT, nullable=True),
        sa.Column("updated_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    # Both rows exist from the start, so a change is always an UPDATE (no insert race).
    op.bulk_insert(state, [{"name": "config", "version": 0}, {"name": "policy", "version": 0}])
    op.create_table(
        "config_audit",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", UTC_DT, nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("object_kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=128), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_config_audit_at", "config_audit", ["at"], unique=False)
    op.create_index("ix_config_audit_object_kind", "config_audit", ["object_kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_config_audit_object_kind", table_name="config_audit")
    op.drop_index("ix_config_audit_at", table_name="config_audit")
    op.drop_table("config_audit")
    op.drop_table("config_state")
