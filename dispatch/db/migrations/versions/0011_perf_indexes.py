"""indexes for the submit path: the duplicate search's window and the linked-report count

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_category_created_id", "cases", ["category", "created_at", "id"])
    op.create_index("ix_cases_duplicate_of", "cases", ["duplicate_of"])


def downgrade() -> None:
    op.drop_index("ix_cases_duplicate_of", table_name="cases")
    op.drop_index("ix_cases_category_created_id", table_name="cases")
