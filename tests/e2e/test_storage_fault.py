"""A database that cannot be written: the daemon says so, waits quietly, and resumes by itself.

The fault is made for real, not mocked. Root ignores permission bits, so as root the database
file is made immutable (``chattr +i``), which SQLite sees exactly as it sees ``chmod 444``: a
file it can open only for reading ("attempt to write a readonly database"), or, for a
connection already open, writes that fail ("disk I/O error"). Any other user gets ``chmod 444``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.harness import Office, wait_for
from tests.e2e.test_daemon import soon_campaign

pytestmark = pytest.mark.slow

FAULT_SECONDS = 8.0  # how long the fault is held once the daemon has noticed it
RESUME_SECONDS = 10.0  # the promise: sending again within 10 s of the fix


@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make ``paths`` (files and folders) unwritable for this process's user, restoring them
    on the way out."""
    as_root = os.geteuid() == 0
    for path in paths:
        if as_root:
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
            if done.returncode != 0:
                pytest.skip(f"cannot make a file read-only for root here: {done.stderr.strip()}")
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path in paths:
            if as_root:
                subprocess.run(["chattr", "-i", str(path)], check=True)
            path.chmod(0o755 if path.is_dir() else 0o644)


def health(base: str) -> tuple[int, dict[str, Any]]:
    answer = httpx.get(f"{base}/healthz", timeout=5)
    return answer.status_code, answer.json()


def storage_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if re.search(r"loa\.\w+ cơ sở dữ liệu", line)]


def hold_fault(office: Office, base: str, process: Any) -> None:
    """The fault as seen from outside: /healthz says so, nothing is sent, the log stays short."""
    code, body = wait_for(
        lambda: (answer := health(base))[1]["status"] != "ok" and answer, 20, "/healthz to say so"
    )
    assert code == 503 and body["status"] == "storage_fault", body
    assert body["storage"]["state"] == "fault" and body["storage"]["reason"], body
    noticed = len(office.log().splitlines())
    status = office.loa("status")
    assert "Cơ sở dữ liệu không ghi được" in status.stdout + status.stderr, status
    until = time.monotonic() + FAULT_SECONDS
    while time.monotonic() < until:  # the fault's length is what is tested, not a wait
        assert health(base)[1]["status"] == "storage_fault"
        assert process.poll() is None
        time.sleep(0.5)
    assert office.sent() == []
    log = office.log()
    assert "Traceback" not in log and len(log) < 20_000, log[-3000:]
    assert len(log.splitlines()) - noticed <= 2, log[-3000:]  # quiet while the fault lasts
    lines = storage_lines(log)
    assert len(lines) == 1 and "không ghi được kind=" in lines[0], lines
    assert "loa tự gửi tiếp" in lines[0], lines  # what to do, and that it resumes by itself


def resumed(office: Office, base: str, process: Any) -> None:
    fixed = time.monotonic()
    wait_for(office.sent, RESUME_SECONDS, "the message to be sent after the fix")
    took = time.monotonic() - fixed
    assert process.poll() is None, "resumed without a restart"
    assert [r["key"] for r in office.sent()] == ["soon:tin-0:once@nhat-ky"], took
    assert wait_for(lambda: health(base)[1]["status"] == "ok", 5, "/healthz to be ok again")
    lines = storage_lines(office.log())
    assert len(lines) == 2 and "ghi được trở lại kind=" in lines[1], lines
    assert "Cơ sở dữ liệu không ghi được" not in office.loa("status").stdout
    office.stop(process)
    assert office.states() == {"sent": 1}


@pytest.mark.parametrize("folder_too", [False, True], ids=["file", "file-and-folder"])
def test_read_only_database_at_start_is_reported_and_sending_resumes_after_the_fix(
    office: Office, folder_too: bool
) -> None:
    """The issue's case: ``chmod 444`` on the database, then a restart; and the same with its
    folder read-only too, where SQLite cannot make its -wal and -shm files either."""
    process, due = office.start_then_move({"soon": lambda at: soon_campaign("soon", at, 1, 1)}, 6)
    office.stop(process)
    with read_only(office.db_path, *([office.db_path.parent] if folder_too else [])):
        process = office.start()
        base = office.http_url()
        wait_for(lambda: dt.datetime.now(dt.UTC) > due, 30, "the message to be due")
        hold_fault(office, base, process)
    resumed(office, base, process)


def test_database_made_read_only_under_a_running_daemon(office: Office) -> None:
    """Connections already open see failing writes; new ones open read-only. Both clear."""
    if os.geteuid() != 0:
        pytest.skip("an open file stays writable after chmod; chattr +i needs root")
    process, due = office.start_then_move({"soon": lambda at: soon_campaign("soon", at, 1, 1)}, 8)
    base = office.http_url()
    wal = office.db_path.with_name("loa.db-wal")
    with read_only(office.db_path, wal):
        wait_for(lambda: dt.datetime.now(dt.UTC) > due, 30, "the message to be due")
        hold_fault(office, base, process)
    resumed(office, base, process)


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "8m") -> Iterator[None]:
    """``folder`` on a file system of its own, small enough to fill (a tmpfs; needs root)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the disk is full; removing it frees the space."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
    return filler


def test_full_disk_at_start_is_reported_and_sending_resumes_once_space_is_freed(
    office: Office,
) -> None:
    """The issue's other case: the database's disk is full when the daemon starts."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    with small_disk(office.db_path.parent):
        process, due = office.start_then_move(
            {"soon": lambda at: soon_campaign("soon", at, 1, 1)}, 6
        )
        office.stop(process)
        filler = fill(office.db_path.parent)
        process = office.start()
        base = office.http_url()
        wait_for(lambda: dt.datetime.now(dt.UTC) > due, 30, "the message to be due")
        hold_fault(office, base, process)
        filler.unlink()
        resumed(office, base, process)
