"""Reports tracked to "submitted": who owes a deadline, who has sent it, who is overdue.

A deadline owed by units (its lead and partners with a registry, or its ``units``) has one
``report_status`` row per unit and occurrence. Sync writes the rows it owes; a unit marks its
row submitted (``/nop`` from one of its chats, ``loa report submit``), which cancels the
unit's waiting reminders in the same transaction, with reason "submitted" (sync never brings
back what a person or a submission cancelled, and cancels again what its horizon brings
later). After the last day an unsubmitted row is escalated once: a message to the lead unit's
chats and the bot admins goes into the outbox, and the row's ``escalated_at`` is set in the
same transaction, so a restart does not repeat it.

The deadline's event in the feeds carries the table of who has submitted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, select, update

from campaigns.collation import sort_key
from campaigns.dates import format_date, format_datetime
from campaigns.expand import DeadlineOccurrence, Dispatch, delivery_key
from campaigns.i18n import t
from campaigns.ics import event_block
from campaigns.timeexpr import instant
from campaigns.units import UnitRegistry, split_names
from scheduler import pausing
from scheduler.http.feeds import block_marker, feed_event
from scheduler.store import outbox
from scheduler.store.tables import (
    REMOVED,
    CampaignVersion,
    Delivery,
    Occurrence,
    ReportStatus,
    State,
)

R = ReportStatus.__table__  # type: ignore[attr-defined]
D = Delivery.__table__  # type: ignore[attr-defined]
O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741
V = CampaignVersion.__table__  # type: ignore[attr-defined]

SUBMITTED = "submitted"  # cancel_reason of a reminder a unit no longer needs
ESCALATION = "!overdue:"  # in the key of an escalation: sync leaves these deliveries alone
ESCALATION_GRACE = dt.timedelta(hours=1)  # sent late after downtime within this, then missed
WAITING = (State.PENDING, State.RETRYING, State.HELD)


class ReportError(Exception):
    """A submission or a question about a report that cannot be answered; the message says
    what to do."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.text())

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (the bot's chat), or in the CLI's language."""
        return t(self.code, lang, **self.params)


@dataclass(frozen=True)
class Line:
    """One row of the status table."""

    unit: str
    state: str  # "submitted", "overdue" or "waiting"
    at: dt.datetime | None
    by: str
    note: str


# -- written by sync ------------------------------------------------------------------------


def record_owed(
    conn: Connection,
    campaign: str,
    deadlines: Iterable[DeadlineOccurrence],
    tz: ZoneInfo,
    registry: UnitRegistry,
    now: dt.datetime,
) -> None:
    """One row per unit owing each deadline occurrence, kept in step with the file (its due
    time and reminders); submissions and escalations stay as they are. Then the units'
    submitted reminders are cancelled again (the horizon may have brought new ones) and the
    events show the table. A unit no longer owing a coming deadline (the file changed) has
    its row removed, so it is never escalated for it."""
    tracked = [d for d in deadlines if d.units]
    owed = {(d.key, unit) for d in tracked for unit in d.units}
    untouched = and_(R.c.campaign == campaign, R.c.submitted_at.is_(None),
                     R.c.escalated_at.is_(None), R.c.overdue_at > now)  # fmt: skip
    for row in conn.execute(select(R.c.key, R.c.unit).where(untouched)).all():
        if (row.key, row.unit) not in owed:
            conn.execute(R.delete().where(and_(R.c.key == row.key, R.c.unit == row.unit)))
    if not tracked:
        return
    keys = [d.key for d in tracked]
    existing = {
        (row.key, row.unit)
        for row in conn.execute(select(R.c.key, R.c.unit).where(R.c.key.in_(keys))).all()
    }
    for d in tracked:
        leads = set(split_names(d.lead))
        values = {
            "campaign": campaign, "deadline": d.deadline, "occurrence": d.occurrence,
            "title": d.title, "due": instant(d.due, tz),
            "overdue_at": instant(d.due, tz, after=not isinstance(d.due, dt.datetime)),
            "items": "\n".join(d.items), "updated_at": now,
        }  # fmt: skip
        for unit in d.units:
            role = "lead" if unit in leads else "partner"
            if (d.key, unit) in existing:
                where = and_(R.c.key == d.key, R.c.unit == unit)
                conn.execute(update(R).where(where).values(role=role, **values))
            else:
                conn.execute(
                    R.insert().values(key=d.key, unit=unit, role=role, submitted_by="",
                                      note="", **values)
                )  # fmt: skip
    cancel_submitted(conn, registry, now, keys)
    for key in keys:
        show_in_feed(conn, key, registry, now)


def cancel_submitted(
    conn: Connection, registry: UnitRegistry, now: dt.datetime, keys: Sequence[str]
) -> int:
    """Cancel the waiting reminders of every submitted unit of these deadline occurrences to
    that unit's chats, under whatever name the chat is reached (a chat that a unit still
    owing shares keeps them)."""
    rows = conn.execute(select(R).where(R.c.key.in_(list(keys)))).all()
    cancelled = 0
    for row in rows:
        if row.submitted_at is None or not row.items:
            continue
        owing = [r.unit for r in rows if r.key == row.key and r.submitted_at is None]
        mine = registry.chats([row.unit]) - registry.chats(owing)
        waiting = conn.execute(
            select(D.c.key, D.c.channel, D.c.target)
            .where(and_(D.c.campaign == row.campaign, D.c.occurrence == row.occurrence,
                        D.c.item.in_(row.items.split("\n")), D.c.state.in_(list(WAITING))))
        ).all()  # fmt: skip
        stop = [w.key for w in waiting if registry.address(w.channel, w.target) in mine]
        if not stop:
            continue
        done = conn.execute(
            update(D)
            .where(and_(D.c.key.in_(stop), D.c.state.in_(list(WAITING))))
            .values(state=State.CANCELLED, cancel_reason=SUBMITTED, next_attempt_at=None,
                    last_error=t("report_cancelled", unit=registry.label(row.unit)),
                    updated_at=now)
        )  # fmt: skip
        cancelled += done.rowcount  # a row claimed meanwhile is not cancelled
    return cancelled


# -- submitting -----------------------------------------------------------------------------


def _matching(conn: Connection, ref: str, hidden: frozenset[str] = frozenset()) -> list[Any]:
    """The rows of a deadline named by its id or ``campaign:deadline``; none of a campaign in
    ``hidden`` (a private one the asking chat is not allowed: as if it did not exist)."""
    campaign, _, deadline = ref.strip().rpartition(":")
    where = R.c.deadline == deadline
    if campaign:
        where = and_(where, R.c.campaign == campaign)
    if hidden:
        where = and_(where, R.c.campaign.notin_(list(hidden)))
    return list(conn.execute(select(R).where(where).order_by(R.c.due, R.c.unit)).all())


def resolve_unit(registry: UnitRegistry, name: str) -> str:
    """A unit named by id or alias, or (without a registry) as written."""
    if not registry:
        return name.strip()
    unit = registry.find(name)
    if unit is None:
        close = registry.closest(name)
        if close:
            raise ReportError("report_unknown_unit_close", value=name, suggestion=close)
        raise ReportError("report_unknown_unit", value=name, names=", ".join(registry.units))
    return unit.id


@dataclass(frozen=True)
class Submitted:
    title: str
    unit: str
    due: dt.datetime
    at: dt.datetime
    note: str
    cancelled: int
    again: bool  # it had been submitted already: the note and time were updated


def submit(
    db: Engine,
    ref: str,
    units: Sequence[str],
    by: str,
    note: str,
    now: dt.datetime,
    registry: UnitRegistry,
    hidden: frozenset[str] = frozenset(),
) -> Submitted:
    """Mark the report of the first unit in ``units`` that owes ``ref`` submitted, for its
    earliest occurrence not yet submitted (a late report is still owed), and stop its
    reminders; all in one transaction."""
    with db.begin() as conn:
        rows = _matching(conn, ref, hidden)
        if not rows:
            raise ReportError("report_unknown", ref=ref)
        owed = [r for r in rows if r.unit in units]
        if not owed:
            names = ", ".join(sorted({registry.label(r.unit) for r in rows}, key=sort_key))
            raise ReportError("report_not_owed", ref=ref, units=names)
        waiting = [r for r in owed if r.submitted_at is None]
        row = waiting[0] if waiting else owed[-1]
        where = and_(R.c.key == row.key, R.c.unit == row.unit)
        conn.execute(
            update(R).where(where).values(submitted_at=now, submitted_by=by, note=note,
                                          updated_at=now)
        )  # fmt: skip
        cancelled = cancel_submitted(conn, registry, now, [row.key])
        show_in_feed(conn, row.key, registry, now)
    label = registry.label(row.unit)
    return Submitted(row.title, label, row.due, now, note, cancelled, not waiting)


# -- overdue --------------------------------------------------------------------------------


def escalate(
    db: Engine,
    now: dt.datetime,
    registry: UnitRegistry,
    admins: Sequence[tuple[str, str]],
    tz: ZoneInfo,
) -> int:
    """Put one escalation per overdue unit and occurrence into the outbox, to the lead
    unit's chats and the admins (each chat once), and record it; the number escalated."""
    live = select(V.c.campaign).where(V.c.digest != REMOVED)  # a deleted file owes nothing
    with db.begin() as conn:
        due = conn.execute(
            select(R).where(and_(R.c.submitted_at.is_(None), R.c.escalated_at.is_(None),
                                 R.c.overdue_at <= now, R.c.campaign.in_(live)))
        ).all()  # fmt: skip
        for row in due:
            leads = [
                r.unit
                for r in conn.execute(select(R.c.unit, R.c.role).where(R.c.key == row.key))
                if r.role == "lead"
            ]
            chats: dict[tuple[str, str], tuple[str, str]] = {}
            for channel, target in (*registry.targets(leads), *admins):
                chats.setdefault(registry.address(channel, target), (channel, target))
            text = t(
                "report_escalation",
                unit=registry.label(row.unit),
                title=row.title,
                due=format_date(row.due.astimezone(tz)),
                ref=f"{row.campaign}:{row.deadline}",
            )
            message_key = f"{row.key}{ESCALATION}{row.unit}"
            rows = [
                outbox.delivery_row(
                    Dispatch(
                        key=delivery_key(message_key, channel, target),
                        message_key=message_key,
                        campaign=row.campaign,
                        item=f"{row.deadline}.overdue",
                        occurrence=row.occurrence,
                        channel=channel,
                        target=target,
                        due=now,
                        text=text,
                    ),
                    ESCALATION_GRACE,
                    now,
                )
                for channel, target in chats.values()
            ]
            for values in rows:
                conn.execute(D.insert().values(**values))
            pausing.hold_paused(conn, now, [values["key"] for values in rows])
            conn.execute(
                update(R)
                .where(and_(R.c.key == row.key, R.c.unit == row.unit))
                .values(escalated_at=now, updated_at=now)
            )
        for key in {row.key for row in due}:
            show_in_feed(conn, key, registry, now)
    return len(due)


# -- showing --------------------------------------------------------------------------------


def status(
    db: Engine, ref: str, now: dt.datetime, hidden: frozenset[str] = frozenset()
) -> tuple[Any, list[Line]]:
    """The latest occurrence of ``ref`` that is due (or the next one), and its table."""
    with db.connect() as conn:
        rows = _matching(conn, ref, hidden)
    if not rows:
        raise ReportError("report_unknown", ref=ref)
    started = [r for r in rows if r.due <= now + dt.timedelta(days=1)]
    key = (started[-1] if started else rows[0]).key
    chosen = [r for r in rows if r.key == key]
    return chosen[0], [_line(r, now) for r in chosen]


def _line(row: Any, now: dt.datetime) -> Line:
    if row.submitted_at is not None:
        state = "submitted"
    elif row.overdue_at <= now:
        state = "overdue"
    else:
        state = "waiting"
    return Line(row.unit, state, row.submitted_at, row.submitted_by, row.note)


def table(
    lines: Sequence[Line],
    registry: UnitRegistry,
    tz: ZoneInfo,
    lang: str | None = None,
    who: bool = True,
) -> list[str]:
    """The table as text lines: one unit a line, with when, who and the note. ``who=False``
    for a public calendar feed: who marked it (a chat user id, a login name) stays with staff."""
    out = []
    for line in lines:
        text = f"{_MARK[line.state]} {registry.label(line.unit)}: {t('report_' + line.state, lang)}"
        if line.at is not None:
            text += f" ({format_datetime(line.at.astimezone(tz), lang or 'vi')}"
            text += f", {line.by})" if line.by and who else ")"
        if line.note:
            text += f" — {line.note}"
        out.append(text)
    done = sum(1 for line in lines if line.state == "submitted")
    out.append(t("report_count", lang, done=done, total=len(lines)))
    return out


_MARK = {"submitted": "✅", "overdue": "⛔", "waiting": "⏳"}


def show_in_feed(conn: Connection, key: str, registry: UnitRegistry, now: dt.datetime) -> None:
    """Write the table into the deadline event's description (after the file's own text),
    raising its SEQUENCE when the table changed, so calendars show who has submitted."""
    row = conn.execute(select(O).where(O.c.key == key)).first()
    if row is None:
        return
    owner_row = conn.execute(select(V).where(V.c.campaign == row.campaign)).first()
    tz = ZoneInfo(owner_row.timezone if owner_row is not None else "Asia/Ho_Chi_Minh")
    lines = [_line(r, now) for r in conn.execute(select(R).where(R.c.key == key)).all()]
    heading = t("report_table_title", "vi")
    base = row.description.split(heading, 1)[0].rstrip()
    block = "\n".join([heading, *table(lines, registry, tz, "vi", who=False)])
    description = f"{base}\n\n{block}" if base else block
    if description == row.description:
        return
    values = {**row._mapping, "description": description, "sequence": row.sequence + 1,
              "updated_at": now}  # fmt: skip
    owner = SimpleNamespace(
        timezone=tz.key,
        title=owner_row.title if owner_row is not None else "",
        tags=owner_row.tags if owner_row is not None else "",
    )
    event = feed_event(SimpleNamespace(**values), owner, registry)
    values["ics"] = event_block(event).decode("utf-8")
    values["ics_of"] = block_marker(values["sequence"], row.status, now)
    conn.execute(update(O).where(O.c.key == key).values(**values))
