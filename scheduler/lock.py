"""One daemon per SQLite database.

SQLite has no SKIP LOCKED, so two daemons on one file could both claim a message. The first
``loa run`` holds an exclusive lock on ``<database>.lock`` (released by the OS even on kill -9);
a second one refuses to start and says which process holds it. The file also tells CLI
commands which process to nudge after they change the outbox.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from campaigns.i18n import t


class AlreadyRunning(Exception):
    def __init__(self, path: Path, pid: str) -> None:
        super().__init__(t("already_running", pid=pid or "?", path=path))


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
            raise AlreadyRunning(self.path, holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@contextlib.contextmanager
def unless_daemon(database: Path | None) -> Iterator[bool]:
    """For CLI work a running daemon would otherwise do: yields True while this process holds
    the daemon lock (no ``loa run`` is running), False when a daemon runs (let it do the work).
    A database without a lock file (PostgreSQL) always yields True."""
    if database is None:
        yield True
        return
    lock = DaemonLock(database)
    try:
        lock.acquire()
    except AlreadyRunning:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def nudge(database: Path) -> bool:
    """Wake a running daemon (SIGUSR1) so it sees a change made from the CLI at once."""
    path = database.with_name(database.name + ".lock")
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False  # nobody holds it: no daemon running
        except BlockingIOError:
            pid = os.read(fd, 32).decode(errors="replace").strip()
    finally:
        os.close(fd)
    try:
        os.kill(int(pid), signal.SIGUSR1)
    except (ValueError, ProcessLookupError, PermissionError):
        return False
    return True
