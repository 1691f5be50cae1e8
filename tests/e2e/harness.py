"""Driving the real ``loa run`` process from outside: write a config and campaigns, start it,
watch its file channel and database, signal it, kill it, start it again."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
LOA = [sys.executable, "-c", "from scheduler.cli.commands import main; main()"]

# The suite runs in parallel workers (pyproject's addopts: -n 4 --dist loadgroup). A test that
# asserts how fast or how frugally a daemon works (on time within 1 s, stopped within 2 s, idle
# under 10 % of a core), or that loads the machine to make its point (a 2,000-message burst,
# 1,000 slow sockets), goes in this lane: the lane's tests run one after another on one worker,
# so none of them shares the CPU with another of them. Mark the module or the test with it.
TIMED = pytest.mark.xdist_group("timed")


# the Vietnamese log line of the event ``campaign refused``
REFUSED = "tệp chiến dịch bị từ chối"


def refusals_said(log: str, where: str) -> list[bool]:
    """For each ``campaign refused`` line of a daemon's log, whether it names ``where``
    (file:line); the alert that tells the admins the same is another line."""
    return [where in line for line in log.splitlines() if REFUSED in line]


STAFF_PASSWORD = "mat-khau-nhan-vien"


def form_token(page: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found[1]


def wait_for(
    condition: Callable[[], Any],
    timeout: float = 30.0,
    what: str = "condition",
    every: float = 0.02,
) -> Any:
    """Poll an observable condition until it holds; fail with a message at the deadline.
    ``every``: seconds between looks (a benchmark looks seldom: each look is load)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


BOT_CAMPAIGN = "ngay-moi-truong"
RALLY = "Lễ mít tinh hưởng ứng Ngày Môi trường thế giới"


def environment_day(today: dt.date, *messages: tuple[str, dt.datetime, str, str]) -> str:
    """The campaign the chat-bot tests talk about: a rally three days ahead, and ``messages``
    as (id, due, text, channel)."""
    day = today + dt.timedelta(days=3)
    text = f"""
id = "{BOT_CAMPAIGN}"
title = "Ngày Môi trường thế giới"
timezone = "Asia/Ho_Chi_Minh"

[[activity]]
id = "mit-tinh"
title = "{RALLY}"
start = {day.isoformat()}T07:30:00
end = {day.isoformat()}T09:00:00
location = "Quảng trường tỉnh"
lead = "Sở Nông nghiệp và Môi trường"
partners = ["Tỉnh đoàn"]
"""
    for message_id, due, body, channel in messages:
        text += (
            f'[[message]]\nid = "{message_id}"\nat = {iso(due)}\ntext = "{body}"\n'
            f'channels = ["{channel}"]\n'
        )
    return text


def notice_to_everyone(notice: str) -> Callable[[dt.datetime], str]:
    """The bot campaign with a message ``notice`` at ``at`` and no ``channels``: it goes to every
    configured target and every subscriber (a maker for ``Office.start_then_move``)."""

    def make(at: dt.datetime) -> str:
        return (
            environment_day(at.date())
            + f'[[message]]\nid = "nhac"\nat = {iso(at)}\ntext = "{notice}"\n'
        )

    return make


@dataclass
class Office:
    """A temp folder with config.toml, campaigns/, a database and a file channel. The database
    is SQLite in the folder, or the PostgreSQL database at ``store_url`` (tests/conftest.py's
    throwaway server), where several daemons may share it."""

    root: Path
    extra_config: str = ""
    store_url: str = ""
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.root / "campaigns").mkdir(parents=True, exist_ok=True)
        self.write_config()

    @property
    def db_path(self) -> Path:
        return self.root / "data" / "loa.db"

    @property
    def outbox_file(self) -> Path:
        return self.root / "data" / "outbox.jsonl"

    def write_config(self, daemon: str = "reload_seconds = 1\n", http: str = "") -> None:
        """``http``: extra ``[http]`` lines, e.g. ``private_feeds = {...}``."""
        (self.root / "config.toml").write_text(
            'timezone = "Asia/Ho_Chi_Minh"\n'
            f'[database]\nurl = "{self.store_url or "sqlite:///data/loa.db"}"\n'
            '[campaigns]\npaths = ["campaigns"]\nlibrary = false\n'
            # tests time items from today: an office without days off keeps their dates
            # whatever weekday or holiday the suite runs on
            "[calendar]\nweekend = []\npublic_holidays = false\n"
            f"[http]\nport = 0\n{http}"
            f"[daemon]\n{daemon}"
            '[channels.nhat-ky]\ntype = "file"\npath = "data/outbox.jsonl"\n' + self.extra_config,
            "utf-8",
        )

    def campaign(self, name: str, text: str) -> Path:
        path = self.root / "campaigns" / f"{name}.toml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, "utf-8")
        tmp.replace(path)  # atomic: the daemon never reads half a file
        return path

    def loa(
        self, *args: str, timeout: float = 60, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*LOA, *args], cwd=self.root, capture_output=True, text=True, timeout=timeout,
            env={**os.environ, "LOA_LANG": "vi", "COLUMNS": "200"}, input=input,
        )  # fmt: skip

    def add_user(self, name: str = "nhan-vien", role: str = "viewer") -> None:
        """A person who may sign in to the pages, with STAFF_PASSWORD (``loa user add``)."""
        added = self.loa("user", "add", name, "--role", role, input=STAFF_PASSWORD + "\n")
        assert added.returncode == 0, added.stderr

    @contextlib.contextmanager
    def signed_in(self, base: str, name: str = "nhan-vien") -> Iterator[httpx.Client]:
        """A browser signed in to the daemon's pages as ``name`` (made with ``add_user``)."""
        with httpx.Client(base_url=base, timeout=30) as browser:
            signed = browser.post("/signin", data={
                "csrf_token": form_token(browser.get("/signin").text), "name": name,
                "password": STAFF_PASSWORD,
            })  # fmt: skip
            assert signed.status_code == 303, signed.text
            yield browser

    def start(self, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start ``loa run``; its output goes to daemon-N.out/.err, readable while it runs.
        ``env``: more environment variables for it (a faked clock)."""
        n = len(self.processes)
        self.out_path = self.root / f"daemon-{n}.out"
        self.err_path = self.root / f"daemon-{n}.err"
        process = subprocess.Popen(
            [*LOA, "run"], cwd=self.root, stdout=self.out_path.open("w"),
            stderr=self.err_path.open("w"), text=True,
            env={**os.environ, "LOA_LANG": "vi", **(env or {})},
        )  # fmt: skip
        self.processes.append(process)
        return process

    def http_url(self) -> str:
        """The daemon's HTTP root, from its log (tests run it on a free port)."""
        found = wait_for(
            lambda: re.search(r"loa\.daemon [^\n]*? url=(http\S+)", self.log()), 20, "http"
        )
        return str(found[1])

    def log(self, process: subprocess.Popen[str] | None = None) -> str:
        """The log of the daemon started last, or of ``process`` (one of several)."""
        path = self.err_path
        if process is not None:
            path = self.root / f"daemon-{self.processes.index(process)}.err"
        return path.read_text("utf-8") if path.exists() else ""

    def started(self, process: subprocess.Popen[str], timeout: float = 60) -> None:
        """Wait until the daemon has synced and armed its clock (its lock file holds its pid);
        on PostgreSQL, until it has recovered and joined the registry, and the files are synced
        (by whichever daemon leads). A deadline, not a wait: 3 s alone, but a cold start beside
        three busy test workers has taken over 30 s."""
        lock = self.db_path.with_name("loa.db.lock")

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"loa run exited {process.returncode}: {self.log(process)}")
            if self.store_url:
                return self.daemon_id(process) is not None and self.has_synced()
            return (
                lock.exists() and lock.read_text().strip() == str(process.pid) and self.has_synced()
            )

        wait_for(ready, timeout, "loa run to start")

    def start_then_move(
        self,
        makers: dict[str, Callable[[dt.datetime], str]],
        lead: float,
        meanwhile: Callable[[], None] | None = None,
    ) -> tuple[subprocess.Popen[str], dt.datetime]:
        """Start ``loa run`` with each campaign ``makers[name](at)`` parked an hour ahead, then
        move them to ``at`` = ``lead`` seconds from now; return the daemon and ``at``.
        ``meanwhile`` runs once the daemon is up, before the move (a chat subscribes, say).

        The due times then race only the daemon's 1 s reload, not its cold start (interpreter,
        imports, migrations, first sync: 3-7 s on a loaded machine). A cold start that ends
        after the first due time would send it late (within grace) and the tests measure
        lateness; a pending delivery that is moved is edited, and sent on time."""
        parked_at = self.park(makers)
        process = self.start()
        self.started(process)
        if meanwhile is not None:
            meanwhile()
        return process, self.move(makers, parked_at, lead)

    def park(self, makers: dict[str, Callable[[dt.datetime], str]]) -> dt.datetime:
        """Write each campaign ``makers[name](at)`` with ``at`` an hour ahead; return ``at``."""
        parked_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        for name, make in makers.items():
            self.campaign(name, make(parked_at))
        return parked_at

    def move(
        self, makers: dict[str, Callable[[dt.datetime], str]], parked_at: dt.datetime, lead: float
    ) -> dt.datetime:
        """Move the campaigns ``park`` wrote to ``at`` = ``lead`` seconds from now, once the
        running daemon has done what the test needed first (chats subscribed, say); wait until
        it has synced the move and return ``at``. A test that parks instead of writing a due
        time some seconds ahead waits for its steps, not for a margin that must cover them."""

        def stamp(moment: dt.datetime) -> str:
            return moment.replace(tzinfo=None).isoformat(sep=" ")

        window = (
            stamp(parked_at - dt.timedelta(minutes=1)),
            stamp(parked_at + dt.timedelta(minutes=1)),
        )
        still = (
            "select count(*) from delivery where state = 'pending' "
            "and next_attempt_at >= ? and next_attempt_at < ?"
        )
        assert self.query(still, *window)[0][0], "the parked campaigns made no pending deliveries"
        at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lead)
        for name, make in makers.items():
            self.campaign(name, make(at))
        wait_for(lambda: self.query(still, *window)[0][0] == 0, 30, "the moved campaigns synced")
        return at

    def resynced(self, what: str) -> None:
        """Wait until every campaign is expanded again (a /subscribe marks its campaign for the
        next sync, which the daemon runs at once)."""
        stale = "select count(*) from campaign_version where synced_until is null"
        wait_for(lambda: self.query(stale)[0][0] == 0, 20, what)

    def settled(self, timeout: float = 40) -> None:
        """Wait until no delivery waits or is in flight: each has been sent, or has failed."""
        waiting = "select count(*) from delivery where state in ('pending', 'sending', 'retrying')"
        wait_for(lambda: self.query(waiting)[0][0] == 0, timeout, "every delivery settled")

    def has_synced(self) -> bool:
        if not self.store_url and not self.db_path.exists():
            return False
        try:
            return bool(self.query("select count(*) from campaign_version")[0][0])
        except Exception:  # not created yet: the daemon has not migrated
            return False

    def daemon_id(self, process: subprocess.Popen[str]) -> str | None:
        """The id ``process`` claims under, once it has joined the registry of daemons."""
        found = self.query("select id from daemon where pid = ?", process.pid)
        return str(found[0][0]) if found else None

    def stop(self, process: subprocess.Popen[str], timeout: float = 10) -> tuple[int, str, str]:
        """SIGTERM, wait; the exit code, stdout and stderr of the daemon."""
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=timeout)
        return process.returncode, self.out_path.read_text("utf-8"), self.log()

    def kill(self, process: subprocess.Popen[str]) -> None:
        """kill -9. On PostgreSQL, also until the server has closed the daemon's connections
        (their application_name is ``loa run <id>``): a COMMIT it sent just before dying is
        then written or dropped, so what the store shows next is what the kill left."""
        daemon = self.daemon_id(process) if self.store_url else None
        process.kill()
        process.wait(timeout=10)
        if daemon is not None:
            still = "select count(*) from pg_stat_activity where application_name = ?"
            wait_for(lambda: self.query(still, f"loa run {daemon}")[0][0] == 0, 10,
                     "the killed daemon's connections to close")  # fmt: skip

    def sent(self) -> list[dict[str, Any]]:
        if not self.outbox_file.exists():
            return []
        records = []
        for line in self.outbox_file.read_bytes().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue  # a torn last line after kill -9
        return records

    def in_flight(self, daemon: str | None = None) -> set[str]:
        """The deliveries in ``sending`` claimed by ``daemon`` (an id; None: by anyone, as on
        SQLite, where one daemon holds the store). Read after that daemon's kill, they cannot
        change until a rescuer takes them back: exactly what the kill caught in flight."""
        sql = "select key from delivery where state = 'sending'"
        if daemon is None:
            return {key for (key,) in self.query(sql)}
        return {key for (key,) in self.query(sql + " and claimed_by = ?", daemon)}

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """``sql`` with ``?`` placeholders, on SQLite or PostgreSQL (where times without a
        zone are UTC, as SQLite stores them)."""
        if not self.store_url:
            with sqlite3.connect(self.db_path, timeout=30) as conn:
                return conn.execute(sql, params).fetchall()
        import psycopg

        url = self.store_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url, options="-c TimeZone=UTC") as conn:
            return conn.execute(sql.replace("?", "%s"), params or None).fetchall()  # type: ignore[arg-type]

    def states(self) -> dict[str, int]:
        return dict(self.query("select state, count(*) from delivery group by state"))

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


VIETNAMESE_DAY = re.compile(r"(?:Thứ (?:Hai|Ba|Tư|Năm|Sáu|Bảy)|Chủ Nhật), \d\d/\d\d/\d{4}")


def says_a_day(text: str) -> bool:
    """A date written the Vietnamese way (``Thứ Năm, 05/06/2025``, or ``Chủ Nhật, …`` on a
    Sunday: a check for "Thứ" alone failed whenever the suite ran three days before one)."""
    return VIETNAMESE_DAY.search(text) is not None
