"""retention: when a case's and a member's personal data were anonymised

`cases.anonymised_at` and `members.anonymised_at` (null: not yet), so the scheduler
anonymises each exactly once (dispatch/service/retention.py).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("anonymised_at")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("anonymised_at")
