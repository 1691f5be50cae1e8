"""Operations on the outbox: claim what is due, record what happened, answer questions.

The claim is the heart of "nothing lost, nothing sent twice": a delivery moves to ``sending``
in a committed transaction *before* the channel is called, and to ``sent`` after. A crash in
between leaves it in ``sending``, which ``in_flight`` finds on the next start. On PostgreSQL the
claim takes row locks with SKIP LOCKED so several daemons never claim the same row; SQLite
runs one daemon (see ``scheduler.engine.lock``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Engine, Row, and_, bindparam, func, or_, select, update

from campaigns.expand import Dispatch
from campaigns.i18n import t
from campaigns.model import ChannelCatalog
from channels.redact import redact
from scheduler import pausing, subscriptions
from scheduler.store import meta
from scheduler.store.tables import ACTIVE_STATES, Delivery, State, still_active

D = Delivery.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claimed:
    key: str
    campaign: str
    item: str
    channel: str
    target: str
    due: dt.datetime
    text: str
    attempts: int
    grace: dt.timedelta
    image: str
    possible_duplicate: bool


@dataclass(frozen=True)
class Outcome:
    """What to write back for one claimed delivery."""

    key: str
    state: State
    error: str = ""
    sent_at: dt.datetime | None = None
    provider_message_id: str | None = None
    next_attempt_at: dt.datetime | None = None
    deferred: bool = False  # put back unsent (a rate limit): the try does not count
    possible_duplicate: bool = False  # the try may have reached the platform: say so for good
    unsubscribe: tuple[str, str] | None = None  # (channel, chat) a subscriber that is gone


def _claimed(row: Any) -> Claimed:
    return Claimed(
        key=row.key,
        campaign=row.campaign,
        item=row.item,
        channel=row.channel,
        target=row.target,
        due=row.due,
        text=row.text,
        attempts=row.attempts,
        grace=dt.timedelta(seconds=row.grace_seconds),
        image=row.image,
        possible_duplicate=row.possible_duplicate,
    )


_COLUMNS = (
    D.c.key, D.c.campaign, D.c.item, D.c.channel, D.c.target, D.c.due, D.c.text, D.c.state,
    D.c.attempts, D.c.grace_seconds, D.c.possible_duplicate, D.c.last_error, D.c.next_attempt_at,
    D.c.image,
)  # fmt: skip


def held_back(at: Any) -> Any:
    """A delivery waits while an earlier one to the same target is still waiting past ``at``
    (put off by a rate limit, or retrying after an error): order per target.

    The claim asks it at ``now``; the next wake-up asks it at each row's own time. One rule
    for both, so the daemon never wakes for a row that the claim will refuse (it would wake,
    claim nothing, and wake again at once: a spin at 100 % of a core)."""
    earlier = D.alias("earlier")
    return (
        select(earlier.c.key)
        .where(
            and_(
                earlier.c.channel == D.c.channel,
                earlier.c.target == D.c.target,
                earlier.c.state.in_(list(ACTIVE_STATES)),
                earlier.c.due < D.c.due,
                earlier.c.next_attempt_at > at,
            )
        )
        .exists()
    )


def claim_due(
    engine: Engine,
    now: dt.datetime,
    daemon: str,
    limit: int = 500,
    only: list[str] | None = None,
    lease: dt.timedelta = dt.timedelta(seconds=60),
) -> tuple[list[Claimed], list[Claimed]]:
    """Claim up to ``limit`` due deliveries: (to send now, found too late and marked missed).

    A claim has an owner (``daemon``) and a lease until ``now + lease``: the owner renews it
    while it lives (``renew``), and a rescuer takes back a claim whose lease ran out
    (``in_flight``).

    A pending delivery later than its grace period is missed, not sent: after downtime an
    announcement for a morning that has passed does more harm than good.
    """
    # one ordered index range scan per state ((state, next_attempt_at) index), merged here:
    # an IN over both states would make the database sort every due row to pick a few
    queries = [
        select(*_COLUMNS)
        .where(
            and_(D.c.state == state, D.c.next_attempt_at <= now, ~held_back(now))
            if only is None
            else and_(D.c.state == state, D.c.key.in_(only))
        )
        .order_by(D.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        for state in ACTIVE_STATES
    ]
    with engine.begin() as conn:
        found = [row for query in queries for row in conn.execute(query).all()]
        found.sort(key=lambda r: (r.next_attempt_at, r.due, r.key))  # due order within a target
        rows = found[:limit]
        send: list[Claimed] = []
        missed: list[Claimed] = []
        for row in rows:
            claimed = _claimed(row)
            late = now - claimed.due > claimed.grace
            (missed if late else send).append(claimed)
        # the rows were read outside the write lock (SQLite starts its transaction at the first
        # write): one paused, cancelled or unsubscribed since is not claimed
        still_due = still_active(D.c.state)
        if send:
            taken = conn.execute(
                update(D)
                .where(and_(D.c.key.in_([c.key for c in send]), still_due))
                .values(
                    state=State.SENDING,
                    attempts=D.c.attempts + 1,
                    claimed_by=daemon,
                    claimed_at=now,
                    lease_until=now + lease,
                    updated_at=now,
                )
                .returning(D.c.key)
            )
            claimed_keys = set(taken.scalars().all())
            send = [c for c in send if c.key in claimed_keys]
        if missed:
            conn.execute(
                update(D)
                .where(and_(D.c.key.in_([c.key for c in missed]), still_due))
                .values(state=State.MISSED, next_attempt_at=None, updated_at=now,
                        last_error=t("missed_reason"))
            )  # fmt: skip
    return [_with_attempt(c) for c in send], missed


def _with_attempt(c: Claimed) -> Claimed:
    return Claimed(**{**c.__dict__, "attempts": c.attempts + 1})


def record(
    engine: Engine, outcomes: Sequence[Outcome], now: dt.datetime, owner: str | None = None
) -> None:
    """Write outcomes in one transaction; no secret is stored in an error.

    ``owner``: only rows still claimed by that daemon. A claim a rescuer took back (its lease
    ran out) is no longer its owner's to finish: the delivery goes out again, flagged."""
    if not outcomes:
        return
    errors = {o.key: redact(o.error) for o in outcomes}
    mine = [] if owner is None else [D.c.claimed_by == owner]
    params = [
        {
            "k": o.key,
            "state": str(o.state),
            "error": errors[o.key],
            "sent_at": o.sent_at,
            "provider_message_id": o.provider_message_id,
            "next_attempt_at": o.next_attempt_at,
            "undo": 1 if o.deferred else 0,
            "dup": o.possible_duplicate,
            "now": now,
        }
        for o in outcomes
    ]
    statement = (
        update(D)
        .where(and_(D.c.key == bindparam("k"), D.c.state == State.SENDING, *mine))
        .values(
            state=bindparam("state"),
            last_error=bindparam("error"),
            sent_at=bindparam("sent_at"),
            provider_message_id=bindparam("provider_message_id"),
            next_attempt_at=bindparam("next_attempt_at"),
            attempts=D.c.attempts - bindparam("undo"),
            possible_duplicate=or_(D.c.possible_duplicate, bindparam("dup", type_=Boolean)),
            lease_until=None,
            updated_at=bindparam("now"),
        )
    )
    waiting = [o.key for o in outcomes if o.state in (State.RETRYING, State.PENDING)]
    with engine.begin() as conn:
        conn.execute(statement, params)
        pausing.hold_paused(conn, now, waiting)  # paused while in flight: held, not retried
        for o in outcomes:
            if o.unsubscribe is not None:
                subscriptions.end(conn, *o.unsubscribe, errors[o.key], now)


def renew(engine: Engine, daemon: str, until: dt.datetime) -> int:
    """The heartbeat: ``daemon`` is alive, its claims hold until ``until``."""
    with engine.begin() as conn:
        result = conn.execute(
            update(D)
            .where(and_(D.c.state == State.SENDING, D.c.claimed_by == daemon))
            .values(lease_until=until)
        )
    return int(result.rowcount or 0)


def _rescuable(now: dt.datetime | None, owner: str, own: bool) -> Any:
    """Which ``sending`` rows a daemon may take back as left in flight by a dead one.

    ``now`` None: every one (a store that one daemon holds alone, as the SQLite lock makes
    sure: whoever claimed them is dead). Otherwise those whose lease ran out (or that have
    none: claimed before leases), never a live claim of another daemon; with ``own``, at
    start, also the rows claimed under this daemon's own id by an earlier run of it, and
    without, while it runs, never its own (they are in its hands)."""
    if now is None:
        return D.c.state == State.SENDING
    expired = or_(D.c.lease_until.is_(None), D.c.lease_until < now)
    mine = D.c.claimed_by == owner
    if own:
        return and_(D.c.state == State.SENDING, or_(expired, mine))
    return and_(D.c.state == State.SENDING, expired, or_(D.c.claimed_by.is_(None), ~mine))


def in_flight(
    engine: Engine, now: dt.datetime | None = None, owner: str = "", own: bool = True
) -> list[Claimed]:
    """Deliveries a dead process left in ``sending`` (see ``_rescuable``): it died, or was
    killed, between handing them to the platform and recording the answer."""
    with engine.connect() as conn:
        rows = conn.execute(select(*_COLUMNS).where(_rescuable(now, owner, own))).all()
    return [_claimed(r) for r in rows]


def release(
    engine: Engine,
    keys: Iterable[str],
    now: dt.datetime,
    possible_duplicate: bool,
    rescuable: tuple[dt.datetime | None, str, bool] = (None, "", True),
) -> int:
    """Put in-flight deliveries back in the queue (to be sent again), flagging duplicates.

    ``rescuable`` is the rule they were found by, asked again in the same statement: a claim
    renewed meanwhile by a daemon that was only slow stays with it."""
    keys = list(keys)
    if not keys:
        return 0
    with engine.begin() as conn:
        result = conn.execute(
            update(D)
            .where(and_(D.c.key.in_(keys), _rescuable(*rescuable)))
            .values(
                state=State.PENDING,
                possible_duplicate=possible_duplicate,
                next_attempt_at=now,
                lease_until=None,
                updated_at=now,
            )
        )
        pausing.hold_paused(conn, now, keys)  # paused while a crash had them in flight
    return int(result.rowcount or 0)


def next_wake(engine: Engine) -> dt.datetime | None:
    """The earliest time at which ``claim_due`` will take something (see ``held_back``).

    A row held back by an earlier one is never the answer: the earlier one's own time is, and
    it comes first in the scan of the (state, next_attempt_at) index, which stops at the first
    row not held back."""
    queries = [
        select(D.c.next_attempt_at)
        .where(and_(D.c.state == state, ~held_back(D.c.next_attempt_at)))
        .order_by(D.c.next_attempt_at)
        .limit(1)
        for state in ACTIVE_STATES
    ]
    with engine.connect() as conn:
        found = [v for q in queries if (v := conn.execute(q).scalar()) is not None]
    if not found:
        return None
    return min(_aware(v) for v in found)


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def counts(engine: Engine, campaign: str | None = None) -> dict[str, int]:
    query = select(D.c.state, func.count()).group_by(D.c.state)
    if campaign:
        query = query.where(D.c.campaign == campaign)
    with engine.connect() as conn:
        return {state: n for state, n in conn.execute(query).all()}


def list_deliveries(
    engine: Engine,
    state: str | None = None,
    campaign: str | None = None,
    limit: int | None = None,
    upcoming_first: bool = False,
) -> list[Row[Any]]:
    query = select(D)
    if state:
        query = query.where(D.c.state == state)
    if campaign:
        query = query.where(D.c.campaign == campaign)
    query = query.order_by(D.c.due, D.c.key)
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return list(conn.execute(query).all())


def last_errors(
    engine: Engine, limit: int = 5, hidden: frozenset[str] = frozenset()
) -> list[Row[Any]]:
    """The latest failures, misses and retries; none of the ``hidden`` (private) campaigns."""
    condition = D.c.state.in_([State.FAILED, State.RETRYING, State.MISSED])
    if hidden:
        condition = and_(condition, D.c.campaign.not_in(sorted(hidden)))
    query = (
        select(D.c.key, D.c.state, D.c.last_error, D.c.updated_at)
        .where(condition)
        .order_by(D.c.updated_at.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).all())


UNKNOWN_CHANNEL = "unknown_channel"  # causes a delivery can never be sent (``unsendable``)
UNKNOWN_TARGET = "unknown_target"
NO_TARGET = "no_target"


def unsendable(catalog: ChannelCatalog, channel: str, target: str) -> str | None:
    """Why a message to ``channel:target`` can never go out, as one of the causes above; None
    when it can. A chat platform (Telegram, Zalo) needs a chat: with none named it answers
    "chat_id is empty" however often it is tried. ``loa send``, ``loa retry`` and the chat
    command /retry all ask here, so they refuse the same things (each in its own words)."""
    known = catalog.targets
    if channel not in known:
        return UNKNOWN_CHANNEL
    if target.startswith(subscriptions.CHAT_PREFIX) and target != subscriptions.CHAT_PREFIX:
        return None  # a chat that subscribed, by its platform id
    if target and target not in known[channel]:
        return UNKNOWN_TARGET
    if target or channel not in catalog.needs_target:
        return None
    return NO_TARGET


def never_sendable(
    catalog: ChannelCatalog, channel: str, target: str, lang: str | None = None
) -> str | None:
    """``unsendable`` as the command line says it: the cause, and what to write instead."""
    cause = unsendable(catalog, channel, target)
    if cause is None:
        return None
    names = list(catalog.targets.get(channel, ()))
    if cause == UNKNOWN_CHANNEL:
        configured = t("known_channels", lang, names=", ".join(catalog.targets) or "—")
        return f"{t('unknown_channel', lang, value=channel)}; {configured}"
    if cause == UNKNOWN_TARGET:
        declared = t("known_targets", lang, names=", ".join(names) or "—")
        return f"{t('unknown_target', lang, channel=channel, value=target)}; {declared}"
    if not names:
        return t("send_no_targets", lang, channel=channel)
    example = f"{channel}:{names[0]}"
    return t("send_needs_target", lang, channel=channel, example=example, names=", ".join(names))


@dataclass(frozen=True)
class Refusal:
    """A delivery ``retry`` left as it was: ``cause`` is one of ``unsendable``'s, or
    ``subscriptions.DUPLICATE`` (its chat gets the message under another key, which
    ``detail``, the reason stored with it, names). Each asker words it for its reader."""

    key: str
    channel: str
    target: str
    cause: str
    detail: str = ""

    def sentence(self, catalog: ChannelCatalog, lang: str | None = None) -> str:
        """For the command line (``loa retry``), with what to write instead."""
        if self.cause == subscriptions.DUPLICATE:
            return t("retry_duplicate", lang, key=self.key, reason=self.detail)
        why = never_sendable(catalog, self.channel, self.target, lang)
        return t("retry_never", lang, key=self.key, reason=why)


@dataclass(frozen=True)
class Retried:
    """What ``retry`` did: how many deliveries go out again, and those it left as they were
    because sending them again could not help."""

    count: int
    refused: tuple[Refusal, ...] = ()


def retry(
    engine: Engine,
    now: dt.datetime,
    catalog: ChannelCatalog,
    key: str | None = None,
) -> Retried:
    """Send again now: one delivery by key (failed, missed or cancelled), or every failed one.

    A person asked for it, so it goes out however late it is: its grace is widened to now.
    A delivery of a paused campaign waits, held, for the campaign to resume; one cancelled
    because its chat unsubscribed is not sent to that chat again. Refused: one that could never
    be sent (``unsendable``: queued again, it would only fail again) and one cancelled because
    its chat gets the message under another key.
    """
    condition = D.c.key == key if key is not None else D.c.state == State.FAILED
    allowed = [State.FAILED, State.MISSED, State.CANCELLED, State.RETRYING]
    refused: list[Refusal] = []
    with engine.begin() as conn:
        found = conn.execute(
            select(
                D.c.key, D.c.due, D.c.grace_seconds, D.c.channel, D.c.target, D.c.cancel_reason,
                D.c.last_error,
            ).where(and_(condition, D.c.state.in_(allowed), subscriptions.still_subscribed()))
        ).all()  # fmt: skip
        rows = []
        for row in found:
            cause = unsendable(catalog, row.channel, row.target)
            if cause is None and row.cancel_reason == subscriptions.DUPLICATE:
                cause = subscriptions.DUPLICATE
            if cause is None:
                rows.append(row)
            else:
                refused.append(Refusal(row.key, row.channel, row.target, cause, row.last_error))
        retried = []
        for row in rows:
            late = max(0, int((now - row.due).total_seconds()))
            # the state asked again in the same statement: a row claimed since it was read
            # (a retrying one falls due) is in a daemon's hands, and is left to it
            done = conn.execute(
                update(D)
                .where(and_(D.c.key == row.key, D.c.state.in_(allowed)))
                .values(state=State.PENDING, next_attempt_at=now, last_error="",
                        cancel_reason="", attempts=0, grace_seconds=late + row.grace_seconds,
                        updated_at=now)
            ).rowcount  # fmt: skip
            if done:
                retried.append(row.key)
        pausing.hold_paused(conn, now, retried)  # waits for /resume
    return Retried(len(retried), tuple(refused))


def cancel(engine: Engine, key: str, now: dt.datetime) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            update(D)
            .where(and_(D.c.key == key, D.c.state.in_([*ACTIVE_STATES, State.FAILED, State.HELD])))
            .values(state=State.CANCELLED, cancel_reason="user", next_attempt_at=None,
                    updated_at=now)
        )  # fmt: skip
    return int(result.rowcount or 0)


def get_delivery(engine: Engine, key: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(D).where(D.c.key == key)).first()


def state_of(engine: Engine, key: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(D.c.state).where(D.c.key == key)).scalar()


@dataclass(frozen=True)
class Recovery:
    """The daemon's last recovery of deliveries a crash left in flight, as it stored it."""

    at: dt.datetime
    in_flight: int
    confirmed_sent: int
    confirmed_not_sent: int
    possible_duplicates: int


def last_recovery(engine: Engine) -> Recovery | None:
    """The ``last_recovery`` the daemon stores: ``ISO-TIME in_flight=N confirmed_sent=N …``
    (UTC); None if there was none, or if it cannot be read."""
    stored = meta.get_meta(engine, "last_recovery")
    if not stored:
        return None
    when, *pairs = stored.split()
    counts = {name: value for name, _, value in (pair.partition("=") for pair in pairs)}
    try:
        return Recovery(
            at=dt.datetime.fromisoformat(when),
            in_flight=int(counts.get("in_flight", 0)),
            confirmed_sent=int(counts.get("confirmed_sent", 0)),
            confirmed_not_sent=int(counts.get("confirmed_not_sent", 0)),
            possible_duplicates=int(counts.get("possible_duplicates", 0)),
        )
    except ValueError:
        return None


def add_manual(
    engine: Engine,
    channel: str,
    target: str,
    text: str,
    now: dt.datetime,
    tz: dt.tzinfo = dt.UTC,
) -> str:
    """A one-off delivery (``loa send``) in the outbox, due now, like any other.

    Its key holds the time in the office's zone ``tz``, readable (``2026-12-03_05h38m12.…``),
    to the microsecond, so keys stay unique and sort by time as before; keys stored in the old
    form (``20261202T223812…``, UTC) are only names and keep working."""
    stamp = now.astimezone(tz).strftime("%Y-%m-%d_%Hh%Mm%S.%f")
    key = f"manual:{stamp}@{channel}" + (f":{target}" if target else "")
    with engine.begin() as conn:
        conn.execute(
            D.insert().values(
                key=key, message_key=key, campaign="manual", item="loa-send", occurrence="once",
                channel=channel, target=target, due=now, text=text, content_hash="",
                state=State.PENDING, next_attempt_at=now, grace_seconds=3600, created_at=now,
                updated_at=now,
            )
        )  # fmt: skip
    return key


def delivery_row(
    d: Dispatch,
    grace: dt.timedelta,
    now: dt.datetime,
    paused: bool = False,
    content_hash: str = "",
) -> dict[str, Any]:
    """A new outbox row for one dispatch: waiting (held if its campaign is paused), or failed
    at once when its text could not be rendered. Sync and report escalations both add rows
    through it, so a new column is filled in one place."""
    waiting = State.HELD if paused else State.PENDING
    return {
        "key": d.key,
        "message_key": d.message_key,
        "campaign": d.campaign,
        "item": d.item,
        "occurrence": d.occurrence,
        "channel": d.channel,
        "target": d.target,
        "due": d.due,
        "text": d.text,
        "image": d.image,
        "content_hash": content_hash,
        "state": State.FAILED if d.error else waiting,
        "attempts": 0,
        "next_attempt_at": None if d.error else d.due,
        "last_error": d.error,
        "grace_seconds": int(grace.total_seconds()),
        "possible_duplicate": False,
        "cancel_reason": "",
        "created_at": now,
        "updated_at": now,
    }


def count_possible_duplicates(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(D.c.possible_duplicate.is_(True))).scalar() or 0
        )
