"""The registry of running daemons: which ``loa run`` processes share this database.

Each daemon writes its row at start and renews ``seen_at`` with its lease heartbeat; a clean
stop removes the row, and a daemon killed outright stops renewing it. On PostgreSQL the
database's clock stamps ``seen_at`` and judges who is alive, so hosts whose clocks disagree
still agree on that; SQLite (one host, one daemon) uses the host's clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select

from scheduler.store.db import upsert
from scheduler.store.tables import DaemonEntry

R = DaemonEntry.__table__  # type: ignore[attr-defined]

# not seen for a lease (four missed heartbeats): dead, as its claims are then taken back
DEAD_AFTER = dt.timedelta(seconds=60)
FORGET_AFTER = dt.timedelta(hours=1)  # a dead daemon's row is removed at the next start


@dataclass(frozen=True)
class Member:
    id: str
    host: str
    pid: int
    started_at: dt.datetime
    seen_at: dt.datetime


def _now(conn: Connection, host_now: dt.datetime) -> Any:
    """The database's clock where it has one its daemons share (PostgreSQL), else the host's."""
    return func.now() if conn.dialect.name == "postgresql" else host_now


def announce(
    db: Engine, daemon_id: str, host: str, pid: int, host_now: dt.datetime, start: bool = False
) -> None:
    """Write this daemon's row, or renew its ``seen_at`` (a row removed while the daemon could
    not reach the database comes back). At ``start``, rows of daemons long dead are removed."""
    with db.begin() as conn:
        now = _now(conn, host_now)
        values = {"id": daemon_id, "host": host, "pid": pid, "started_at": now, "seen_at": now}
        upsert(conn, R, values, ["id"], {"seen_at": now})
        if start:
            conn.execute(delete(R).where(R.c.seen_at < now - FORGET_AFTER))


def leave(db: Engine, daemon_id: str) -> None:
    with db.begin() as conn:
        conn.execute(delete(R).where(R.c.id == daemon_id))


def forget_others(db: Engine, daemon_id: str) -> None:
    """The daemon that holds SQLite's lock is the only one alive: every other row is a dead one's."""
    with db.begin() as conn:
        conn.execute(delete(R).where(R.c.id != daemon_id))


def alive(db: Engine, host_now: dt.datetime, dead_after: dt.timedelta = DEAD_AFTER) -> list[Member]:
    """The daemons seen within ``dead_after``, the longest running first."""
    with db.connect() as conn:
        rows = conn.execute(
            select(R.c.id, R.c.host, R.c.pid, R.c.started_at, R.c.seen_at)
            .where(R.c.seen_at >= _now(conn, host_now) - dead_after)
            .order_by(R.c.started_at, R.c.id)
        ).all()
    return [Member(r.id, r.host, r.pid, r.started_at, r.seen_at) for r in rows]
