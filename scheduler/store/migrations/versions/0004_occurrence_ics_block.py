"""occurrence ics block

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("occurrence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ics", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("ics_of", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:

    with op.batch_alter_table("occurrence", schema=None) as batch_op:
        batch_op.drop_column("ics_of")
        batch_op.drop_column("ics")
