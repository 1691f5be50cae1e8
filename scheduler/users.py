"""The people who sign in to loa's pages, their roles and their passwords.

A role includes the ones before it: a viewer reads, an editor also changes campaigns, an
approver also approves what goes out in the office's name, an admin also runs the delivery
actions and manages people. Passwords are kept only as argon2id hashes (argon2-cffi, the
library the Password Hashing Competition's winner is maintained in); a wrong name costs the same
time as a wrong password, so timing does not tell which names exist.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select, update

from campaigns.i18n import named, t
from scheduler.store.tables import WebSession, WebUser

U = WebUser.__table__  # type: ignore[attr-defined]
S = WebSession.__table__  # type: ignore[attr-defined]

ROLES = ("viewer", "editor", "approver", "admin")  # each may do what the ones before it may
MIN_PASSWORD = 8
_NAME = re.compile(r"^[\w.@+-]{1,64}$")

# argon2id with RFC 9106's second recommended parameters (64 MiB, 3 passes); tests swap it for
# a cheap one. Hashes made with other parameters still verify and are rehashed at sign-in.
hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """What an unknown name's password is checked against (made once, when first needed)."""
    return hasher.hash("loa: a password no one has")


class UserProblem(Exception):
    """A user command that cannot be done; ``text()`` says why and what to do instead."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params

    def text(self) -> str:
        return t(self.code, **self.params)


@dataclass(frozen=True)
class Account:
    name: str
    role: str

    def may(self, needed: str) -> bool:
        """Whether this role includes ``needed``."""
        return allows(self.role, needed)


def allows(role: str, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def check_role(role: str) -> str:
    if role not in ROLES:
        choices = ", ".join(f"{r} ({named('role', r)})" for r in ROLES)
        raise UserProblem("user_bad_role", value=role, choices=choices)
    return role


def normal_name(name: str) -> str:
    """The name as stored and compared: ``Lan.Nguyen`` and ``lan.nguyen`` are one person,
    whichever way an input method composed the Vietnamese letters."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def check_name(name: str) -> str:
    normal = normal_name(name)
    if not _NAME.match(normal):
        raise UserProblem("user_bad_name", value=name)
    return normal


def check_password(password: str) -> str:
    if not password:
        raise UserProblem("user_empty_password")
    if len(password) < MIN_PASSWORD:
        raise UserProblem("user_short_password", count=MIN_PASSWORD)
    return password


def add(db: Engine, name: str, role: str, password: str, now: dt.datetime) -> Account:
    name, role = check_name(name), check_role(role)
    digest = hasher.hash(check_password(password))
    with db.begin() as conn:
        if conn.execute(select(U.c.name).where(U.c.name == name)).first() is not None:
            raise UserProblem("user_exists", name=name)
        conn.execute(
            U.insert().values(
                name=name, role=role, password_hash=digest, created_at=now, updated_at=now
            )
        )
    return Account(name, role)


def remove(db: Engine, name: str) -> None:
    """Remove a person; their sessions end at once, on every daemon."""
    name = normal_name(name)
    with db.begin() as conn:
        if conn.execute(delete(U).where(U.c.name == name)).rowcount == 0:
            raise UserProblem("user_unknown", name=name)
        conn.execute(delete(S).where(S.c.user == name))


def set_password(db: Engine, name: str, password: str, now: dt.datetime) -> None:
    """A new password; sessions signed in with the old one end (it may have been stolen)."""
    name = normal_name(name)
    digest = hasher.hash(check_password(password))
    with db.begin() as conn:
        changed = conn.execute(
            update(U).where(U.c.name == name).values(password_hash=digest, updated_at=now)
        )
        if changed.rowcount == 0:
            raise UserProblem("user_unknown", name=name)
        conn.execute(delete(S).where(S.c.user == name))


def listing(db: Engine) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(select(U.c.name, U.c.role, U.c.created_at).order_by(U.c.name)))


def verify(db: Engine, name: str, password: str, now: dt.datetime) -> Account | None:
    """The account when ``password`` is its password; None otherwise, in about the same time
    whether or not the name exists."""
    name = normal_name(name)
    with db.connect() as conn:
        row = conn.execute(select(U).where(U.c.name == name)).first()
    try:
        hasher.verify(row.password_hash if row is not None else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if hasher.check_needs_rehash(row.password_hash):
        with db.begin() as conn:
            conn.execute(
                update(U).where(U.c.name == name).values(password_hash=hasher.hash(password))
            )
    return Account(row.name, row.role)


def account(db: Engine, name: str) -> Account | None:
    """The person by that name (as typed anywhere: normalised) and their role, or None."""
    with db.connect() as conn:
        row = conn.execute(select(U.c.name, U.c.role).where(U.c.name == normal_name(name))).first()
    return None if row is None else Account(row.name, row.role)
