"""indexes for the staff pages: deliveries and occurrences by time

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-03

The calendar reads a month of deliveries and occurrences, and the delivery log pages through
deliveries newest first: without these a month or a page reads every row.
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_due", ["due"], unique=False)
    with op.batch_alter_table("occurrence", schema=None) as batch_op:
        batch_op.create_index("ix_occurrence_start", ["start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("occurrence", schema=None) as batch_op:
        batch_op.drop_index("ix_occurrence_start")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_due")
