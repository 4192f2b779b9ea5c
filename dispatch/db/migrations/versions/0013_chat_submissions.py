"""chat_submissions: a chat report's (user, summary-card nonce) → its case, so a [提交] press
delivered twice makes one case

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_submissions",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "nonce"),
    )
    op.create_index("ix_chat_submissions_case_id", "chat_submissions", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_chat_submissions_case_id", table_name="chat_submissions")
    op.drop_table("chat_submissions")
