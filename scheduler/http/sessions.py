"""Signed-in sessions and the memory of wrong passwords, both kept in the database.

Several daemons may serve the same office behind one address (PostgreSQL): whichever answers a
request must know the session, a sign-out on one ends it on all, and a guesser spreading tries
over them meets one count. The cookie holds a random id; the table holds only its sha256, so a
copy of the database opens no session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import OperationalError

from scheduler.store.tables import SigninFailure, WebSession, WebUser
from scheduler.users import Account

S = WebSession.__table__  # type: ignore[attr-defined]
U = WebUser.__table__  # type: ignore[attr-defined]
F = SigninFailure.__table__  # type: ignore[attr-defined]

TOUCH_EVERY = dt.timedelta(minutes=1)  # a busy page writes seen_at at most this often
FAILURE_WINDOW = dt.timedelta(minutes=1)
MAX_FAILURES = 9  # wrong passwords per user, and per address, in the window; the next waits


@dataclass(frozen=True)
class Session:
    account: Account
    csrf: str  # the token every form of this session carries
    key: str  # the stored hash of the cookie's id


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def start(db: Engine, account: Account, address: str, now: dt.datetime) -> tuple[str, Session]:
    """A new session (a new id at every sign-in, so an id planted before it is worth nothing);
    returns the cookie's value and the session."""
    cookie = secrets.token_urlsafe(32)
    session = Session(account, secrets.token_urlsafe(32), _key(cookie))
    with db.begin() as conn:
        conn.execute(
            S.insert().values(
                key=session.key, user=account.name, csrf=session.csrf, address=address[:100],
                created_at=now, seen_at=now,
            )
        )  # fmt: skip
    return cookie, session


def find(db: Engine, cookie: str, now: dt.datetime, idle: dt.timedelta) -> Session | None:
    """The live session of this cookie, its idle time restarted; None when unknown, ended,
    idle too long (then it is deleted) or its person removed."""
    if not cookie or len(cookie) > 100:
        return None
    key = _key(cookie)
    query = (
        select(S.c.csrf, S.c.seen_at, U.c.name, U.c.role)
        .join(U, U.c.name == S.c.user)
        .where(S.c.key == key)
    )
    with db.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    if now - row.seen_at >= idle:
        end(db, key)
        return None
    if now - row.seen_at >= TOUCH_EVERY:
        try:
            with db.begin() as conn:
                conn.execute(update(S).where(S.c.key == key).values(seen_at=now))
        except OperationalError:
            # a database that can be read but not written (read-only, full disk) still shows
            # staff the pages, the status page above all; the storage watch reports the fault
            pass
    return Session(Account(row.name, row.role), row.csrf, key)


def end(db: Engine, key: str) -> None:
    with db.begin() as conn:
        conn.execute(delete(S).where(S.c.key == key))


def sweep(db: Engine, now: dt.datetime, idle: dt.timedelta) -> None:
    """Forget idle sessions and old wrong passwords (run at each sign-in: no timer needed)."""
    with db.begin() as conn:
        conn.execute(delete(S).where(S.c.seen_at <= now - idle))
        conn.execute(delete(F).where(F.c.at <= now - FAILURE_WINDOW))


def wait_seconds(db: Engine, user: str, address: str, now: dt.datetime) -> int:
    """How long this user, or this address, must wait before trying a password again: 0
    until MAX_FAILURES wrong ones in the last minute, then until the oldest leaves the window."""
    since = now - FAILURE_WINDOW
    waits = [0]
    with db.connect() as conn:
        for column, value in ((F.c.user, user), (F.c.address, address)):
            recent = select(F.c.at).where(column == value, F.c.at > since)
            count = conn.execute(select(func.count()).select_from(recent.subquery())).scalar_one()
            if count >= MAX_FAILURES:
                oldest = conn.execute(
                    recent.order_by(F.c.at.desc()).offset(MAX_FAILURES - 1).limit(1)
                ).scalar_one()
                waits.append(max(1, int((oldest + FAILURE_WINDOW - now).total_seconds()) + 1))
    return max(waits)


def failed(db: Engine, user: str, address: str, now: dt.datetime) -> None:
    with db.begin() as conn:
        conn.execute(F.insert().values(at=now, user=user[:100], address=address[:100]))


def forgive(db: Engine, user: str) -> None:
    """A right password clears its user's count. Not its address's: a guesser with an account
    of their own must not reset the count of the names they are trying."""
    with db.begin() as conn:
        conn.execute(delete(F).where(F.c.user == user))
