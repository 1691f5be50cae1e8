"""The alert sender: one job that tells the admins about incidents, few messages for many
sightings.

An incident is told when it opens; while it goes on, at most one summary with its count every
``summary`` (config.toml's ``[alerts] summary_seconds``); when it ends, once more. All that is
due at one run goes to each target as one message, and no target gets more than
``max_per_hour`` in an hour: a 2-hour outage that fails 500 deliveries gives a handful of
messages, not 500.

Alerts are ordinary outbox deliveries (campaign ``ALERTS``): they are sent, retried and
recorded like any other message, and shown by ``loa deliveries``. An alert about a failing
channel (or a target on it) goes to the alert targets on other channels; only when every
target is on that channel is it tried there too. Every alert is also written to the log, which
depends on no platform. The failures of alert deliveries themselves raise no incident, so an
alert cannot feed on itself.

The job is run by one daemon (with several, the leader): ``run_once`` is all it does.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, func, select, update

from campaigns import markup
from campaigns.dates import format_datetime
from campaigns.expand import Dispatch, delivery_key
from campaigns.i18n import t
from scheduler.alerts import incidents
from scheduler.alerts.incidents import (
    APPROVAL_OVERDUE,
    APPROVAL_VOIDED,
    BOT_FAILING,
    CHANNEL_AUTH,
    DELIVERY_FAILED,
    DELIVERY_MISSED,
    INC,
    RESOLVED,
    TOKEN_EXPIRING,
    TOKEN_REFUSED,
)
from scheduler.engine.lock import SENDER_LOCK, one_at_a_time
from scheduler.store import outbox
from scheduler.store.tables import Delivery, State

log = logging.getLogger("loa.alerts")
D = Delivery.__table__  # type: ignore[attr-defined]

ALERTS = "_alerts"  # the campaign of alert deliveries (no campaign file can take this id)
GRACE = dt.timedelta(days=1)  # an alert sent late still tells what happened
SHOWN = 10  # incidents told in one message; the rest are counted, ``loa status`` lists them
TARGET_KINDS = (DELIVERY_FAILED, DELIVERY_MISSED)  # subject "channel:target"
CHANNEL_KINDS = (CHANNEL_AUTH, BOT_FAILING, TOKEN_REFUSED, TOKEN_EXPIRING)  # subject a channel
RESEND_KINDS = (DELIVERY_FAILED, CHANNEL_AUTH)  # once over, what failed waits for ``loa retry``
APPROVAL_KINDS = (APPROVAL_OVERDUE, APPROVAL_VOIDED)  # told to the approvers' chats too

Route = tuple[str, str]  # (channel, target)


@dataclass(frozen=True)
class Policy:
    summary: dt.timedelta = dt.timedelta(minutes=30)
    max_per_hour: int = 12


@dataclass(frozen=True)
class Note:
    """One thing to tell about one incident: it began, it goes on, or it ended."""

    incident: Any
    phase: str  # "open", "still" or "resolved"

    @property
    def channel(self) -> str | None:
        """The channel the incident is about, which its alert should not depend on."""
        kind, subject = self.incident.kind, self.incident.subject
        if kind in TARGET_KINDS:
            return str(subject.partition(":")[0])
        return str(subject) if kind in CHANNEL_KINDS else None


def subject_of(channel: str, target: str) -> str:
    """The subject of an incident about one target, as ``loa deliveries`` writes it."""
    return f"{channel}:{target}" if target else channel


class AlertSender:
    def __init__(
        self,
        db: Engine,
        routes: Sequence[Route],
        tz: ZoneInfo,
        policy: Policy | None = None,
        clock: Callable[[], dt.datetime] = incidents.utcnow,
        approvers: Sequence[Route] = (),
    ) -> None:
        """``approvers``: the approvers' own chats, told only what waits for them
        (``APPROVAL_KINDS``); ``routes`` are told everything."""
        self.db = db
        self.routes = list(routes)
        self.approvers = [r for r in approvers if r not in self.routes]
        self.tz = tz
        self.policy = policy or Policy()
        self.clock = clock

    def run_once(self) -> int:
        """Close what is over, tell what is due; the number of alert deliveries queued."""
        now = self.clock()
        with self.db.begin() as conn:
            # two at once (the lead changing hands): the second reads what the first told
            one_at_a_time(conn, SENDER_LOCK)
            self._close_what_is_over(conn, now)
            notes = [n for row in incidents.live(conn) if (n := self._due(row, now)) is not None]
            if not notes:
                return 0
            told, queued = self._queue(conn, notes, now)
            for note in told:
                conn.execute(
                    update(INC)
                    .where(INC.c.id == note.incident.id)
                    .values(last_notified_at=now, notified_count=note.incident.count)
                )
        for note in told:
            log.warning(
                "alert",
                extra={"incident": note.incident.kind, "subject": note.incident.subject,
                       "phase": note.phase, "count": note.incident.count,
                       "text": self._lines(note)[0]},
            )  # fmt: skip
        return queued

    # -- what is due -------------------------------------------------------------------------

    def _due(self, row: Any, now: dt.datetime) -> Note | None:
        if row.state == RESOLVED:
            return Note(row, "resolved")
        if row.last_notified_at is None:
            return Note(row, "open")
        if row.count > row.notified_count and now - row.last_notified_at >= self.policy.summary:
            return Note(row, "still")
        return None

    def _close_what_is_over(self, conn: Connection, now: dt.datetime) -> None:
        """A target or channel that sent a message since it was last seen failing works again;
        missed deliveries are a thing of the past once told and not seen for a while."""
        over, quiet = [], []
        for row in conn.execute(select(INC).where(INC.c.state == incidents.OPEN)).all():
            if row.kind == DELIVERY_MISSED:
                told = row.last_notified_at is not None and row.notified_count == row.count
                if told and now - row.last_seen_at >= self.policy.summary:
                    quiet.append(row.open_key)
            elif row.kind in (DELIVERY_FAILED, CHANNEL_AUTH):
                channel, _, target = row.subject.partition(":")
                where = [D.c.channel == channel, D.c.state == State.SENT]
                where += [D.c.sent_at > row.last_seen_at]
                if row.kind == DELIVERY_FAILED:
                    where.append(D.c.target == target)
                if conn.execute(select(D.c.key).where(and_(*where)).limit(1)).first():
                    over.append(row.open_key)
        if over:
            incidents._resolve(conn, over, now)
        if quiet:
            incidents._resolve(conn, quiet, now, quietly=True)

    # -- telling -----------------------------------------------------------------------------

    def _queue(
        self, conn: Connection, notes: list[Note], now: dt.datetime
    ) -> tuple[list[Note], int]:
        """One message per target of what is due for it; (the notes told, rows queued). A note
        whose every target is at its hourly cap waits for a later run; one with no target at
        all (no ``[alerts] targets``) is told in the log alone."""
        told: dict[int, Note] = {n.incident.id: n for n in notes if not self.routes}
        rows = []
        stamp = now.isoformat()
        for channel, target in [*self.routes, *self.approvers]:
            if self._sent_last_hour(conn, channel, target, now) >= self.policy.max_per_hour:
                continue
            approver = (channel, target) in self.approvers
            mine = [
                n
                for n in notes
                if self._goes_to(n, channel) and (not approver or n.incident.kind in APPROVAL_KINDS)
            ]
            if not mine:
                continue
            told.update((n.incident.id, n) for n in mine)
            message_key = f"{ALERTS}:{stamp}"
            dispatch = Dispatch(
                key=delivery_key(message_key, channel, target), message_key=message_key,
                campaign=ALERTS, item="alert", occurrence=stamp, channel=channel,
                target=target, due=now, text=self._text(mine),
            )  # fmt: skip
            rows.append(outbox.delivery_row(dispatch, GRACE, now))
        for values in rows:
            conn.execute(D.insert().values(**values))
        return list(told.values()), len(rows)

    def _goes_to(self, note: Note, channel: str) -> bool:
        """Not through the channel the incident is about, unless every target is on it."""
        if note.channel is None or note.channel != channel:
            return True
        return all(c == note.channel for c, _ in self.routes)

    def _sent_last_hour(self, conn: Connection, channel: str, target: str, now: dt.datetime) -> int:
        since = now - dt.timedelta(hours=1)
        where = and_(D.c.campaign == ALERTS, D.c.channel == channel, D.c.target == target,
                     D.c.created_at > since)  # fmt: skip
        return int(conn.execute(select(func.count()).where(where)).scalar() or 0)

    def _text(self, notes: list[Note]) -> str:
        lines = [line for note in notes[:SHOWN] for line in self._lines(note)]
        if len(notes) > SHOWN:
            lines.append(t("alert_more", count=len(notes) - SHOWN))
        return markup.literal("\n".join(lines))

    def _lines(self, note: Note) -> list[str]:
        row = note.incident
        since = format_datetime(row.opened_at.astimezone(self.tz))
        if note.phase == "resolved":
            lines = ["✅ " + t("alert_resolved", subject=row.subject, count=row.count, since=since)]
            if row.kind in RESEND_KINDS:
                lines.append("   → " + t("alert_fix_resend"))
            return lines
        head = "⚠️ " + headline(row.kind, row.subject, row.count, row.detail)
        if note.phase == "still":
            head += " " + t("alert_still", count=row.count, since=since)
        return [head, "   → " + fix(row.kind, row.subject)]


def headline(kind: str, subject: str, count: int, detail: str, lang: str | None = None) -> str:
    """What happened, as the admins read it (in an alert, in ``loa status``, on the status page)."""
    return t(f"alert_{kind}", lang, subject=subject, count=count, detail=detail[:200] or "—")


def fix(kind: str, subject: str, lang: str | None = None) -> str:
    """The command (and what else) that fixes it."""
    return t(f"alert_fix_{kind}", lang, subject=subject)
