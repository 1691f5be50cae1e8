"""Who may run on a database: one daemon on SQLite, several with one leader on PostgreSQL.

SQLite has no SKIP LOCKED, so two daemons on one file could both claim a message. The first
``loa run`` holds an exclusive lock on ``<database>.lock`` (released by the OS even on kill -9);
a second one refuses to start and says which process holds it. The file also tells CLI
commands which process to nudge (SIGUSR1) after they change the outbox.

PostgreSQL lets several daemons share the database: they claim with row locks, and the work
that must happen once (file sync, bots, escalations) runs on the one holding the leader lock,
a session advisory lock on a connection of its own, named ``loa run <daemon id>`` so that
``loa status`` can say who leads. The server releases it when that connection ends, kill -9
included, and another daemon takes it at its next try. CLI commands wake the daemons with a
NOTIFY on ``loa_wake``, which reaches them on every host.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from campaigns.i18n import t
from scheduler.store.db import is_postgres, reaching, sqlite_path

LEADER_LOCK = 0x6C6F61_02  # "loa" 2: the pg_advisory_lock key of the leading daemon
SENDER_LOCK = 0x6C6F61_03  # "loa" 3: held by a run of the alert sender, for its transaction
APPLICATION = "loa run "  # + the daemon's id, the leader lock connection's application_name
WAKE_CHANNEL = "loa_wake"  # NOTIFY payload: "" (re-read the outbox), SYNC or ALERTED
SYNC = "sync"  # the leader syncs again: a follower's chat command changed a subscription
ALERTED = "alerts"  # the leader's alert sender runs: an incident was raised or ended anywhere
# a dead peer or a cut network ends a connection within seconds instead of TCP's minutes
KEEPALIVE: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
    "tcp_user_timeout": 9000,
}


class AlreadyRunning(Exception):
    """Another ``loa run`` holds the database; the message says which and what to do."""


class DaemonLock:
    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise AlreadyRunning(t("already_running", pid=holder or "?", path=self.path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class LeaderLock:
    """The leader lock of a PostgreSQL database, on a connection of its own.

    Blocking calls: the daemon makes them off its event loop, within a time limit."""

    def __init__(self, url: str, name: str) -> None:
        self._url = url
        self._name = name  # the connection's application_name
        self._engine: Engine | None = None
        self._conn: Connection | None = None

    def take(self) -> bool:
        """Try to take the lock (at once, never waiting): True if this connection holds it."""
        if self._engine is None:
            # a pool of its own: the daemon's pool is disposed before the lock is released
            self._engine = create_engine(self._url, poolclass=NullPool, connect_args=KEEPALIVE)
        if self._conn is None:
            with reaching(self._url):
                conn = self._engine.connect()
            conn.execute(
                text("select set_config('application_name', :name, false)"), {"name": self._name}
            )
            conn.commit()
            self._conn = conn
        try:
            got = bool(
                self._conn.execute(
                    text("select pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK}
                ).scalar()
            )
            self._conn.commit()  # ends the transaction; the session's lock stays
        except Exception:
            self.drop()
            raise
        return got

    def holds(self) -> bool:
        """Whether this connection still holds the lock; a connection that broke holds nothing
        (the server released the lock as it ended)."""
        if self._conn is None:
            return False
        try:
            held = bool(
                self._conn.execute(
                    text(
                        "select exists(select 1 from pg_locks where locktype = 'advisory' "
                        "and granted and classid = 0 and objid = :key and objsubid = 1 "
                        "and pid = pg_backend_pid())"
                    ),
                    {"key": LEADER_LOCK},
                ).scalar()
            )
            self._conn.commit()
        except Exception:
            self.drop()
            return False
        return held

    def drop(self) -> None:
        """Close the connection, and with it the lock if it was held."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # a broken connection has released it already
                conn.close()

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute(text("select pg_advisory_unlock(:key)"), {"key": LEADER_LOCK})
                self._conn.commit()
        self.drop()
        if self._engine is not None:
            self._engine.dispose()


def leader_id(conn: Connection) -> str | None:
    """The id of the daemon holding the leader lock, as its connection names itself; None when
    no daemon leads (a CLI command holding the lock for a moment is no daemon)."""
    name = conn.execute(
        text(
            "select a.application_name from pg_locks l join pg_stat_activity a using (pid) "
            "where l.locktype = 'advisory' and l.granted and l.classid = 0 and l.objid = :key "
            "and l.objsubid = 1"
        ),
        {"key": LEADER_LOCK},
    ).scalar()
    if not name or not str(name).startswith(APPLICATION):
        return None
    return str(name).removeprefix(APPLICATION)


def daemon_lock(url: str) -> DaemonLock | None:
    """The lock a daemon holds on a SQLite file, or None where it needs none: PostgreSQL takes
    several daemons (with a leader), a database in memory is its process's alone."""
    path = sqlite_path(url)
    return DaemonLock(path) if path is not None else None


@contextlib.contextmanager
def unless_daemon(url: str) -> Iterator[bool]:
    """For CLI work a running daemon would otherwise do: yields True while this process holds
    the daemon lock (SQLite) or the leader lock (PostgreSQL), that is while no daemon runs or
    leads, False when one does (let it do the work). A database that takes no lock (SQLite in
    memory) always yields True."""
    lock: DaemonLock | LeaderLock | None = daemon_lock(url)
    if lock is None and is_postgres(url):
        lock = LeaderLock(url, "loa")
    if lock is None:
        yield True
        return
    try:
        held = lock.take() if isinstance(lock, LeaderLock) else _acquired(lock)
    except BaseException:
        lock.release()
        raise
    if not held:
        lock.release()
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def _acquired(lock: DaemonLock) -> bool:
    try:
        lock.acquire()
    except AlreadyRunning:
        return False
    return True


def nudge(url: str, what: str = "") -> bool:
    """Wake the running daemons so they see a change made from the CLI at once: on PostgreSQL
    a NOTIFY that reaches every daemon on every host (``what``: SYNC asks the leader to sync),
    on SQLite a SIGUSR1 to the one daemon."""
    if is_postgres(url):
        return _notify(url, what)
    path = sqlite_path(url)
    if path is None:
        return False
    pid = file_holder(path.with_name(path.name + ".lock"))
    if not pid:
        return False
    try:
        os.kill(int(pid), signal.SIGUSR1)
    except (ValueError, ProcessLookupError, PermissionError):
        return False
    return True


def one_at_a_time(conn: Connection, key: int) -> None:
    """Wait until no other transaction holds ``key``, then hold it until ``conn``'s transaction
    ends (PostgreSQL; on SQLite one daemon runs alone)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("select pg_advisory_xact_lock(:key)"), {"key": key})


def notify(conn: Connection, what: str) -> None:
    """Wake every daemon (PostgreSQL) when ``conn``'s transaction commits; nothing otherwise."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("select pg_notify(:channel, :what)"), {"channel": WAKE_CHANNEL, "what": what}
        )


def _notify(url: str, what: str) -> bool:
    engine = create_engine(url, poolclass=NullPool, connect_args=KEEPALIVE)
    try:
        with engine.begin() as conn:  # delivered at the commit
            notify(conn, what)
    except Exception:
        return False  # the database is unreachable: the command itself says so
    finally:
        engine.dispose()
    return True


def conninfo(url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL, password included."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def file_holder(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return ""
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return ""  # nobody holds it: no daemon running
        except BlockingIOError:
            return os.read(fd, 32).decode(errors="replace").strip()
    finally:
        os.close(fd)
