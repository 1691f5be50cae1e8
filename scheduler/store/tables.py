"""The database tables: the one source of truth for what must be sent and what was sent.

Times are stored as UTC and read back timezone-aware on every backend (``UTCDateTime``): a
``timestamptz`` on PostgreSQL, a naive UTC ``DATETIME`` text on SQLite (its format unchanged).
Schema changes go through the migrations in ``scheduler/store/migrations``; a test checks that they
add up to these tables.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime, Index, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the database keeps.

    PostgreSQL keeps an instant (``timestamptz``), so its clock and comparisons need no
    convention; SQLite has no such type and keeps the UTC wall time.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(DateTime(timezone=dialect.name == "postgresql"))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; loa stores aware times only")
        utc = value.astimezone(dt.UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class State(StrEnum):
    PENDING = "pending"  # waiting for its due time
    SENDING = "sending"  # claimed by a daemon, handed to the channel
    SENT = "sent"
    RETRYING = "retrying"  # a transient error; next try at next_attempt_at
    FAILED = "failed"  # a permanent error, or too many tries; `loa retry` sends it again
    MISSED = "missed"  # found later than its grace period after downtime; not sent
    CANCELLED = "cancelled"  # removed from its campaign, or cancelled by a person
    HELD = "held"  # its campaign is paused


ACTIVE_STATES = (State.PENDING, State.RETRYING)
REMOVED = "removed"  # campaign_version.digest of a campaign whose file was deleted


def still_active(state: Any) -> Any:
    """``state`` is pending or retrying, said as NOT IN so that SQLite looks rows up by their
    key or campaign: with ``state IN (…)`` it walks the state index over every waiting row."""
    return state.not_in([s for s in State if s not in ACTIVE_STATES])


def _utc(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class CampaignVersion(SQLModel, table=True):
    """A campaign as last synced: which file, which content, how far ahead it is expanded."""

    __tablename__ = "campaign_version"

    campaign: str = Field(primary_key=True)
    digest: str
    title: str
    source: str
    grace_seconds: int = 3600
    timezone: str = "Asia/Ho_Chi_Minh"
    tags: str = ""  # one tag per line
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    synced_from: dt.datetime | None = _utc(nullable=True)
    synced_until: dt.datetime | None = _utc(nullable=True)
    paused: bool = False  # an admin's /pause: its coming deliveries are held until /resume
    updated_at: dt.datetime = _utc(nullable=False)


class Occurrence(SQLModel, table=True):
    """An activity or deadline occurrence, for feeds and bot answers."""

    __tablename__ = "occurrence"
    __table_args__ = (
        Index("ix_occurrence_campaign_start", "campaign", "start"),
        Index("ix_occurrence_start", "start"),  # a month of the calendar
    )

    key: str = Field(primary_key=True)
    campaign: str
    kind: str  # "activity" or "deadline"
    item: str
    occurrence: str
    title: str
    start: dt.datetime = _utc(nullable=False)
    end: dt.datetime | None = _utc(nullable=True)
    all_day: bool = False
    location: str = ""
    lead: str = ""
    partners: str = ""  # one unit per line
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    url: str = ""
    tags: str = ""  # one tag per line
    content_hash: str = ""
    sequence: int = 0  # raised on every change, for iCalendar SEQUENCE
    status: str = "confirmed"  # or "cancelled"
    updated_at: dt.datetime = _utc(nullable=False)
    # the serialised VEVENT, written by sync with the row, and what it was written for
    ics: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    ics_of: str = ""


class Delivery(SQLModel, table=True):
    """The outbox: one message to one target at one time, and everything that happened to it."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_state_next", "state", "next_attempt_at"),
        Index("ix_delivery_campaign", "campaign"),
        Index("ix_delivery_target_due", "channel", "target", "due"),
        Index("ix_delivery_due", "due"),  # the calendar's month, the log's pages
    )

    key: str = Field(primary_key=True)
    message_key: str
    campaign: str
    item: str
    occurrence: str
    channel: str
    target: str = ""
    due: dt.datetime = _utc(nullable=False)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    image: str = ""  # an https URL or a file path, sent with the text
    content_hash: str = ""
    state: str = Field(default=State.PENDING, sa_column=Column(String(16), nullable=False))
    attempts: int = 0
    next_attempt_at: dt.datetime | None = _utc(nullable=True)  # the due time, or the next retry
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    provider_message_id: str | None = None
    sent_at: dt.datetime | None = _utc(nullable=True)
    claimed_by: str | None = None
    claimed_at: dt.datetime | None = _utc(nullable=True)
    # while ``sending``: the claim holds until then; its daemon renews it while it lives, and
    # a rescuer takes back a claim past it (the daemon that held it is gone)
    lease_until: dt.datetime | None = _utc(nullable=True)
    grace_seconds: int = 3600
    possible_duplicate: bool = False  # re-sent after a crash caught it in flight
    cancel_reason: str = ""  # "removed" (by sync) or "user"
    created_at: dt.datetime = _utc(nullable=False)
    updated_at: dt.datetime = _utc(nullable=False)


class Subscription(SQLModel, table=True):
    """A chat that asked for a campaign's messages with /subscribe, and why it stopped."""

    __tablename__ = "subscription"
    __table_args__ = (Index("ix_subscription_campaign_active", "campaign", "active"),)

    channel: str = Field(primary_key=True)  # the loa channel the chat talks to loa through
    chat: str = Field(primary_key=True)  # the platform's chat id
    campaign: str = Field(primary_key=True)
    active: bool = True
    ended_reason: str = ""  # "unsubscribed", or why the platform refused (the bot was blocked)
    created_at: dt.datetime = _utc(nullable=False)
    updated_at: dt.datetime = _utc(nullable=False)


class Chat(SQLModel, table=True):
    """A chat that wrote to a bot: its chosen language, and when it last wrote (on Zalo OA a
    user's message opens a window in which replies are free)."""

    __tablename__ = "chat"

    channel: str = Field(primary_key=True)
    chat: str = Field(primary_key=True)
    language: str = ""  # set with /lang; "" follows the user's app, then config.toml
    last_inbound_at: dt.datetime | None = _utc(nullable=True)


class AnsweredUpdate(SQLModel, table=True):
    """An update a bot has answered, kept a few days: platforms post a webhook again until it
    is acknowledged, over several connections and out of order, and a restart must not answer
    it twice (polling also keeps its offset in ``meta``)."""

    __tablename__ = "answered_update"

    channel: str = Field(primary_key=True)
    key: str = Field(primary_key=True)  # "#<update number>", or the platform's message id
    at: dt.datetime = _utc(nullable=False, index=True)


class AuditEntry(SQLModel, table=True):
    """One admin command: who asked, what, when, and what came of it (``loa audit``)."""

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _utc(nullable=False, index=True)
    channel: str
    chat: str
    user: str
    command: str
    arguments: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    result: str  # "ok", "refused" or "error"
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Meta(SQLModel, table=True):
    """Small facts the daemon keeps between runs (last recovery report, schema notes)."""

    __tablename__ = "meta"

    name: str = Field(primary_key=True)
    value: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ReportStatus(SQLModel, table=True):
    """One unit's report for one deadline occurrence: owed (written by sync), submitted (by
    /nop, ``loa report submit`` or the web page), and escalated once when overdue."""

    __tablename__ = "report_status"
    __table_args__ = (Index("ix_report_status_campaign_deadline", "campaign", "deadline"),)

    key: str = Field(primary_key=True)  # the deadline occurrence's key
    unit: str = Field(primary_key=True)  # the unit's id (its name as written without registry)
    campaign: str
    deadline: str
    occurrence: str
    title: str = ""
    role: str = ""  # "lead" or "partner": an overdue partner is escalated to the lead
    due: dt.datetime = _utc(nullable=False)
    overdue_at: dt.datetime = _utc(nullable=False)  # after the last day
    items: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    submitted_at: dt.datetime | None = _utc(nullable=True)
    submitted_by: str = ""
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    escalated_at: dt.datetime | None = _utc(nullable=True)
    updated_at: dt.datetime = _utc(nullable=False)
