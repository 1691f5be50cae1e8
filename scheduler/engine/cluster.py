"""Several daemons on one database: who leads, how they wake each other, who is alive.

Every daemon dispatches, renews its leases and rescues a dead peer's claims; the leader alone
does the work that must happen once (file sync, the daily roll, bots, escalations). On
PostgreSQL the leader is whoever holds the leader lock (``scheduler.engine.lock``): followers
try to take it every ``TRY_SECONDS``, so one of them leads within a few seconds of the
leader's death, and a leader whose lock connection breaks knows it at its next check and stops
that work. On SQLite the one daemon always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from scheduler.engine.lock import (
    APPLICATION,
    KEEPALIVE,
    WAKE_CHANNEL,
    LeaderLock,
    conninfo,
    file_holder,
    leader_id,
)
from scheduler.store import daemons
from scheduler.store.db import is_postgres, sqlite_path

log = logging.getLogger("loa.cluster")

TRY_SECONDS = 2.0  # a follower's tries for the lead, and the leader's check that it holds it
CHECK_TIMEOUT = 5.0  # a check that takes longer counts as a broken lock connection
LISTEN_BACKOFF = (1.0, 2.0, 5.0)  # waits between tries to listen again after a lost connection


class Leadership:
    """Whether this daemon leads. ``check`` says when that changes."""

    def __init__(self, url: str, daemon_id: str) -> None:
        self._lock = LeaderLock(url, APPLICATION + daemon_id) if is_postgres(url) else None
        self.leading = self._lock is None  # SQLite: the one daemon leads

    async def check(self) -> bool | None:
        """Take the lead if it is free, or make sure it is still held: True when it was just
        gained, False when just lost, None when nothing changed. A check that fails or hangs
        (the database is unreachable) holds nothing: the server lets the lock go as the
        connection dies, and a peer may lead already."""
        if self._lock is None:
            return None
        lock = self._lock
        try:
            work = lock.holds if self.leading else lock.take
            now = await asyncio.wait_for(asyncio.to_thread(work), CHECK_TIMEOUT)
        except Exception:
            now = False
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.to_thread(lock.drop), CHECK_TIMEOUT)
        if now == self.leading:
            return None
        self.leading = now
        return now

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
        self.leading = self._lock is None


async def listen(url: str, woken: Callable[[str], None]) -> None:
    """Call ``woken(payload)`` for every NOTIFY on the wake channel, until cancelled; on a
    connection of its own (psycopg's asyncio connection: waiting for one holds up nothing),
    connected again when it breaks. After each (re)connection ``woken("")`` runs once, for a
    change notified while the daemon was not listening."""
    import psycopg

    failures = 0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo(url), autocommit=True, **KEEPALIVE
            ) as conn:
                await conn.execute(f"LISTEN {WAKE_CHANNEL}")
                failures = 0
                woken("")
                async for notice in conn.notifies():
                    woken(notice.payload)
        except psycopg.Error as exc:
            if failures == 0:
                log.warning("wake-ups not heard; listening again", extra={"error": str(exc)})
            await asyncio.sleep(LISTEN_BACKOFF[min(failures, len(LISTEN_BACKOFF) - 1)])
            failures += 1


def wake_peers(db: Engine) -> None:
    """Every daemon reads the outbox again (a NOTIFY on the wake channel, on the store's own
    pool). A daemon that put deliveries back for later (behind a rate limit, or to retry) says
    so: the others would otherwise learn when they fall due only at their next re-read, and
    the one daemon would go on sending them alone, at its share of the rate."""
    with db.begin() as conn:
        conn.execute(text("select pg_notify(:channel, '')"), {"channel": WAKE_CHANNEL})


@dataclass(frozen=True)
class Cluster:
    """The daemons alive on a database and the one that leads, as status and /healthz say."""

    members: list[daemons.Member]
    leader: str | None

    def as_json(self) -> dict[str, Any]:
        """The contract of ``loa status --format json`` and /healthz."""
        return {
            "daemons": [
                {"id": m.id, "host": m.host, "pid": m.pid, "started_at": m.started_at.isoformat(),
                 "seen_at": m.seen_at.isoformat(), "leader": m.id == self.leader}
                for m in self.members
            ],
            "leader": self.leader,
        }  # fmt: skip


def survey(db: Engine, url: str, host_now: dt.datetime) -> Cluster:
    """Who runs now. PostgreSQL: the daemons seen within a lease, and the holder of the leader
    lock. SQLite: the daemon holding the file lock, if any, which leads."""
    members = daemons.alive(db, host_now)
    path = sqlite_path(url)
    if path is not None:
        pid = file_holder(path.with_name(path.name + ".lock"))
        members = [m for m in members if str(m.pid) == pid]
        return Cluster(members, members[0].id if members else None)
    if not is_postgres(url):
        return Cluster([], None)
    with db.connect() as conn:
        return Cluster(members, leader_id(conn))
