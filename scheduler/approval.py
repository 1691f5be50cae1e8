"""Approval before publishing (duyệt tin): what an office publishes in its name waits, rendered,
in ``awaiting_approval`` until an approver approves it, and goes out only as approved.

- An approval is bound to what will be sent: a hash of the text, the image and the channel and
  target (``content_of``). Sync and event intake edit a waiting or approved delivery in place;
  ``settle`` then sends an approved one whose hash no longer matches back to wait, and lets one
  whose file no longer asks for approval go.
- ``decide`` is the one piece of code that approves or rejects, for the page, the chat commands
  and the CLI: one delivery, a message occurrence across its targets, or a campaign's day. It
  checks the role (approver or admin) and the two-person rule (whoever last edited a campaign
  does not approve its messages, unless ``[approval] self_approval``), and audits every decision.
- ``hold_overdue`` (the leader's job) tells the approvers and admins of a delivery due and not
  approved (an incident, ``APPROVAL_OVERDUE``), and records ``missed`` what waited past its
  grace. The engine's claim takes pending and retrying rows only: nothing waiting is ever sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, or_, select, update

from campaigns.i18n import LANGUAGES, named, t
from scheduler import alerts, audit, pausing, users
from scheduler.editor import history
from scheduler.store import outbox
from scheduler.store.tables import Approval, CampaignVersion, Delivery, State

D = Delivery.__table__  # type: ignore[attr-defined]
AP = Approval.__table__  # type: ignore[attr-defined]
V = CampaignVersion.__table__  # type: ignore[attr-defined]

APPROVED, REJECTED = "approved", "rejected"
REJECTED_REASON = "rejected"  # a rejected delivery's cancel_reason: an edit asks again
# a delivery approved ahead of its time: still waiting to be sent, the decision may change
DECIDED_WAITING = (State.PENDING, State.HELD, State.RETRYING)


def content_of(text: str, image: str, channel: str, target: str) -> str:
    """What an approval is bound to: exactly what goes out, and where."""
    joined = "\x1f".join((text, image, channel, target))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _content(row: Any) -> str:
    values: Mapping[str, Any] = row if isinstance(row, Mapping) else row._mapping
    return content_of(values["text"], values["image"], values["channel"], values["target"])


# -- sync and intake ------------------------------------------------------------------------


def settle(conn: Connection, rows: Iterable[Mapping[str, Any]], now: dt.datetime) -> list[str]:
    """After sync, intake or a retry wrote ``rows`` (key, text, image, channel, target, and
    ``needs_approval``: whether its file asks for approval), put each in the state its approval says: waiting when
    it needs one and no approval matches what it now sends, free when it needs none or one
    matches. Returns the keys whose approval an edit voided (the approvers are asked again)."""
    wanted = {r["key"]: r for r in rows}
    if not wanted:
        return []
    states: dict[str, str] = {}
    decided: dict[str, tuple[str, str]] = {}
    for keys in pausing.chunks(list(wanted)):
        states.update(conn.execute(select(D.c.key, D.c.state).where(D.c.key.in_(keys))).all())
        found = select(AP.c.key, AP.c.content, AP.c.decision).where(AP.c.key.in_(keys))
        decided.update((r.key, (r.content, r.decision)) for r in conn.execute(found).all())
    wait, free, voided = [], [], []
    for key, row in wanted.items():
        state = states.get(key)
        approved = decided.get(key) == (_content(row), APPROVED)
        if row["needs_approval"] and not approved and state in DECIDED_WAITING:
            wait.append(key)
            if decided.get(key, ("", ""))[1] == APPROVED:
                voided.append(key)
        elif (approved or not row["needs_approval"]) and state == State.AWAITING:
            free.append(key)
    for keys in pausing.chunks(wait):
        conn.execute(
            update(D)
            .where(and_(D.c.key.in_(keys), D.c.state.in_(list(DECIDED_WAITING))))
            .values(state=State.AWAITING, next_attempt_at=D.c.due, attempts=0, updated_at=now)
        )
    for keys in pausing.chunks(free):
        conn.execute(
            update(D)
            .where(and_(D.c.key.in_(keys), D.c.state == State.AWAITING))
            .values(state=State.PENDING, updated_at=now)
        )
    pausing.hold_paused(conn, now, free)
    return voided


def ask_again(db: Engine, messages: Iterable[str], now: dt.datetime) -> None:
    """Approved messages an edit changed wait again: the approvers and admins are told."""
    alerts.raise_many(db, [alerts.Sighting(alerts.APPROVAL_VOIDED, m) for m in messages], now)


# -- deciding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """What a decision is about: a delivery's key or a message occurrence's key (all its
    targets), or a campaign's deliveries on one day (in the office's time zone)."""

    key: str = ""
    campaign: str = ""
    day: dt.date | None = None

    def __str__(self) -> str:
        if self.key:
            return self.key
        return f"{self.campaign} {self.day.isoformat()}" if self.day else self.campaign


@dataclass(frozen=True)
class Decider:
    """Who decides, and from where: the loa user (``loa user add``) and their role, the
    source (``web``, ``cli`` or the chat channel) and the address (browser, OS user, chat)."""

    name: str
    role: str
    source: str
    address: str = ""


@dataclass(frozen=True)
class Decision:
    """What ``decide`` did: the deliveries approved (or rejected), those approved too late
    (recorded missed), or a refusal sentence and nothing changed."""

    done: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()
    refusal: str = ""

    @property
    def ok(self) -> bool:
        return not self.refusal

    def sentence(self, approve: bool, lang: str | None = None) -> str:
        if self.refusal:
            return self.refusal
        code = "approval_approved" if approve else "approval_rejected"
        said = t(code, lang, count=len(self.done))
        if self.missed:
            said += " " + t("approval_too_late", lang, count=len(self.missed))
        return said


def decide(
    db: Engine,
    who: Decider,
    selection: Selection,
    approve: bool,
    reason: str,
    now: dt.datetime,
    tz: ZoneInfo,
    self_approval: bool = False,
    lang: str | None = None,
) -> Decision:
    """Approve or reject what ``selection`` names, as ``who``; every call is audited, a
    refusal too. An approval stores the hash of what each delivery sends, and moves it to
    pending (held if its campaign is paused; missed if its grace has passed)."""
    command = "approve" if approve else "reject"
    refusal, rows = _check(db, who, _Asked(selection, approve, reason), tz, self_approval, lang)
    if refusal:
        audit.write(db, now, who.source, who.address, who.name, command, str(selection),
                    audit.REFUSED, refusal)  # fmt: skip
        return Decision(refusal=refusal)
    done: list[str] = []
    missed: list[str] = []
    with db.begin() as conn:
        for row in rows:
            content = _content(row)
            values = {"state": State.CANCELLED, "cancel_reason": REJECTED_REASON,
                      "last_error": reason.strip(), "next_attempt_at": None}  # fmt: skip
            if approve and now - row.due > dt.timedelta(seconds=row.grace_seconds):
                values = {"state": State.MISSED, "next_attempt_at": None,
                          "last_error": t("missed_approved_late")}  # fmt: skip
            elif approve:
                values = {"state": State.PENDING, "last_error": ""}
            # still the text that was read: an edit committed meanwhile waits for its own
            changed = conn.execute(
                update(D)
                .where(and_(D.c.key == row.key, D.c.state == row.state,
                            D.c.content_hash == row.content_hash))
                .values(updated_at=now, **values)
            ).rowcount  # fmt: skip
            if not changed:
                continue
            conn.execute(AP.delete().where(AP.c.key == row.key))
            conn.execute(
                AP.insert().values(
                    key=row.key, content=content, decision=APPROVED if approve else REJECTED,
                    user=who.name, source=who.source, address=who.address,
                    reason=reason.strip(), at=now,
                )
            )  # fmt: skip
            (missed if values["state"] == State.MISSED else done).append(row.key)
        pausing.hold_paused(conn, now, done)
    decided = [r for r in rows if r.key in {*done, *missed}]
    detail = "; ".join(f"{r.key} #{_content(r)[:16]}" for r in decided)
    audit.write(db, now, who.source, who.address, who.name, command, str(selection), audit.OK,
                detail or t("approval_nothing", lang, what=str(selection)))  # fmt: skip
    for message in sorted({r.message_key for r in decided}):
        alerts.resolve_incident(db, alerts.APPROVAL_OVERDUE, message, now)
    return Decision(tuple(done), tuple(missed))


@dataclass(frozen=True)
class _Asked:
    selection: Selection
    approve: bool
    reason: str


def _check(
    db: Engine, who: Decider, asked: _Asked, tz: ZoneInfo, self_approval: bool, lang: str | None
) -> tuple[str, list[Any]]:
    """A refusal sentence (and no rows), or the rows the decision is about."""
    if not who.name or not users.allows(who.role, "approver"):
        role = named("role", who.role, lang) if who.role else "—"
        return t("approval_not_approver", lang, name=who.name or "—", role=role), []
    if not asked.approve and not asked.reason.strip():
        return t("approval_reason_needed", lang), []
    rows = selected(db, asked.selection, tz, asked.approve)
    if not rows:
        return t("approval_nothing", lang, what=str(asked.selection)), []
    if not self_approval:
        for campaign in sorted({r.campaign for r in rows}):
            if history.last_editor(db, campaign) == who.name:
                return t("approval_self", lang, name=who.name, campaign=campaign), []
    return "", rows


def selected(db: Engine, selection: Selection, tz: ZoneInfo, approve: bool = True) -> list[Any]:
    """The deliveries a decision on ``selection`` is about: those waiting; to reject, also
    those approved ahead and not yet sent."""
    if selection.key:
        which: Any = or_(D.c.key == selection.key, D.c.message_key == selection.key)
    elif selection.day is not None:
        first = dt.datetime.combine(selection.day, dt.time(), tzinfo=tz)
        which = and_(D.c.campaign == selection.campaign, D.c.due >= first,
                     D.c.due < first + dt.timedelta(days=1))  # fmt: skip
    else:
        which = D.c.campaign == selection.campaign
    state: Any = D.c.state == State.AWAITING
    if not approve:
        ahead = select(AP.c.key).where(AP.c.decision == APPROVED)
        state = or_(state, and_(D.c.state.in_(list(DECIDED_WAITING)), D.c.key.in_(ahead)))
    query = select(D).where(and_(which, state)).order_by(D.c.due, D.c.key)
    with db.connect() as conn:
        return list(conn.execute(query).all())


def waiting(db: Engine, campaign: str = "", limit: int = 500) -> list[Any]:
    """What waits for an approver, soonest first."""
    query = select(D).where(D.c.state == State.AWAITING)
    if campaign:
        query = query.where(D.c.campaign == campaign)
    with db.connect() as conn:
        return list(conn.execute(query.order_by(D.c.due, D.c.key).limit(limit)).all())


def decision_of(db: Engine, key: str) -> Any:
    """The stored decision on a delivery (who, when, from where, the hash), or None."""
    with db.connect() as conn:
        return conn.execute(select(AP).where(AP.c.key == key)).first()


# -- not approved in time -------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    held: int = 0  # deliveries found due and waiting: the approvers and admins are told
    missed: int = 0  # waited past their grace: recorded missed, never sent


def hold_overdue(db: Engine, now: dt.datetime | None = None) -> Overdue:
    """Deliveries due and still waiting stay unsent; each occurrence is told once, as an
    incident (the fix: ``loa approve KEY``). One past its grace is recorded ``missed``.
    Judged by the store's clock (``outbox.store_now``), as the claim judges what is due."""
    now = outbox.store_now(db, now)
    with db.begin() as conn:
        rows = conn.execute(
            select(D.c.key, D.c.message_key, D.c.channel, D.c.target, D.c.due, D.c.grace_seconds,
                   D.c.last_error)
            .where(and_(D.c.state == State.AWAITING, D.c.due <= now))
        ).all()  # fmt: skip
        late = [r for r in rows if now - r.due > dt.timedelta(seconds=r.grace_seconds)]
        # not told yet: held rows say so (an edit since clears it, and it is told again)
        told = {t("approval_held_reason", lang) for lang in LANGUAGES}
        fresh = [r for r in rows if r not in late and r.last_error not in told]
        for keys in pausing.chunks([r.key for r in late]):
            conn.execute(
                update(D)
                .where(and_(D.c.key.in_(keys), D.c.state == State.AWAITING))
                .values(state=State.MISSED, next_attempt_at=None, updated_at=now,
                        last_error=t("missed_not_approved"))
            )  # fmt: skip
        for keys in pausing.chunks([r.key for r in fresh]):
            conn.execute(
                update(D)
                .where(and_(D.c.key.in_(keys), D.c.state == State.AWAITING))
                .values(updated_at=now, last_error=t("approval_held_reason"))
            )
    by_message: dict[str, list[str]] = {}
    for r in fresh:
        by_message.setdefault(r.message_key, []).append(f"{r.channel}:{r.target}".rstrip(":"))
    alerts.raise_many(
        db,
        [alerts.Sighting(alerts.APPROVAL_OVERDUE, message, ", ".join(targets), len(targets))
         for message, targets in sorted(by_message.items())],
        now,
    )  # fmt: skip
    for message in sorted({r.message_key for r in late}):
        alerts.resolve_incident(db, alerts.APPROVAL_OVERDUE, message, now)
    return Overdue(held=len(fresh), missed=len(late))
