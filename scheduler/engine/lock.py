"""One daemon per database, for now.

SQLite has no SKIP LOCKED, so two daemons on one file could both claim a message. The first
``loa run`` holds an exclusive lock on ``<database>.lock`` (released by the OS even on kill -9);
a second one refuses to start and says which process holds it. The file also tells CLI
commands which process to nudge after they change the outbox.

PostgreSQL claims with row locks, but the rest of the daemon (rate limits, quotas, file sync,
bot polling) still lives in one process's memory: until several daemons can share a database,
the first ``loa run`` holds a session advisory lock on a connection of its own, named
``loa run <host>:<pid>`` so that a second one can say who holds it and a CLI command on the
same host can nudge it. The server releases the lock when that connection ends, kill -9
included.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from campaigns.i18n import t
from scheduler.store.db import is_postgres, reaching, sqlite_path

DAEMON_LOCK = 0x6C6F61_02  # "loa" 2: the pg_advisory_lock key of the running daemon
APPLICATION = "loa run "  # + "<host>:<pid>", the lock connection's application_name


class AlreadyRunning(Exception):
    """Another ``loa run`` holds the database; the message says which and what to do."""


class Lock(Protocol):
    def acquire(self) -> None: ...

    def release(self) -> None: ...


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


class PostgresDaemonLock:
    """The session advisory lock of the one daemon on a PostgreSQL database."""

    def __init__(self, url: str) -> None:
        # a pool of its own: the daemon's pool is disposed before the lock is released
        self._engine: Engine = create_engine(url, poolclass=NullPool)
        self._conn: Connection | None = None

    def acquire(self) -> None:
        with reaching(str(self._engine.url)):
            conn = self._engine.connect()
        try:
            name = f"{APPLICATION}{socket.gethostname()}:{os.getpid()}"
            conn.execute(
                text("select set_config('application_name', :name, false)"), {"name": name}
            )
            got = conn.execute(text("select pg_try_advisory_lock(:key)"), {"key": DAEMON_LOCK})
            if not got.scalar():
                raise AlreadyRunning(t("already_running_postgres", holder=_holder(conn) or "?"))
            conn.commit()  # ends the transaction; the session's lock stays
        except BaseException:
            conn.close()
            self._engine.dispose()
            raise
        self._conn = conn

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a lost connection has released it already
                self._conn.execute(text("select pg_advisory_unlock(:key)"), {"key": DAEMON_LOCK})
                self._conn.commit()
            self._conn.close()
            self._conn = None
        self._engine.dispose()


def _holder(conn: Connection) -> str:
    """``<host>:<pid>`` of the daemon holding the lock, as its connection names itself."""
    name = conn.execute(
        text(
            "select a.application_name from pg_locks l join pg_stat_activity a using (pid) "
            "where l.locktype = 'advisory' and l.granted and l.classid = 0 and l.objid = :key "
            "and l.objsubid = 1"
        ),
        {"key": DAEMON_LOCK},
    ).scalar()
    return str(name or "").removeprefix(APPLICATION)


def daemon_lock(url: str) -> Lock | None:
    """The lock a daemon holds on this database, or None where none is needed (in memory)."""
    path = sqlite_path(url)
    if path is not None:
        return DaemonLock(path)
    if is_postgres(url):
        return PostgresDaemonLock(url)
    return None


@contextlib.contextmanager
def unless_daemon(url: str) -> Iterator[bool]:
    """For CLI work a running daemon would otherwise do: yields True while this process holds
    the daemon lock (no ``loa run`` is running), False when a daemon runs (let it do the work).
    A database that takes no lock (SQLite in memory) always yields True."""
    lock = daemon_lock(url)
    if lock is None:
        yield True
        return
    try:
        lock.acquire()
    except AlreadyRunning:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def nudge(url: str) -> bool:
    """Wake a running daemon (SIGUSR1) so it sees a change made from the CLI at once. On
    PostgreSQL only a daemon on this host can be woken; another one sees the change at its
    next rescan."""
    path = sqlite_path(url)
    if path is not None:
        pid = _file_holder(path.with_name(path.name + ".lock"))
    elif is_postgres(url):
        pid = _postgres_holder_here(url)
    else:
        return False
    if not pid:
        return False
    try:
        os.kill(int(pid), signal.SIGUSR1)
    except (ValueError, ProcessLookupError, PermissionError):
        return False
    return True


def _file_holder(path: Path) -> str:
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


def _postgres_holder_here(url: str) -> str:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            host, _, pid = _holder(conn).rpartition(":")
    except Exception:
        return ""  # the database is unreachable: the command itself will say so
    finally:
        engine.dispose()
    return pid if host == socket.gethostname() else ""
