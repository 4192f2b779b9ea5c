"""members get a stable id (ref); the Telegram id becomes optional

Every member had a Telegram id as their identity. Now a person has a stable string id
(`ref`): given in the members file, or `tg-<telegram id>` for someone who first wrote to the
bot. Console accounts' members had a made-up negative Telegram id; they become
`console-<username>` without one.

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
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("ref", sa.String(length=64), nullable=True))
    op.execute("UPDATE members SET ref = 'tg-' || CAST(tg_id AS VARCHAR(32))")
    op.execute(
        "UPDATE members SET ref = 'console-' || (SELECT username FROM admin_users"
        " WHERE admin_users.member_id = members.id), tg_id = NULL"
        " WHERE tg_id < 0 AND EXISTS (SELECT 1 FROM admin_users WHERE admin_users.member_id = members.id)"
    )
    with op.batch_alter_table("members") as batch:
        batch.alter_column("ref", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("tg_id", existing_type=sa.BigInteger(), nullable=True)
        batch.create_unique_constraint("uq_members_ref", ["ref"])


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_constraint("uq_members_ref", type_="unique")
        batch.drop_column("ref")
