"""history_cases: cases brought in by `gridbot history import`

The external case id (the older system's) → the case, and how many of its events were
replayed, so that importing the same file again changes nothing.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_cases",
        sa.Column("external_ref", sa.String(length=128), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("external_ref"),
        sa.UniqueConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("history_cases")
