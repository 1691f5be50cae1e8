"""target pace: when the next message to a target may go, shared by every daemon

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.tables import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "target_pace",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=True),
        sa.Column("hold_until", UTCDateTime(), nullable=True),
        sa.Column("busy_until", UTCDateTime(), nullable=True),
        sa.Column("busy_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("channel", "target"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return  # one daemon: a target without a row is free
    # the claim locks a target's row (SKIP LOCKED): every target of the outbox has one
    op.execute(
        "insert into target_pace (channel, target) select distinct channel, target "
        "from delivery on conflict do nothing"
    )
    op.execute(
        """
        create function loa_target_pace() returns trigger language plpgsql as $$
        begin
            insert into target_pace (channel, target) values (new.channel, new.target)
            on conflict do nothing;
            return new;
        end $$
        """
    )
    op.execute(
        "create trigger loa_target_pace after insert or update of channel, target on delivery "
        "for each row execute function loa_target_pace()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("drop trigger loa_target_pace on delivery")
        op.execute("drop function loa_target_pace()")
    op.drop_table("target_pace")
