"""outbox delivery progress (the parts of a row's delivery already at Telegram); requests to
move a unit's work group (approved by an admin)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.db.orm

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC_DT = dispatch.db.orm.UTCDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("parts_done", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("part_chat_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "unit_chat_moves",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("from_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("to_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("to_chat_title", sa.String(length=255), nullable=True),
        sa.Column("requested_by", sa.BigInteger(), nullable=False),
        sa.Column("requested_at", UTC_DT, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", UTC_DT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_unit_chat_moves_unit_id", "unit_chat_moves", ["unit_id"])


def downgrade() -> None:
    op.drop_index("ix_unit_chat_moves_unit_id", table_name="unit_chat_moves")
    op.drop_table("unit_chat_moves")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("part_chat_id")
        batch.drop_column("parts_done")
