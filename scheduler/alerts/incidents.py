"""Incidents: what an operator must act on, one row each however often it is seen.

Anything in loa that meets such a thing says so with ``raise_incident`` (a delivery that failed
for good, a bot that keeps failing, a refused token, file or event), and ``resolve_incident``
once it is over. Raising is cheap and may happen thousands of times in an outage: it only counts.
What the admins are told, and when, is the sender's business (``scheduler.alerts.sender``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, select, update
from sqlalchemy.exc import IntegrityError

from channels.redact import redact
from scheduler.engine.lock import ALERTED, notify
from scheduler.store.tables import Incident

INC = Incident.__table__  # type: ignore[attr-defined]

OPEN = "open"
RESOLVED = "resolved"
DETAIL_LIMIT = 300

# the kinds of incident, each with its catalogue texts alert_<kind> and alert_fix_<kind>
DELIVERY_FAILED = "delivery_failed"  # subject "channel:target": sends failed for good
DELIVERY_MISSED = "delivery_missed"  # subject "channel:target": found past grace (downtime)
CHANNEL_AUTH = "channel_auth"  # subject a channel: the platform refuses its token
BOT_FAILING = "bot_failing"  # subject a channel: its bot keeps failing to reach the platform
TOKEN_REFUSED = "token_refused"  # subject a Zalo OA channel: its refresh token is refused
TOKEN_EXPIRING = "token_expiring"  # subject a Zalo OA channel: renewal fails near expiry
CAMPAIGN_REFUSED = "campaign_refused"  # subject a campaign file: refused, the old one runs
EVENT_UNSCHEDULED = "event_unscheduled"  # subject "type:id": its sequence is not scheduled
# subject a message occurrence's key: due, and held because no approver approved it
APPROVAL_OVERDUE = "approval_overdue"
# subject a message occurrence's key: approved, then edited: it waits for an approver again
APPROVAL_VOIDED = "approval_voided"
KINDS = (
    DELIVERY_FAILED, DELIVERY_MISSED, CHANNEL_AUTH, BOT_FAILING, TOKEN_REFUSED, TOKEN_EXPIRING,
    CAMPAIGN_REFUSED, EVENT_UNSCHEDULED, APPROVAL_OVERDUE, APPROVAL_VOIDED,
)  # fmt: skip

_listeners: list[Callable[[], None]] = []


def on_raised(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` (from any thread) after each incident raised or resolved in this
    process, so the daemon's sender tells the admins at once instead of at its next sweep;
    returns a function that removes it. On PostgreSQL, the same commit notifies every daemon
    (``ALERTED`` on ``loa_wake``): the sender runs on the leader, whichever process raised it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def _tell_listeners() -> None:
    """After the commit: a listener that fails (a daemon stopping) must not fail the raise, or
    its caller would count it again; the sender's sweep tells it all the same."""
    for listener in list(_listeners):
        with contextlib.suppress(Exception):
            listener()


@dataclass(frozen=True)
class Sighting:
    kind: str
    subject: str
    detail: str = ""
    count: int = 1


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def raise_incident(
    db: Engine,
    kind: str,
    subject: str,
    detail: str = "",
    now: dt.datetime | None = None,
    count: int = 1,
) -> None:
    """``kind`` happened ``count`` times to ``subject``: it opens an incident, or counts in the
    open one. ``detail`` (the latest error, a file's ``file:line: message``) is shown to the
    admins, masked of secrets."""
    raise_many(db, [Sighting(kind, subject, detail, count)], now)


def raise_many(db: Engine, sightings: Iterable[Sighting], now: dt.datetime | None = None) -> None:
    """Several sightings in one transaction (a batch of deliveries that failed)."""
    found = list(sightings)
    if not found:
        return
    if any(s.kind not in KINDS for s in found):
        raise ValueError(f"unknown incident kind; use one of {', '.join(KINDS)}")
    when = now or utcnow()
    for _ in range(3):  # another daemon may open the same incident between update and insert
        try:
            with db.begin() as conn:
                for sighting in found:
                    _count(conn, sighting, when)
                notify(conn, ALERTED)  # the leader's sender, wherever it runs
            break
        except IntegrityError:
            continue
    _tell_listeners()


def _count(conn: Connection, s: Sighting, now: dt.datetime) -> None:
    detail = redact(s.detail)[:DETAIL_LIMIT]
    seen = {"last_seen_at": now, "count": INC.c.count + s.count}
    if detail:
        seen["detail"] = detail
    done = conn.execute(
        update(INC).where(INC.c.open_key == _open_key(s.kind, s.subject)).values(seen)
    )
    if done.rowcount == 0:
        conn.execute(
            INC.insert().values(
                kind=s.kind, subject=s.subject, open_key=_open_key(s.kind, s.subject), state=OPEN,
                detail=detail, count=s.count, notified_count=0, opened_at=now, last_seen_at=now,
            )
        )  # fmt: skip


def resolve_incident(db: Engine, kind: str, subject: str, now: dt.datetime | None = None) -> bool:
    """It is over (the file is accepted again, the bot reaches its platform): True if an
    incident was open. The admins who were told it began are told it ended."""
    with db.begin() as conn:
        ended = _resolve(conn, [_open_key(kind, subject)], now or utcnow()) > 0
        if ended:
            notify(conn, ALERTED)
    if ended:
        _tell_listeners()
    return ended


def _resolve(conn: Connection, keys: list[str], now: dt.datetime, quietly: bool = False) -> int:
    values: dict[str, Any] = {"state": RESOLVED, "open_key": None, "resolved_at": now}
    if quietly:  # nothing more to say: the admins were told all there was
        values["last_notified_at"] = now
    done = conn.execute(update(INC).where(INC.c.open_key.in_(keys)).values(values))
    return int(done.rowcount or 0)


def _open_key(kind: str, subject: str) -> str:
    return f"{kind} {subject}"


def open_incidents(db: Engine) -> list[dict[str, Any]]:
    """The open incidents, oldest first, as ``/healthz`` and ``loa status --format json`` show
    them."""
    with db.connect() as conn:
        rows = conn.execute(
            select(INC).where(INC.c.state == OPEN).order_by(INC.c.opened_at, INC.c.id)
        )
        return [
            {
                "kind": r.kind, "subject": r.subject, "opened_at": r.opened_at.isoformat(),
                "last_seen_at": r.last_seen_at.isoformat(), "count": r.count, "detail": r.detail,
            }
            for r in rows
        ]  # fmt: skip


def live(conn: Connection) -> list[Any]:
    """Every incident the sender may have something to say about: the open ones, and the
    resolved ones whose end the admins have not yet heard (having heard its start)."""
    told_end = and_(INC.c.state == RESOLVED, INC.c.last_notified_at < INC.c.resolved_at)
    return list(
        conn.execute(select(INC).where((INC.c.state == OPEN) | told_end).order_by(INC.c.id)).all()
    )
