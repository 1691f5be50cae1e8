"""Operations on the outbox: claim what is due, record what happened, answer questions.

The claim is the heart of "nothing lost, nothing sent twice": a delivery moves to ``sending``
in a committed transaction *before* the channel is called, and to ``sent`` after. A crash in
between leaves it in ``sending``, which ``in_flight`` finds on the next start. On PostgreSQL the
claim takes row locks with SKIP LOCKED so several daemons never claim the same row; SQLite
runs one daemon (see ``scheduler.engine.lock``). Each target's order and pace (one message in
flight at a time, the platform's rate, its retry-after) live here too (``target_pace``), so
they hold whichever daemon sends; times are the store's (``store_now``).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    Integer,
    Row,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import visitors
from sqlalchemy.sql.expression import BindParameter

from campaigns.expand import Dispatch
from campaigns.i18n import t
from campaigns.model import ChannelCatalog
from channels.redact import redact
from scheduler import pausing, subscriptions
from scheduler.store import meta
from scheduler.store.tables import (
    ACTIVE_STATES,
    Delivery,
    State,
    TargetPace,
    UTCDateTime,
    from_sqlite_time,
    sqlite_time,
    still_active,
)

D = Delivery.__table__  # type: ignore[attr-defined]
P = TargetPace.__table__  # type: ignore[attr-defined]
S = D.alias("in_flight")  # the rows in ``sending`` that hold their target back (``busy``)


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
    parts_sent: tuple[str, ...] = ()  # of a message in parts, those an earlier try sent


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
    pace: Pace | None = None  # the try reached the platform: when the target's next may go
    frees: tuple[str, str] | None = None  # (channel, target) the last of its lane: free again


@dataclass(frozen=True)
class Pace:
    """What a try tells the other daemons about its target: wait ``after`` seconds before the
    next message (the platform's rate), or ``hold`` (the platform's retry-after)."""

    channel: str
    target: str
    after: float | None = None
    hold: float | None = None


def _same(value: dt.datetime | None) -> dt.datetime | None:
    return value


def _claimed(row: Sequence[Any], when: Callable[[Any], Any] = _same) -> Claimed:
    """A claimed row (its values in ``_COLUMNS``' order) as the engine takes it; ``when``
    reads a time as the row holds it (SQLite's text, straight from the driver)."""
    key, campaign, item, channel, target, due, text, _, attempts, grace, dup, _, _, image, parts = (
        row
    )
    return Claimed(key, campaign, item, channel, target, when(due), text, attempts,
                   _grace(grace), image, bool(dup), tuple(parts.split(",")) if parts else ())  # fmt: skip


@functools.cache
def _grace(seconds: int) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)


_COLUMNS = (
    D.c.key, D.c.campaign, D.c.item, D.c.channel, D.c.target, D.c.due, D.c.text, D.c.state,
    D.c.attempts, D.c.grace_seconds, D.c.possible_duplicate, D.c.last_error, D.c.next_attempt_at,
    D.c.image, D.c.provider_message_id,
)  # fmt: skip


def held_back(at: Any, paced: Collection[str] = ()) -> Any:
    """A delivery waits while an earlier one to the same target is still waiting past ``at``
    (put off by a rate limit, or retrying after an error): order per target. On a ``paced``
    channel (one with a per-chat or per-group rate) it waits for every earlier one: a paced
    target gets one message at a time, the first in due order (ties by key).

    The claim asks it at ``now``; the next wake-up asks it at each row's own time (or now, if
    that has passed). One rule for both, so the daemon never wakes for a row that the claim
    will refuse (it would wake, claim nothing, and wake again at once: a spin at 100 % of a
    core)."""
    earlier = D.alias("earlier")
    ordered: Any = earlier.c.due < D.c.due
    waiting: Any = earlier.c.next_attempt_at > at
    if paced:
        on_paced = D.c.channel.in_(sorted(paced))
        ordered = or_(ordered, and_(earlier.c.due == D.c.due, earlier.c.key < D.c.key))
        waiting = or_(waiting, on_paced)
    return _waiting_row(earlier, D, ordered, waiting)


def _waiting_row(rows: Any, of: Any, *conditions: Any) -> Any:
    """A row of ``rows`` that waits (pending or retrying) for the same target as ``of``'s
    (a delivery, a pace, a send in flight) and meets ``conditions``."""
    return (
        select(rows.c.key)
        .where(
            and_(
                rows.c.channel == of.c.channel,
                rows.c.target == of.c.target,
                rows.c.state.in_(list(ACTIVE_STATES)),
                *conditions,
            )
        )
        .exists()
    )


def pace_free(at: Any) -> Any:
    """The target's pace (``target_pace``, joined) lets a message go at ``at``: no message to
    it in flight (a lease of its own), its last one long enough ago for the platform's rate,
    and no wait the platform asked for (retry-after). Two messages to one chat never go out
    together, whichever daemons hold them."""
    return and_(
        *(or_(column.is_(None), column <= at) for column in (P.c.busy_until, P.c.next_at,
                                                             P.c.hold_until))
    )  # fmt: skip


def busy(now: Any) -> Any:
    """A message to the row's target is in flight (``sending`` on a live lease), as the outbox
    says. On SQLite (one writer) that is the whole answer. On PostgreSQL a claim that began
    before another one's commit reads the outbox as it was, and would find the target free:
    there the claim also marks its targets busy on their pace rows (``pace_free``), which it
    locks, and which a later claim reads again at their newest version once it gets them."""
    sending = select(S.c.channel, S.c.target).where(
        and_(S.c.state == State.SENDING, S.c.lease_until > now)
    )
    return tuple_(D.c.channel, D.c.target).in_(sending)


def _paced(query: Any, outer: bool) -> Any:
    """``query`` over the outbox with each row's target pace joined: a missing pace row (a
    target never sent to, on SQLite) is no pace."""
    same = and_(P.c.channel == D.c.channel, P.c.target == D.c.target)
    return query.join(P, same, isouter=outer)


def store_now(db: Engine | Connection, now: dt.datetime | None = None) -> dt.datetime:
    """The time the store judges by: ``now`` when given (a test's clock), else PostgreSQL's
    own clock, the same for every daemon on it whatever its host's clock says, or this host's
    on SQLite (one host)."""
    if now is not None:
        return now
    if db.dialect.name != "postgresql":
        return dt.datetime.now(dt.UTC)
    if isinstance(db, Engine):
        with db.connect() as conn:
            return store_now(conn)
    return _aware(db.execute(select(func.now())).scalar())


def claim_due(
    engine: Engine,
    now: dt.datetime,
    daemon: str,
    limit: int = 500,
    only: list[str] | None = None,
    lease: dt.timedelta = dt.timedelta(seconds=60),
    paced: Collection[str] = (),
    done: Sequence[Outcome] = (),
    rooms: Mapping[str, int] | None = None,
) -> tuple[list[Claimed], list[Claimed]]:
    """Claim up to ``limit`` due deliveries: (to send now, found too late and marked missed).
    ``done``: outcomes of this daemon's sends, written first in the same transaction (one
    commit instead of two, and the targets they free are free for this claim).

    ``rooms``: how many at most to take for each outlet that bounds its sends in flight (by
    its name), in turn, out of ``limit``; the other channels together then take what is left
    of it. A daemon holds about as many claims as its outlets can have with their platforms
    (``Channel.in_flight``), never more than ``limit`` in all (``allot``).

    One statement moves the rows to ``sending``. A claim has an owner (``daemon``) and a lease
    until ``now + lease``: the owner renews it while it lives (``renew``), and a rescuer takes
    back a claim whose lease ran out (``in_flight``). A row is not taken while its target is
    held back (``held_back``, ``pace_free``); the claim marks its targets busy in its
    transaction, and ``record`` frees them (``Outcome.frees``).

    A pending delivery later than its grace period is missed, not sent: after downtime an
    announcement for a morning that has passed does more harm than good.
    """
    outer = engine.dialect.name != "postgresql"
    given = {"now": now, "daemon": daemon, "until": now + lease, "only": only, "of_channel": None}
    split = rooms if only is None else None  # None: one claim over every channel
    bounded = frozenset(split or ())
    kinds = frozenset(paced), outer, only is not None
    with engine.begin() as conn:
        if done:
            _record(conn, done, now, daemon)
        raw: list[Any] = []
        taken: dict[str | None, int] = {}
        for channel in [*bounded_order(split or {}), None]:
            room = allot(split, limit, taken)[channel]
            if room <= 0:
                continue
            scope = None if split is None else "one" if channel else bounded
            claim = _claim(*kinds, scope)
            got = _claim_rows(conn, claim, {**given, "limit": room, "of_channel": channel})
            taken[channel] = len(got)
            raw += got
        when = from_sqlite_time if _on_driver(conn, only) else _same
        rows = [_claimed(r, when) for r in sorted(raw, key=_claim_order)]
        send: list[Claimed] = []
        missed: list[Claimed] = []
        for claimed in rows:
            (missed if now - claimed.due > claimed.grace else send).append(claimed)
        targets = {(c.channel, c.target) for c in send}  # a missed one holds no target
        if targets and conn.dialect.name == "postgresql":  # see ``busy``
            busy = {"busy_until": now + lease, "busy_by": daemon}
            _set_paces(conn, [{"channel": c, "target": t, **busy} for c, t in targets])
        if missed:  # rare (after downtime): the hot path stays one statement
            conn.execute(
                update(D)
                .where(D.c.key.in_([c.key for c in missed]))
                .values(state=State.MISSED, next_attempt_at=None, updated_at=now,
                        attempts=D.c.attempts - 1, claimed_by=None, lease_until=None,
                        last_error=t("missed_reason"))
            )  # fmt: skip
    return send, [_with_attempt(c, -1) for c in missed]


def bounded_order(rooms: Mapping[str, int]) -> list[str]:
    """The order in which bounded outlets claim (``claim_due``, ``allot``): by name."""
    return sorted(rooms)


def allot(
    rooms: Mapping[str, int] | None, limit: int, taken: Mapping[str | None, int]
) -> dict[str | None, int]:
    """What each scope of a claim may take (``claim_due``): the bounded outlets in turn, each
    up to its room and what ``limit`` has left after those before it took theirs (``taken``),
    then the other channels together (None) all that is left. Given what each took, it also
    says what each was offered, so a daemon knows which found fewer due than it could take."""
    left = limit
    offered: dict[str | None, int] = {}
    for name in bounded_order(rooms or {}):
        offered[name] = max(0, min(left, (rooms or {})[name]))
        left -= taken.get(name, 0)
    offered[None] = max(0, left)
    return offered


def _on_driver(conn: Connection, only: list[str] | None) -> bool:
    """The claim's hot path on SQLite goes straight to the driver (``_driver_form``)."""
    return conn.dialect.name == "sqlite" and only is None


def _claim_rows(conn: Connection, claim: Any, given: dict[str, Any]) -> Sequence[Any]:
    """The rows one claim statement takes, as the driver gives them on SQLite's hot path."""
    if not _on_driver(conn, given["only"]):
        return conn.execute(claim, given).all()
    sql, names, fixed = _driver_form(claim, frozenset(given))
    times = {"now": sqlite_time(given["now"]), "until": sqlite_time(given["until"])}
    values = {**fixed, **given, **times}
    return conn.exec_driver_sql(sql, tuple(values[n] for n in names)).all()


def _claim_order(row: Sequence[Any]) -> tuple[Any, Any, Any]:
    """Claimed rows in the order they were due to go: (next_attempt_at, due, key). SQLite's
    time text sorts as its times do."""
    return row[12], row[5], row[0]


@functools.cache
def _claim(paced: frozenset[str], outer: bool, only: bool, scope: Any = None) -> Any:
    """The claim's statement (``claim_due``), built once per kind: building it is work.
    ``scope``: every channel (None), the one given as ``of_channel`` ("one"), or every channel
    but those named (a frozenset)."""
    if scope == "one":
        of_scope: Any = D.c.channel == bindparam("of_channel")
    elif scope is not None:
        of_scope = D.c.channel.not_in(sorted(scope)) if scope else true()
    else:
        of_scope = true()
    now = bindparam("now", type_=UTCDateTime())
    limit = bindparam("limit", type_=Integer())
    # one ordered index range scan per state ((state, next_attempt_at) index), merged: an IN
    # over both states would make the database sort every due row to pick a few. PostgreSQL
    # locks the target's pace row too (SKIP LOCKED, ``outer`` False): a claim skips a target
    # another one is taking, and one that began before another's commit sees that target
    # busy once it gets the row (the row's condition is checked again on its newest version)
    scans = [
        _paced(select(D.c.key, D.c.next_attempt_at), outer)
        .where(
            and_(D.c.state == state, D.c.key.in_(bindparam("only", expanding=True)))
            if only
            else and_(D.c.state == state, D.c.next_attempt_at <= now, of_scope,
                      ~held_back(now, paced), pace_free(now), ~busy(now))
        )
        .order_by(D.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .subquery()
        for state in ACTIVE_STATES
    ]  # fmt: skip
    merged = union_all(*(select(scan.c.key, scan.c.next_attempt_at) for scan in scans)).subquery()
    chosen = select(merged.c.key).order_by(merged.c.next_attempt_at).limit(limit)
    return (
        update(D)
        .where(and_(D.c.key.in_(chosen), still_active(D.c.state)))
        .values(
            state=State.SENDING,
            attempts=D.c.attempts + 1,
            claimed_by=bindparam("daemon"),
            claimed_at=now,
            lease_until=bindparam("until", type_=UTCDateTime()),
            updated_at=now,
        )
        .returning(*_COLUMNS)
    )


def _with_attempt(c: Claimed, step: int) -> Claimed:
    return Claimed(**{**c.__dict__, "attempts": c.attempts + step})


def record(
    engine: Engine, outcomes: Sequence[Outcome], now: dt.datetime, owner: str | None = None
) -> None:
    """Write outcomes in one transaction; no secret is stored in an error.

    ``owner``: only rows still claimed by that daemon. A claim a rescuer took back (its lease
    ran out) is no longer its owner's to finish: the delivery goes out again, flagged."""
    if not outcomes:
        return
    with engine.begin() as conn:
        _record(conn, outcomes, now, owner)


def _record(
    conn: Connection, outcomes: Sequence[Outcome], now: dt.datetime, owner: str | None
) -> None:
    errors = {o.key: redact(o.error) if o.error else "" for o in outcomes}
    owned = owner is not None
    raw = _driver_form(_record_statement(owned), _GIVEN) if conn.dialect.name == "sqlite" else None
    when: Callable[[dt.datetime | None], Any] = sqlite_time if raw else _same
    fixed = raw[2] if raw else {}  # the hot path: straight to the driver (``_driver_form``)
    stamp = when(now)
    params = [
        {
            "k": o.key,
            "state": str(o.state),
            "error": errors[o.key],
            "sent_at": when(o.sent_at),
            "provider_message_id": o.provider_message_id,
            "next_attempt_at": when(o.next_attempt_at),
            "undo": 1 if o.deferred else 0,
            "dup": int(o.possible_duplicate) if raw else o.possible_duplicate,
            "now": stamp,
            "owner": owner,
            **fixed,
        }
        for o in outcomes
    ]
    waiting = [o.key for o in outcomes if o.state in (State.RETRYING, State.PENDING)]
    paces = [_pace_row(o.pace, now) for o in outcomes if o.pace is not None]
    frees = [{"c": c, "t": t, "owner": owner} for o in outcomes if o.frees for c, t in [o.frees]]
    if raw:
        sql, names, _ = raw
        conn.exec_driver_sql(sql, list(map(operator.itemgetter(*names), params)))
    else:
        conn.execute(_record_statement(owned), params)
    if paces:
        _set_paces(conn, paces)
    if frees and owner is not None and conn.dialect.name == "postgresql":  # see ``busy``
        conn.execute(_FREE, frees)
    pausing.hold_paused(conn, now, waiting)  # paused while in flight: held, not retried
    for o in outcomes:
        if o.unsubscribe is not None:
            subscriptions.end(conn, *o.unsubscribe, errors[o.key], now)


@functools.cache
def _record_statement(owned: bool) -> Any:
    """``record``'s statement, built once: only a row still in ``sending`` (a person may have
    cancelled it meanwhile), and with ``owned``, only one still claimed by its owner."""
    mine = [D.c.claimed_by == bindparam("owner")] if owned else []
    return (
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


@functools.cache
def _driver_form(
    statement: Any, given: Collection[str]
) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """A hot-path statement compiled once for SQLite: its text, its parameters' names in
    order, and the values it fixes itself (states, lists of states, numbers), as SQLite keeps
    them; the ``given`` ones come with each call. Binding thousands of rows through
    SQLAlchemy's parameter and result processing took a third of a burst's time; the callers
    bind times with ``sqlite_time`` and read them with ``from_sqlite_time``, as
    ``UTCDateTime`` does."""

    def open_slot(element: Any, **_: Any) -> Any:  # a value each call gives: None until then
        if isinstance(element, BindParameter) and element.required:
            return bindparam(element.key, value=None, type_=element.type, required=False)
        return None

    ready = visitors.replacement_traverse(statement, {}, open_slot)
    compiled = ready.compile(dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True})
    names = tuple(compiled.positiontup or ())
    fixed = {n: _as_sqlite(v) for n, v in compiled.construct_params().items() if n not in given}
    return compiled.string, names, fixed


def _as_sqlite(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return sqlite_time(value)
    if isinstance(value, bool):
        return int(value)
    return str(value) if isinstance(value, str) else value  # a State: its text


_GIVEN = frozenset({"k", "state", "error", "sent_at", "provider_message_id", "next_attempt_at", "undo",
          "dup", "now", "owner"})  # fmt: skip


# a lane is done: its target is free for the next claim (unless a rescuer took it meanwhile)
_FREE = (
    update(P)
    .where(and_(P.c.channel == bindparam("c"), P.c.target == bindparam("t"),
                P.c.busy_by == bindparam("owner")))
    .values(busy_until=None, busy_by=None)
)  # fmt: skip


def _pace_row(pace: Pace, now: dt.datetime) -> dict[str, Any]:
    def after(seconds: float | None) -> dt.datetime | None:
        return None if seconds is None else now + dt.timedelta(seconds=seconds)

    return {"channel": pace.channel, "target": pace.target, "next_at": after(pace.after),
            "hold_until": after(pace.hold)}  # fmt: skip


def _set_paces(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Targets' paces, in the transaction of the claim or of the record: a daemon that claims
    after it (on any host) sees them. A time not given keeps the one stored."""
    names = tuple(name for name in rows[0] if name not in ("channel", "target"))
    conn.execute(_pace_upsert(conn.dialect.name, names), rows)


@functools.cache
def _pace_upsert(dialect_name: str, names: tuple[str, ...]) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(P)
    kept = {n: func.coalesce(getattr(statement.excluded, n), getattr(P.c, n)) for n in names}
    return statement.on_conflict_do_update(index_elements=["channel", "target"], set_=kept)


def renew(engine: Engine, daemon: str, until: dt.datetime) -> int:
    """The heartbeat: ``daemon`` is alive, its claims hold until ``until``."""
    with engine.begin() as conn:
        result = conn.execute(
            update(D)
            .where(and_(D.c.state == State.SENDING, D.c.claimed_by == daemon))
            .values(lease_until=until)
        )
        conn.execute(update(P).where(P.c.busy_by == daemon).values(busy_until=until))
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


def take_in_flight(
    engine: Engine, now: dt.datetime | None, owner: str, own: bool, until: dt.datetime
) -> list[Claimed]:
    """Take over the deliveries a dead process left in ``sending`` (see ``_rescuable``): it
    died, or was killed, between handing them to the platform and recording the answer.

    One statement moves them to ``rescuer(owner)`` with a lease until ``until``, so two
    rescuers at the same moment never both take one: the second finds it taken (PostgreSQL
    checks the row again once the first commits), and only the taker counts and resolves it.
    The rescuer's name is not ``owner``: its heartbeat does not renew them, so a rescue cut
    short leaves them to be taken again once that lease runs out. What the dead held is let go
    with them: every target (``now`` None, the store alone) or, at start, those held under
    this daemon's own id by an earlier run."""
    with engine.begin() as conn:
        rows = conn.execute(
            update(D)
            .where(_rescuable(now, owner, own))
            .values(claimed_by=rescuer(owner), lease_until=until)
            .returning(*_COLUMNS)
        ).all()
        if now is None or own:
            dead = true() if now is None else P.c.busy_by == owner
            conn.execute(update(P).where(dead).values(busy_until=None, busy_by=None))
    return [_claimed(r) for r in rows]


def rescuer(owner: str) -> str:
    return f"{owner} (rescue)"


def release(
    engine: Engine, keys: Iterable[str], now: dt.datetime, possible_duplicate: bool, owner: str
) -> int:
    """Put deliveries ``owner`` took over (``take_in_flight``) back in the queue, to be sent
    again, flagging duplicates; only those still its own (a rescue cut short and taken again
    by another is the other's)."""
    keys = list(keys)
    if not keys:
        return 0
    with engine.begin() as conn:
        result = conn.execute(
            update(D)
            .where(
                and_(
                    D.c.key.in_(keys),
                    D.c.state == State.SENDING,
                    D.c.claimed_by == rescuer(owner),
                )
            )
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


def next_wake(
    engine: Engine, paced: Collection[str] = (), now: dt.datetime | None = None
) -> dt.datetime | None:
    """The earliest time at which ``claim_due`` will take something, by the store's clock
    (``store_now``): the same rules (``held_back``, ``pace_free``), asked at each
    row's own time, or now if it has passed.

    A row held back by an earlier one is never the answer: the earlier one's own time is, and
    it comes first in the scan of the (state, next_attempt_at) index, which stops at the first
    row not held back. A row held back by its target's pace is not the answer either: the
    moment the pace lets go is (a send in flight is done, the platform's rate or retry-after
    allows the next), if a row waits for it."""
    with engine.connect() as conn:
        now = store_now(conn, now)
        at = _later(conn, D.c.next_attempt_at, now)
        queries = [
            _paced(select(D.c.next_attempt_at), outer=True)
            .where(and_(D.c.state == state, ~held_back(at, paced), pace_free(at), ~busy(now)))
            .order_by(D.c.next_attempt_at)
            .limit(1)
            for state in ACTIVE_STATES
        ]
        for moment in (P.c.busy_until, P.c.next_at, P.c.hold_until, S.c.lease_until):
            found = [moment > now, _waiting_for(moment)]
            if moment is S.c.lease_until:
                found.append(S.c.state == State.SENDING)
            queries.append(select(func.min(moment)).where(*found))
        values = [v for q in queries if (v := conn.execute(q).scalar()) is not None]
    return min((_aware(v) for v in values), default=None)


def _waiting_for(moment: Any) -> Any:
    """A row of ``moment``'s target (its pace, or a send in flight to it) is due by then and
    waits: that moment matters."""
    return _waiting_row(D, moment.table, D.c.next_attempt_at <= moment)


def _later(conn: Connection, column: Any, now: dt.datetime) -> Any:
    moment = literal(now, UTCDateTime())
    greatest = func.greatest if conn.dialect.name == "postgresql" else func.max
    return greatest(column, moment)


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
    because its chat unsubscribed is not sent to that chat again; one that needs approval and
    has none for what it sends waits for an approver. Refused: one that could never
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
                D.c.last_error, D.c.text, D.c.image, D.c.needs_approval,
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
        # one that needs approval goes out only as approved: else it waits for an approver
        from scheduler import approval  # it builds on this module

        again = [dict(row._mapping) for row in rows if row.key in retried and row.needs_approval]
        approval.settle(conn, again, now)
        pausing.hold_paused(conn, now, retried)  # waits for /resume
    return Retried(len(retried), tuple(refused))


CANCELLABLE = (State.FAILED, State.HELD, State.AWAITING)  # by a person, besides the waiting


def cancel(engine: Engine, key: str, now: dt.datetime) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            update(D)
            .where(and_(D.c.key == key, D.c.state.in_([*ACTIVE_STATES, *CANCELLABLE])))
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
    needs_approval: bool = False,
) -> dict[str, Any]:
    """A new outbox row for one dispatch: waiting (held if its campaign is paused; for an
    approver if it needs one), or failed at once when its text could not be rendered. Sync
    and report escalations both add rows through it, so a new column is filled in one place."""
    waiting = State.HELD if paused else State.PENDING
    if needs_approval:
        waiting = State.AWAITING
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
        "needs_approval": needs_approval,
        "created_at": now,
        "updated_at": now,
    }


def count_possible_duplicates(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(D.c.possible_duplicate.is_(True))).scalar() or 0
        )
