"""outbox delivery progress: the parts of a row's delivery already at Telegram

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("parts_done", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("part_chat_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("part_chat_id")
        batch.drop_column("parts_done")
