"""Which updates a bot has answered, in the database so that it holds across restarts.

Telegram numbers its updates; Zalo gives each message an id. Either is the key. Polling hands
updates out in order, but a webhook is posted again until acknowledged, over several connections
and out of order, so only a record of each answered update tells a new one from a repeat. The
platforms give up on an update within a day (Telegram keeps them 24 hours; a Zalo OA event
older than five minutes is refused by its signature check), so records older than ``KEEP`` go.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, and_, delete, select

from channels.inbound import Update
from scheduler.store.db import upsert
from scheduler.store.tables import AnsweredUpdate

A = AnsweredUpdate.__table__  # type: ignore[attr-defined]
KEEP = dt.timedelta(days=2)
PRUNE_EVERY = 256  # records written between two clean-ups


def key_of(update: Update) -> str:
    """Empty for an update with neither a number nor a message id: it cannot be told apart."""
    return f"#{update.id}" if update.id is not None else update.key


def _recorded(conn: Connection, channel: str, key: str) -> bool:
    found = conn.execute(select(A.c.key).where(and_(A.c.channel == channel, A.c.key == key)))
    return found.first() is not None


def seen(db: Engine, channel: str, key: str) -> bool:
    with db.connect() as conn:
        return _recorded(conn, channel, key)


def record(db: Engine, channel: str, key: str, now: dt.datetime, prune: bool = False) -> None:
    with db.begin() as conn:
        upsert(conn, A, {"channel": channel, "key": key, "at": now}, ["channel", "key"])
        if prune:
            conn.execute(delete(A).where(A.c.at < now - KEEP))
