"""Storage faults: a database the daemon can no longer write (read-only file or disk, full
disk, a file it cannot open, disk I/O errors).

Such a fault is not a bug to log with a traceback on every try: it is an incident in the
machine, for an operator to fix, after which the daemon must carry on by itself. So a fault
opens one incident, said once in the log with what to do, shown by ``/healthz`` (503) and by
``loa status`` (through a small health file beside the database, written through a descriptor
opened at start, so it can be written even when the database's folder is no longer writable);
the daemon then tries again with a backoff and closes the incident, once, when a write works.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, make_url

from campaigns.i18n import t
from channels.redact import redact
from scheduler.store import meta
from scheduler.store.db import sqlite_path

log = logging.getLogger("loa.storage")

# what SQLite (and PostgreSQL, for the disk) say, lower-cased, by kind of fault
_SIGNS = (
    ("read_only", ("readonly database", "read-only file system", "read-only transaction")),
    ("disk_full", ("database or disk is full", "no space left on device", "could not extend")),
    ("cannot_open", ("unable to open database",)),
    ("io_error", ("disk i/o error",)),
)
_ERRNOS = {errno.EROFS: "read_only", errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full",
           errno.EIO: "io_error"}  # fmt: skip
# the first retry comes soon; the longest wait stays short, because a retry is one small write
# and the promise is to send again within 10 s of the fix
BACKOFF_BASE = 1.0
BACKOFF_CAP = 5.0


def backoff(retries: int) -> float:
    return float(min(BACKOFF_CAP, BACKOFF_BASE * 2**retries))


def fault_kind(exc: BaseException) -> str | None:
    """The kind of storage fault ``exc`` is, or None for any other error."""
    found = _fault(exc)
    return found[0] if found else None


def _fault(exc: BaseException) -> tuple[str, str] | None:
    """(kind, the driver's own words) of the storage fault in ``exc``'s chain, or None.

    SQLAlchemy wraps the driver's error (``.orig``), whose text is read alone: the wrapper's
    also holds the SQL and its parameters. A caller may wrap it again (``__cause__``).
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        source = getattr(current, "orig", None) or current
        words = redact((str(source).splitlines() or [type(source).__name__])[0])[:200]
        for kind, signs in _SIGNS:
            if any(sign in words.lower() for sign in signs):
                return kind, words
        if isinstance(current, OSError) and current.errno in _ERRNOS:
            return _ERRNOS[current.errno], words
        current = current.__cause__ or current.__context__
    return None


@dataclass(frozen=True)
class Incident:
    kind: str
    reason: str
    since: dt.datetime

    def hint(self, where: str) -> str:
        return t(f"storage_{self.kind}", where=where)

    def as_dict(self, where: str) -> dict[str, str]:
        return {
            "state": "fault", "kind": self.kind, "reason": self.reason,
            "since": self.since.isoformat(), "hint": self.hint(where),
        }  # fmt: skip


class HealthFile:
    """``<database>.health``: the daemon's storage health, for ``loa status``. The descriptor
    is opened at start and kept, so a folder made read-only later does not silence it."""

    def __init__(self, database: Path) -> None:
        self.path = health_path(database)
        self._fd: int | None = None
        with contextlib.suppress(OSError):
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

    def write(self, incident: Incident | None, where: str) -> None:
        if self._fd is None:
            return
        body = {"pid": os.getpid(), **(incident.as_dict(where) if incident else {"state": "ok"})}
        data = json.dumps(body, ensure_ascii=False).encode()
        with contextlib.suppress(
            OSError
        ):  # the disk may be full: the log and /healthz still say it
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            with contextlib.suppress(OSError):
                self.path.unlink()


def check(db: Engine, where: str, now: dt.datetime) -> dict[str, str] | None:
    """What ``loa status`` finds by itself when no daemon reports: the storage fault one small
    write meets, or None. (Run as root, it cannot see a permission that only the daemon's user
    lacks; the daemon's health file says that.)"""
    try:
        meta.set_meta(db, "storage_probe", now.isoformat())
    except Exception as exc:
        fault = fault_of(exc, where, now)
        if fault is None:
            raise
        return fault
    return None


def fault_of(exc: BaseException, where: str, now: dt.datetime) -> dict[str, str] | None:
    found = _fault(exc)
    return None if found is None else Incident(*found, now).as_dict(where)


def describe(url: str) -> str:
    """The database as a user would look for it: a SQLite file's path, else the URL without
    its password."""
    path = sqlite_path(url)
    return str(path) if path is not None else make_url(url).render_as_string(hide_password=True)


def health_path(database: Path) -> Path:
    return database.with_name(database.name + ".health")


def read_fault(database: Path) -> dict[str, str] | None:
    """The storage fault a running daemon reports for ``database``, or None."""
    try:
        body = json.loads(health_path(database).read_text("utf-8"))
        os.kill(int(body["pid"]), 0)  # a daemon that died in a fault reports nothing
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return body if body.get("state") == "fault" else None


class StorageWatch:
    """The daemon's current storage incident, its backoff and its one-line log entries."""

    def __init__(
        self,
        db: Engine,
        where: str,
        clock: Callable[[], dt.datetime],
        health_file: HealthFile | None = None,
    ) -> None:
        self.db = db
        self.where = where  # the database, as a user would look for it
        self.clock = clock
        self.file = health_file
        self.incident: Incident | None = None
        self.retries = 0
        self.retry_at: dt.datetime | None = None

    def failed(self, exc: BaseException) -> bool:
        """Note a failure: True when it is a storage fault (now part of an incident)."""
        found = _fault(exc)
        if found is None:
            return False
        now = self.clock()
        if self.incident is None:
            self.incident = Incident(*found, now)
            log.error(
                "storage fault",
                extra={"kind": self.incident.kind, "error": self.incident.reason,
                       "hint": self.incident.hint(self.where)},
            )  # fmt: skip
            if self.file is not None:
                self.file.write(self.incident, self.where)
        self.backoff()
        return True

    def backoff(self) -> dt.datetime:
        """Push the next try further off (1 s, 2 s, 4 s, then every 5 s)."""
        self.retry_at = self.clock() + dt.timedelta(seconds=backoff(self.retries))
        self.retries += 1
        return self.retry_at

    def probe(self) -> None:
        """One small write, which a read-only or full database refuses."""
        meta.set_meta(self.db, "storage_probe", self.clock().isoformat())

    def cleared(self) -> None:
        if self.incident is None:
            return
        took = (self.clock() - self.incident.since).total_seconds()
        log.info("storage recovered", extra={"kind": self.incident.kind, "seconds": round(took)})
        self.incident = None
        self.retries = 0
        self.retry_at = None
        if self.file is not None:
            self.file.write(None, self.where)

    def health(self) -> dict[str, str]:
        return self.incident.as_dict(self.where) if self.incident else {"state": "ok"}
