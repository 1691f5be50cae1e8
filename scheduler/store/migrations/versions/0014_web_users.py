"""web users, sessions and wrong-password memory: sign-in to loa's pages

Revision ID: 0014
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.tables import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_user",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "web_session",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("csrf", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_web_session_user", "web_session", ["user"], unique=False)
    op.create_index("ix_web_session_seen_at", "web_session", ["seen_at"], unique=False)
    op.create_table(
        "signin_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signin_failure_at", "signin_failure", ["at"], unique=False)
    op.create_index("ix_signin_failure_user", "signin_failure", ["user"], unique=False)
    op.create_index("ix_signin_failure_address", "signin_failure", ["address"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_signin_failure_address", table_name="signin_failure")
    op.drop_index("ix_signin_failure_user", table_name="signin_failure")
    op.drop_index("ix_signin_failure_at", table_name="signin_failure")
    op.drop_table("signin_failure")
    op.drop_index("ix_web_session_seen_at", table_name="web_session")
    op.drop_index("ix_web_session_user", table_name="web_session")
    op.drop_table("web_session")
    op.drop_table("web_user")
