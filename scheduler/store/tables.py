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


def sqlite_time(value: dt.datetime | None) -> str | None:
    """An aware time as SQLite keeps it: the UTC wall time, as the text SQLAlchemy's DATETIME
    writes (microseconds always), so that times compare as text."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; loa stores aware times only")
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def from_sqlite_time(value: str | None) -> dt.datetime | None:
    """A time SQLite keeps (``sqlite_time``), read back aware, without a regular expression."""
    if value is None:
        return None
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


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

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, straight to the text SQLAlchemy's DATETIME would write (the same format,
        microseconds always): the outbox's hot path binds several times a row."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return sqlite_time

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """On SQLite, the stored text read as UTC at once (no regular expression)."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return from_sqlite_time

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
    # rendered, and waits for an approver (scheduler.approval); never claimed while it waits
    AWAITING = "awaiting_approval"


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
    state: str = Field(default=State.PENDING, sa_column=Column(String(32), nullable=False))
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
    # its file asks for an approver's approval (scheduler.approval): never sent without one
    needs_approval: bool = False
    created_at: dt.datetime = _utc(nullable=False)
    updated_at: dt.datetime = _utc(nullable=False)


class TargetPace(SQLModel, table=True):
    """When the next message to one target may go, shared by every daemon on the store: the
    platform's pacing (Telegram: about one message a second to a chat, 20 a minute to a group)
    and a retry-after it asked for. The claim reads and writes it in its transaction, so the
    pace holds across processes, not only within one. On PostgreSQL every target of the outbox
    has a row (a trigger adds it with the first delivery): the claim locks it."""

    __tablename__ = "target_pace"

    channel: str = Field(primary_key=True)
    target: str = Field(primary_key=True)
    next_at: dt.datetime | None = _utc(nullable=True)  # paced: no next message before then
    hold_until: dt.datetime | None = _utc(nullable=True)  # the platform said wait (retry-after)
    # a daemon is sending to the target until it says it is done, or until then (its lease,
    # renewed while it lives): no other message to the target is claimed meanwhile
    busy_until: dt.datetime | None = _utc(nullable=True)
    busy_by: str | None = None


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


class Approval(SQLModel, table=True):
    """The latest decision on a delivery that waits for approval, bound to what it sends: the
    hash of its text, image, channel and target (``scheduler.approval``). An edit after it
    makes the hash differ, and the delivery waits again. Every decision is also audited."""

    __tablename__ = "approval"

    key: str = Field(primary_key=True)  # the delivery's
    content: str  # the hash of what was approved (or rejected)
    decision: str = Field(sa_column=Column(String(16), nullable=False))  # approved, rejected
    user: str  # the loa user who decided
    source: str  # web, cli, or the chat channel
    address: str  # the browser's address, the OS user, the chat user's id
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    at: dt.datetime = _utc(nullable=False)


class EventRecord(SQLModel, table=True):
    """An event that starts a trigger's sequence (a storm warning): stored once by its id,
    whoever sent it and however often, with where it came from (``scheduler.events``)."""

    __tablename__ = "event"

    id: str = Field(primary_key=True)  # the sender's id ("bao-3-2026"): one event, one sequence
    type: str = Field(index=True)  # "canh-bao-bao"
    at: dt.datetime = _utc(nullable=False)  # when it happened; the sequence is timed from it
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # JSON
    source: str  # "cli", "http", "chat" or "web" (scheduler.events.intake.SOURCES)
    sender: str = ""  # who: a user name, an HTTP source's name, a chat user
    state: str = "active"  # or "cancelled"
    cancel_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    received_at: dt.datetime = _utc(nullable=False)
    updated_at: dt.datetime = _utc(nullable=False)


class WebUser(SQLModel, table=True):
    """A person who signs in to loa's pages (``loa user add``), with the role that says what
    they may do there. Only an argon2 hash of the password is kept."""

    __tablename__ = "web_user"

    name: str = Field(primary_key=True)  # as typed at sign-in, NFC and lower case
    role: str  # viewer, editor, approver or admin (scheduler.users.ROLES)
    password_hash: str
    created_at: dt.datetime = _utc(nullable=False)
    updated_at: dt.datetime = _utc(nullable=False)


class WebSession(SQLModel, table=True):
    """A signed-in browser. Kept in the database so that any daemon sharing it knows the
    session, and a sign-out ends it everywhere; the cookie's id is stored only as a hash."""

    __tablename__ = "web_session"

    key: str = Field(primary_key=True)  # sha256 of the cookie's random id
    user: str = Field(index=True)
    csrf: str  # the session's form token (synchronizer token)
    address: str  # where it signed in from
    created_at: dt.datetime = _utc(nullable=False)
    seen_at: dt.datetime = _utc(nullable=False, index=True)  # idle expiry counts from here


class SigninFailure(SQLModel, table=True):
    """A wrong password, kept a minute: sign-in is slowed per user and per address across
    every daemon sharing the database."""

    __tablename__ = "signin_failure"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _utc(nullable=False, index=True)
    user: str = Field(index=True)
    address: str = Field(index=True)


class Meta(SQLModel, table=True):
    """Small facts the daemon keeps between runs (last recovery report, schema notes)."""

    __tablename__ = "meta"

    name: str = Field(primary_key=True)
    value: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class DaemonEntry(SQLModel, table=True):
    """A running ``loa run``: it writes its row at start, renews ``seen_at`` with its lease
    heartbeat (by the database's clock on PostgreSQL) and removes it on a clean stop. A row
    not renewed for a lease is a daemon that died; ``loa status`` and /healthz list the others.
    """

    __tablename__ = "daemon"

    id: str = Field(primary_key=True)  # "<host>:<pid>-<random>", also its claims' claimed_by
    host: str
    pid: int
    started_at: dt.datetime = _utc(nullable=False)
    seen_at: dt.datetime = _utc(nullable=False)


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


class Incident(SQLModel, table=True):
    """Something an operator must act on (a target that keeps failing, a refused token, a
    refused campaign file), seen ``count`` times: one row per incident, however often it is
    seen, so its alerts are grouped and rate-limited (``scheduler.alerts``)."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_state", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    subject: str  # what it is about: "channel:target", a channel, a file, an event
    # "<kind> <subject>" while open, NULL once resolved: at most one open incident per subject,
    # even when several daemons see it at once
    open_key: str | None = Field(default=None, unique=True)
    state: str = Field(default="open", sa_column=Column(String(16), nullable=False))
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    count: int = 1
    notified_count: int = 0  # ``count`` when the admins were last told
    opened_at: dt.datetime = _utc(nullable=False)
    last_seen_at: dt.datetime = _utc(nullable=False)
    last_notified_at: dt.datetime | None = _utc(nullable=True)
    resolved_at: dt.datetime | None = _utc(nullable=True)
