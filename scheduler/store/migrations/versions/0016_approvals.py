"""approvals: deliveries that wait for an approver, and the decisions bound to their text

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

``awaiting_approval`` is a state of 17 letters: the delivery's state column grows to 32.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.tables import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.alter_column(
            "state", existing_type=sa.String(length=16), type_=sa.String(length=32),
            existing_nullable=False,
        )  # fmt: skip
        batch_op.add_column(
            sa.Column("needs_approval", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "approval",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("content", sa.String(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("approval")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("needs_approval")
        batch_op.alter_column(
            "state", existing_type=sa.String(length=32), type_=sa.String(length=16),
            existing_nullable=False,
        )  # fmt: skip
