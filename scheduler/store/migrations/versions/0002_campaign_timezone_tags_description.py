"""Campaign time zone, tags and description, for calendar feeds.

Existing rows get defaults; the next sync fills them in (EXPANSION_VERSION was raised).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("campaign_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timezone", sa.String(), nullable=False, server_default="Asia/Ho_Chi_Minh")
        )
        batch_op.add_column(sa.Column("tags", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:

    with op.batch_alter_table("campaign_version", schema=None) as batch_op:
        batch_op.drop_column("description")
        batch_op.drop_column("tags")
        batch_op.drop_column("timezone")
