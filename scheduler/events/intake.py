"""The one way an event comes in: the CLI (``loa trigger``), the HTTP endpoint and the chat
command all call ``intake`` with the event and who sent it from where.

It checks the event against the triggers of the campaign files (its type, its id, its time, its
data against the declared fields) and answers ``Refused`` with a sentence naming the field at
fault, writing nothing. Otherwise, in one transaction:

- a new id is stored and its sequence is added to the outbox (ordinary deliveries: claimed,
  sent, retried and recorded like any other);
- an id stored already with the same data and time starts nothing new (a sender that posts
  again after a timeout, or two posts at once: the event's primary key lets one of them in,
  and the other waits for it and finds it there);
- an id stored already with new data or a new time updates what is still waiting, by key;
- ``Cancelling`` stops what is still waiting, marked ``cancelled`` with the reason.

The event also becomes an occurrence in the feeds and ``loa plan`` (kind ``event``).

An accepted event whose sequence will not go out whole is an incident for the admins
(``alerts.EVENT_UNSCHEDULED``, subject ``type:id``): a message that reaches no chat (a unit named
in the data has none), a text that failed to render for this data (its deliveries are stored
``failed``), or a database that failed midway (nothing was written: the transaction is whole).
An update that puts it right ends the incident.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select, update

from campaigns.i18n import t
from campaigns.model import Campaign, ChannelCatalog
from campaigns.sequence import DataProblem, Event, Started, clean_data, start
from campaigns.timeexpr import ID_PATTERN
from campaigns.triggers import MARK, Trigger
from scheduler import alerts, subscriptions
from scheduler.store.db import fresh_statistics, upsert
from scheduler.store.tables import CampaignVersion, Delivery, EventRecord, Occurrence, State
from scheduler.sync import (
    EDITABLE,
    edit_statement,
    edit_values,
    hash_parts,
    hashed_delivery_row,
    one_per_chat,
    settle_approvals,
    where_chats_are,
    with_feed_block,
    with_subscribers,
)

E = EventRecord.__table__  # type: ignore[attr-defined]
D = Delivery.__table__  # type: ignore[attr-defined]
O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741
V = CampaignVersion.__table__  # type: ignore[attr-defined]

SOURCES = ("cli", "http", "chat", "web")  # "web": the form on a campaign's staff page
ACTIVE, CANCELLED = "active", "cancelled"
CANCEL_REASON = "event"  # delivery.cancel_reason of what a cancelled event stopped
EVENT_KIND = "event"  # occurrence.kind
MAX_ID = 120
MAX_AWAY = dt.timedelta(days=366)  # an event's time, from now: past or future


@dataclass(frozen=True)
class Sender:
    source: str  # one of SOURCES
    who: str  # a user name, an HTTP source's name, "telegram:<user>"


@dataclass(frozen=True)
class Occurred:
    """An event: its type, the sender's id for it (None: a new one), when (None: now), data."""

    type: str
    id: str | None = None
    at: dt.datetime | None = None
    data: Mapping[str, object] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Cancelling:
    id: str
    reason: str = ""


@dataclass(frozen=True)
class Planned:
    """One delivery of the event, as it stands after the intake."""

    key: str
    channel: str
    target: str
    due: dt.datetime
    state: str
    text: str = ""  # as it will be sent (empty: the template failed, see the delivery's error)


@dataclass(frozen=True)
class Accepted:
    id: str
    type: str
    outcome: str  # "started", "unchanged", "updated", "cancelled"
    at: dt.datetime
    deliveries: tuple[Planned, ...] = ()
    cancelled: int = 0  # deliveries stopped (a cancel, or an update that no longer needs them)
    problems: tuple[Unscheduled, ...] = ()  # what of the sequence will not go out

    def sentence(self, lang: str | None = None) -> str:
        waiting = sum(1 for d in self.deliveries if d.state in EDITABLE)
        said = t(f"event_{self.outcome}", lang, id=self.id, type=self.type, count=waiting,
                 cancelled=self.cancelled)  # fmt: skip
        if self.problems:
            listed = "; ".join(p.sentence(lang) for p in self.problems)
            said += " " + t("event_unscheduled", lang, problems=listed)
        return said


@dataclass(frozen=True)
class Unscheduled:
    """One message of an accepted event's sequence that will not go out, and why: it reaches
    no chat (``reason`` empty), or its text failed to render (``reason`` says how)."""

    message: str  # "trigger.message"
    reason: str = ""

    def sentence(self, lang: str | None = None) -> str:
        if not self.reason:
            return t("event_no_chat", lang, message=self.message)
        return t("event_not_rendered", lang, message=self.message, reason=self.reason)


@dataclass(frozen=True)
class Refused:
    """Why an event was not taken, naming the field at fault ("type", "id", "at", a data
    field); ``status`` is what an HTTP answer says (404 no such type or id, 409 conflict)."""

    field: str
    code: str
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)
    status: int = 422

    def sentence(self, lang: str | None = None) -> str:
        return t(self.code, lang, field=self.field, **self.params).strip()


class _Abort(Exception):
    """Rolls the transaction back: what was found inside it refuses the event."""

    def __init__(self, refused: Refused) -> None:
        self.refused = refused


def triggers_of(campaigns: Iterable[Campaign], type_: str) -> list[tuple[Campaign, Trigger]]:
    return [(c, tr) for c in campaigns for tr in c.triggers if tr.event == type_]


def intake(
    db: Engine,
    campaigns: Sequence[Campaign],
    catalog: ChannelCatalog,
    incoming: Occurred | Cancelling,
    sender: Sender,
    now: dt.datetime,
) -> Accepted | Refused:
    """Take one event (or its cancellation) from any source; see the module's docstring."""
    if isinstance(incoming, Cancelling):
        return _cancel(db, incoming, sender, now)
    checked = _check(campaigns, catalog, incoming, now)
    if isinstance(checked, Refused):
        return checked
    pairs, event_id, data = checked
    subject = f"{incoming.type}:{event_id}"
    try:
        with db.begin() as conn:
            accepted = _store(conn, pairs, catalog, incoming, event_id, data, sender, now)
    except _Abort as abort:
        return abort.refused
    except Exception as exc:  # nothing was written; the admins hear of it (if it can be said)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        with contextlib.suppress(Exception):
            alerts.raise_incident(db, alerts.EVENT_UNSCHEDULED, subject,
                                  detail=f"{type(exc).__name__}: {reason}", now=now)  # fmt: skip
        raise
    if accepted.outcome != "unchanged":  # a fan-out to a province's chats: see fresh_statistics
        fresh_statistics(db, len(accepted.deliveries))
    if accepted.problems:
        detail = "; ".join(p.sentence() for p in accepted.problems)
        alerts.raise_incident(db, alerts.EVENT_UNSCHEDULED, subject, detail=detail, now=now)
    elif accepted.outcome == "updated":
        alerts.resolve_incident(db, alerts.EVENT_UNSCHEDULED, subject, now)
    return accepted


def _check(
    campaigns: Sequence[Campaign], catalog: ChannelCatalog, incoming: Occurred, now: dt.datetime
) -> Refused | tuple[list[tuple[Campaign, Trigger]], str, dict[str, str]]:
    pairs = triggers_of(campaigns, incoming.type)
    if not pairs:
        known = sorted({tr.event for c in campaigns for tr in c.triggers})
        return Refused("type", "event_type_unknown",
                       {"value": incoming.type, "names": ", ".join(known) or "—"}, 404)  # fmt: skip
    event_id = incoming.id
    if event_id is None:
        event_id = f"{incoming.type}-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    if not ID_PATTERN.match(event_id) or len(event_id) > MAX_ID:
        return Refused("id", "event_id_bad", {"value": event_id[:MAX_ID]})
    if incoming.at is not None and (
        incoming.at.tzinfo is None or abs(incoming.at - now) > MAX_AWAY
    ):
        return Refused("at", "event_at_far", {})
    data, problem = clean_data([tr for _, tr in pairs], incoming.data, catalog)
    if problem is not None:
        return _data_refusal(problem)
    return pairs, event_id, data


def _data_refusal(problem: DataProblem) -> Refused:
    return Refused(problem.field, problem.code, problem.params)


def _store(
    conn: Connection,
    pairs: list[tuple[Campaign, Trigger]],
    catalog: ChannelCatalog,
    incoming: Occurred,
    event_id: str,
    data: dict[str, str],
    sender: Sender,
    now: dt.datetime,
) -> Accepted:
    at = (incoming.at or now).replace(microsecond=0)  # as people write times
    written = json.dumps(data, ensure_ascii=False, sort_keys=True)
    row = {
        "id": event_id, "type": incoming.type, "at": at, "data": written, "source": sender.source,
        "sender": sender.who, "state": ACTIVE, "cancel_reason": "", "received_at": now,
        "updated_at": now,
    }  # fmt: skip
    # the first statement writes: on SQLite it takes the write lock (waiting for another
    # intake's commit), on PostgreSQL it waits for a concurrent insert of the same id
    outcome = "started" if upsert(conn, E, row, ["id"]) else ""
    if not outcome:
        old = conn.execute(select(E).where(E.c.id == event_id).with_for_update()).one()
        if old.type != incoming.type:
            raise _Abort(Refused("id", "event_id_other_type", {"value": event_id,
                                                               "type": old.type}, 409))  # fmt: skip
        if old.state == CANCELLED:
            raise _Abort(Refused("id", "event_was_cancelled", {"value": event_id}, 409))
        at = incoming.at.replace(microsecond=0) if incoming.at else old.at
        if old.data == written and old.at == at:
            return Accepted(event_id, incoming.type, "unchanged", at, _planned(conn, event_id))
        conn.execute(
            update(E).where(E.c.id == event_id).values(data=written, at=at, source=sender.source,
                                                       sender=sender.who, updated_at=now)
        )  # fmt: skip
        outcome = "updated"
    event = Event(incoming.type, event_id, at, data)
    started = _reaching(conn, [start(c, trigger, event, catalog) for c, trigger in pairs], catalog)
    paused = _paused(conn, {c.id for c, _ in pairs})
    grace = {c.id: c.grace for c, _ in pairs}
    stopped = _deliveries(
        conn, started, grace, paused, event_id, outcome == "started", now, catalog
    )
    _occurrences(conn, started, {c.id: c for c, _ in pairs}, at, catalog, now)
    problems = _unscheduled([trigger for _, trigger in pairs], started)
    planned = _planned(conn, event_id)
    return Accepted(event_id, incoming.type, outcome, at, planned, stopped, problems)


def _unscheduled(triggers: list[Trigger], started: list[Started]) -> tuple[Unscheduled, ...]:
    """The messages of the sequences that will not go out: no chat to send to, or a text
    that could not be rendered for this event's data."""
    found: list[Unscheduled] = []
    for trigger, item in zip(triggers, started, strict=True):
        for message in trigger.messages:
            name = f"{trigger.id}.{message.id}"
            sends = [d for d in item.dispatches if d.item == name]
            if not sends:
                found.append(Unscheduled(name))
            elif any(d.error for d in sends):
                found.append(Unscheduled(name, next(d.error for d in sends if d.error)))
    return tuple(found)


def _reaching(conn: Connection, started: list[Started], catalog: ChannelCatalog) -> list[Started]:
    """Each sequence as sync would store it: ``subscribers`` as one delivery per subscribed
    chat, and one delivery per message and chat however many names the chat has (a unit's
    chat that is also a configured target gets the warning once)."""
    chats = subscriptions.active(conn)
    addresses = where_chats_are(conn, catalog.addresses)
    out = []
    for item in started:
        reaching = with_subscribers(item.dispatches, chats.get(item.campaign, []))
        kept, _ = one_per_chat(reaching, addresses)
        out.append(replace(item, dispatches=tuple(kept)))
    return out


def _paused(conn: Connection, campaigns: set[str]) -> set[str]:
    query = select(V.c.campaign).where(V.c.campaign.in_(sorted(campaigns)), V.c.paused.is_(True))
    return set(conn.execute(query).scalars())


def _of_event(event_id: str) -> Any:
    """The deliveries an event started: its id is their occurrence, and their key is marked."""
    return and_(D.c.occurrence == event_id, D.c.key.contains(MARK, autoescape=True))


def _deliveries(
    conn: Connection,
    started: list[Started],
    grace: Mapping[str, dt.timedelta],
    paused: set[str],
    event_id: str,
    new: bool,
    now: dt.datetime,
    catalog: ChannelCatalog | None = None,
) -> int:
    """Insert the sequence's deliveries; for an update, edit the waiting ones by key, add the
    new keys and cancel the waiting ones the event no longer needs (another unit named)."""
    existing: dict[str, Any] = {}
    if not new:
        query = select(D.c.key, D.c.state, D.c.content_hash).where(_of_event(event_id))
        existing = {row.key: row for row in conn.execute(query).all()}
    inserts: list[dict[str, Any]] = []
    edits: list[dict[str, Any]] = []
    settled: list[dict[str, Any]] = []
    for item in started:
        for d in item.dispatches:
            row = hashed_delivery_row(d, grace[d.campaign], now, d.campaign in paused, catalog)
            old = existing.pop(d.key, None)
            if old is None:
                inserts.append(row)
            elif old.state in EDITABLE and old.content_hash != row["content_hash"]:
                edits.append(edit_values(row))
                settled.append(row)
    if inserts:
        conn.execute(D.insert(), inserts)
    if edits:
        conn.execute(edit_statement(), edits)
        settle_approvals(conn, settled, now)
    gone = [key for key, old in existing.items() if old.state in EDITABLE]
    if gone:
        conn.execute(_stop(now, t("event_updated_reason")).where(D.c.key.in_(gone)))
    return len(gone)


def _stop(now: dt.datetime, reason: str) -> Any:
    editable = or_(*(D.c.state == state for state in EDITABLE))
    return (
        update(D)
        .where(editable)
        .values(state=State.CANCELLED, cancel_reason=CANCEL_REASON, last_error=reason,
                next_attempt_at=None, updated_at=now)
    )  # fmt: skip


def _occurrences(
    conn: Connection,
    started: list[Started],
    campaigns: Mapping[str, Campaign],
    at: dt.datetime,
    catalog: ChannelCatalog,
    now: dt.datetime,
) -> None:
    """The event in the feeds of each campaign it starts something in, at the event's time."""
    for item in started:
        campaign = campaigns[item.campaign]
        event_id = item.key.rpartition(MARK)[2]
        row: dict[str, Any] = {
            "key": item.key, "campaign": item.campaign, "kind": EVENT_KIND, "item": item.trigger,
            "occurrence": event_id, "title": item.title, "start": at, "end": None,
            "all_day": False, "location": "", "lead": "", "partners": "",
            "description": item.description, "url": "", "tags": "", "updated_at": now,
        }  # fmt: skip
        row["content_hash"] = hash_parts(
            item.title, item.description, at.isoformat(), campaign.title
        )
        owner = SimpleNamespace(
            timezone=campaign.timezone, title=campaign.title, tags="\n".join(campaign.tags)
        )
        old = conn.execute(
            select(O.c.sequence, O.c.content_hash).where(O.c.key == item.key)
        ).first()
        if old is None:
            conn.execute(O.insert().values(**with_feed_block(row, 0, owner, catalog.units)))
        elif old.content_hash != row["content_hash"]:
            values = with_feed_block(row, old.sequence + 1, owner, catalog.units)
            conn.execute(update(O).where(O.c.key == item.key).values(**values))


def _planned(conn: Connection, event_id: str) -> tuple[Planned, ...]:
    query = (
        select(D.c.key, D.c.channel, D.c.target, D.c.due, D.c.state, D.c.text)
        .where(_of_event(event_id))
        .order_by(D.c.due, D.c.key)
    )
    rows = conn.execute(query)
    return tuple(Planned(r.key, r.channel, r.target, r.due, r.state, r.text or "") for r in rows)


def _cancel(
    db: Engine, incoming: Cancelling, sender: Sender, now: dt.datetime
) -> Accepted | Refused:
    if not ID_PATTERN.match(incoming.id) or len(incoming.id) > MAX_ID:
        return Refused("id", "event_unknown", {"value": incoming.id[:MAX_ID]}, 404)
    written = "".join(ch for ch in incoming.reason if ch.isprintable() or ch == "\n").strip()
    reason = written[:1000] or t("event_cancel_default_reason", who=sender.who)
    with db.begin() as conn:
        old = conn.execute(select(E).where(E.c.id == incoming.id).with_for_update()).first()
        if old is None:
            return Refused("id", "event_unknown", {"value": incoming.id}, 404)
        if old.state == CANCELLED:
            return Accepted(old.id, old.type, "unchanged", old.at, _planned(conn, old.id))
        conn.execute(
            update(E).where(E.c.id == old.id).values(state=CANCELLED, cancel_reason=reason,
                                                     updated_at=now)
        )  # fmt: skip
        stopped = conn.execute(_stop(now, reason).where(_of_event(old.id))).rowcount
        conn.execute(
            update(O)
            .where(and_(O.c.occurrence == old.id, O.c.kind == EVENT_KIND,
                        O.c.status == "confirmed"))
            .values(status="cancelled", sequence=O.c.sequence + 1, updated_at=now)
        )  # fmt: skip
        planned = _planned(conn, old.id)
    return Accepted(old.id, old.type, "cancelled", old.at, planned, int(stopped or 0))
