"""patrols: patrols (巡查), their track points, the days whose morning message went out

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "patrols",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("member_id", BIG_ID, nullable=False),
        sa.Column("tg_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("grids", sa.JSON(), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("live_until", WHEN, nullable=True),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("last_seen", WHEN, nullable=True),
        sa.Column("last_t", sa.Integer(), nullable=True),
        sa.Column("last_lat", sa.Integer(), nullable=True),
        sa.Column("last_lon", sa.Integer(), nullable=True),
        sa.Column("last_inside", sa.Boolean(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("inside_s", sa.Float(), nullable=False),
        sa.Column("fence", sa.JSON(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("track_deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_patrols_open_tg", "patrols", ["tg_id", "ended_at"])
    op.create_index("ix_patrols_member_started", "patrols", ["member_id", "started_at"])
    op.create_index("ix_patrols_ended", "patrols", ["ended_at"])
    op.create_table(
        "patrol_points",
        sa.Column("patrol_id", BIG_ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("t", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrols.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("patrol_id", "seq"),
    )
    op.create_table(
        "patrol_digests",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("queued_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("patrol_digests")
    op.drop_table("patrol_points")
    op.drop_index("ix_patrols_ended", table_name="patrols")
    op.drop_index("ix_patrols_member_started", table_name="patrols")
    op.drop_index("ix_patrols_open_tg", table_name="patrols")
    op.drop_table("patrols")
