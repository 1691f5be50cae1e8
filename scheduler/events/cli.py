"""``loa trigger`` and ``loa events``: the command line's side of events.

The command reads its arguments into an ``Occurred`` (or a ``Cancelling``) and hands it to
``intake`` like every other source; every mistake in the arguments is found before anything is
written, and said in the user's language.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from campaigns.dates import format_compact, read_moment
from campaigns.errors import ExpressionError
from campaigns.i18n import named, t
from campaigns.model import Campaign, ChannelCatalog
from campaigns.triggers import MARK
from scheduler import audit
from scheduler.events.intake import (
    EVENT_KIND,
    Accepted,
    Cancelling,
    Occurred,
    Refused,
    Sender,
    intake,
)
from scheduler.plan import PlanRow
from scheduler.store.tables import Delivery, EventRecord, Occurrence, State

E = EventRecord.__table__  # type: ignore[attr-defined]
D = Delivery.__table__  # type: ignore[attr-defined]
O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741

__all__ = ["Cancelling", "lines", "listed", "occurred", "take"]


def occurred(
    type_: str,
    event_id: str | None,
    at: str | None,
    data: Sequence[str],
    tz: dt.tzinfo,
    now: dt.datetime,
) -> Occurred | str:
    """The event the arguments describe, or what is wrong with them (a sentence)."""
    values: dict[str, object] = {}
    for item in data:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            return t("trigger_bad_data", value=item)
        if name in values:
            return t("trigger_data_twice", field=name)
        values[name] = value
    moment = None
    if at is not None:
        try:
            moment = read_moment(at, tz, now.astimezone(tz).date())
        except ExpressionError as exc:
            reason = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            return t("trigger_bad_at", value=at, reason=reason)
    return Occurred(type_, event_id, moment, values)


@dataclass(frozen=True)
class Answer:
    text: str
    refused: bool
    audit: tuple[str, str]  # result and detail for the audit log


def take(
    db: Engine,
    campaigns: Sequence[Campaign],
    catalog: ChannelCatalog,
    incoming: Occurred | Cancelling,
    now: dt.datetime,
) -> Answer:
    result = intake(db, campaigns, catalog, incoming, Sender("cli", getpass.getuser()), now)
    if isinstance(result, Refused):
        text = t("event_refused", reason=result.sentence())
        return Answer(text, True, (audit.REFUSED, result.code))
    assert isinstance(result, Accepted)
    return Answer(result.sentence(), False, (audit.OK, f"{result.outcome} {result.id}"))


def listed(db: Engine, limit: int | None = None) -> list[dict[str, Any]]:
    """The stored events, newest first, with their deliveries counted by state."""
    query = select(E).order_by(E.c.received_at.desc(), E.c.id).limit(limit)
    counts = (
        select(D.c.occurrence, D.c.state, func.count())
        .where(D.c.key.contains(MARK, autoescape=True))
        .group_by(D.c.occurrence, D.c.state)
    )
    with db.connect() as conn:
        rows = conn.execute(query).all()
        by_event: dict[str, Counter[str]] = {}
        for occurrence, state, count in conn.execute(counts).all():
            by_event.setdefault(occurrence, Counter())[state] = int(count)
    return [
        {
            "id": r.id,
            "type": r.type,
            "at": r.at.isoformat(),
            "data": json.loads(r.data or "{}"),
            "source": r.source,
            "sender": r.sender,
            "state": r.state,
            "cancel_reason": r.cancel_reason or None,
            "received_at": r.received_at.isoformat(),
            "updated_at": r.updated_at.isoformat(),
            "deliveries": dict(sorted(by_event.get(r.id, Counter()).items())),
        }
        for r in rows
    ]


def lines(row: dict[str, Any], tz: dt.tzinfo) -> list[str]:
    """One event for a person: a head line, then its data, sender, deliveries and reason."""
    at = format_compact(dt.datetime.fromisoformat(row["at"]).astimezone(tz))
    state = t(f"event_state_{row['state']}")
    out = [f"{at} · {row['type']} · {row['id']} · {state}"]
    out.append(", ".join(f"{k}={v}" for k, v in row["data"].items()))
    out.append(t("events_sent_by", source=row["source"], who=row["sender"] or "—"))
    counts = [f"{named('state', state)}: {n}" for state, n in row["deliveries"].items()]
    out.append(", ".join(counts))
    if row["cancel_reason"]:
        out.append(row["cancel_reason"])
    return [line for line in out if line]


def plan_rows(db: Engine, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> list[PlanRow]:
    """The events in ``[start, end)`` and the messages they send, as ``loa plan`` shows them:
    one row per event and per message (its targets together), cancelled ones left out."""
    events = select(O).where(
        O.c.kind == EVENT_KIND, O.c.status == "confirmed", O.c.start >= start, O.c.start < end
    )
    sends = (
        select(D)
        .where(
            D.c.key.contains(MARK, autoescape=True),
            D.c.state != State.CANCELLED,
            D.c.due >= start,
            D.c.due < end,
        )
        .order_by(D.c.due, D.c.key)
    )
    rows: list[PlanRow] = []
    with db.connect() as conn:
        for o in conn.execute(events):
            rows.append(
                PlanRow(
                    o.campaign,
                    EVENT_KIND,
                    o.item,
                    o.title,
                    o.start.astimezone(tz),
                    None,
                    False,
                    (),
                    o.key,
                )
            )
        by_message: dict[str, list[Any]] = {}
        for d in conn.execute(sends):
            by_message.setdefault(d.message_key, []).append(d)
    for key, found in by_message.items():
        d = found[0]
        channels = tuple(f"{r.channel}:{r.target}" if r.target else r.channel for r in found)
        title = (d.text or d.last_error).strip().splitlines()[0][:120] if d.text else ""
        rows.append(
            PlanRow(d.campaign, "message", d.item, title, d.due.astimezone(tz), None, False,
                    channels, key,
                    text=d.text, error=d.last_error if d.state == State.FAILED else "")
        )  # fmt: skip
    return rows
