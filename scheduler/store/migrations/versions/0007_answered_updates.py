"""bots: the updates answered, so a webhook posted again is answered once across restarts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answered_update",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "key"),
    )
    op.create_index("ix_answered_update_at", "answered_update", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_answered_update_at", table_name="answered_update")
    op.drop_table("answered_update")
