"""chat bots: subscriptions, chats, the audit log, paused campaigns

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "subscription",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("chat", sa.String(), nullable=False),
        sa.Column("campaign", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ended_reason", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat", "campaign"),
    )
    op.create_index(
        "ix_subscription_campaign_active", "subscription", ["campaign", "active"], unique=False
    )
    op.create_table(
        "chat",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("chat", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("last_inbound_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("channel", "chat"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("chat", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("command", sa.String(), nullable=False),
        sa.Column("arguments", sa.Text(), nullable=False),
        sa.Column("result", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_at", "audit", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_at", table_name="audit")
    op.drop_table("audit")
    op.drop_table("chat")
    op.drop_index("ix_subscription_campaign_active", table_name="subscription")
    op.drop_table("subscription")
    with op.batch_alter_table("campaign_version", schema=None) as batch_op:
        batch_op.drop_column("paused")
