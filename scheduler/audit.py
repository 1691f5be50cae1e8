"""The audit log: every admin command, allowed or refused, with who, what, when and result."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select

from channels.redact import redact
from scheduler.store.tables import AuditEntry

A = AuditEntry.__table__  # type: ignore[attr-defined]

OK, REFUSED, ERROR = "ok", "refused", "error"
# details stored as codes (the JSON keeps them; tables show them in words, campaigns.i18n)
NOT_ADMIN, UNKNOWN_CAMPAIGN = "not an admin", "unknown campaign"
WRONG_PASSWORD = "wrong password"  # a refused sign-in to the web pages
# a detail may be a campaign file's whole difference (the editor's saves): kept whole up to this
MAX_DETAIL = 200_000


def write(
    db: Engine,
    at: dt.datetime,
    channel: str,
    chat: str,
    user: str,
    command: str,
    arguments: str,
    result: str,
    detail: str = "",
) -> None:
    with db.begin() as conn:
        conn.execute(
            A.insert().values(
                at=at, channel=channel, chat=chat, user=user, command=command,
                arguments=redact(arguments)[:1000], result=result, detail=redact(detail)[:MAX_DETAIL],
            )
        )  # fmt: skip


def recent(db: Engine, limit: int = 50, result: str | None = None) -> list[Any]:
    """The newest entries first."""
    query = select(A).order_by(A.c.at.desc(), A.c.id.desc()).limit(limit)
    if result is not None:
        query = query.where(A.c.result == result)
    with db.connect() as conn:
        return list(conn.execute(query).all())


def last_user(db: Engine, command: str, arguments: str) -> str | None:
    """Who last did ``command`` on ``arguments`` with success: the last editor of a campaign
    is the latest ``campaign_edit`` of its id (the page's editor writes one on every save), so
    the two-person rule of approval knows whom to refuse. None: no one known."""
    query = (
        select(A.c.user)
        .where(A.c.command == command, A.c.arguments == arguments, A.c.result == OK)
        .order_by(A.c.at.desc(), A.c.id.desc())
        .limit(1)
    )
    with db.connect() as conn:
        found = conn.execute(query).scalar()
    return None if found is None else str(found)
