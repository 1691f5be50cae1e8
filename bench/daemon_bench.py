"""Daemon benchmark: start-up, memory and idle CPU of ``loa run`` on a large outbox, dispatch
throughput of the real DispatchEngine, and the naive APScheduler-job-per-delivery baseline.

Run from the repository root (about 3-5 minutes on 2 cores, 2-3 of them the naive
documented start-up; --quick about one):

    .venv/bin/python bench/daemon_bench.py            # 100,000 pending, 20,000-delivery burst
    .venv/bin/python bench/daemon_bench.py --quick    # 20,000 pending, 5,000-delivery burst
    .venv/bin/python bench/daemon_bench.py --profile  # also profile loa when it passes
    .venv/bin/python bench/daemon_bench.py --naive-budget 30  # sample the naive start-up's
                                                      # re-adding for 30 s, extrapolate the rest

What is measured
----------------
1. loa start-up. A temporary office (config.toml with a file channel of 5 targets, no library)
   gets campaign files whose expansion gives the pending deliveries within the 400-day horizon:
   each campaign has one daily RRULE message (COUNT=400, first occurrence 3 h from now) sent to
   the 5 targets, so 50 campaigns x 400 days x 5 targets = 100,000 dispatches. A first real
   ``loa run`` process syncs them into a fresh SQLite database (its start-up is reported as the
   cold start) and is stopped with SIGTERM. Then ``loa run`` is started again on that database,
   several times: start-up is the wall time from spawn until the summary line "loa đang chạy"
   appears on its stdout; RSS (VmRSS, and the peak VmHWM) is read from /proc 1 s later; on the
   last start the idle CPU (utime+stime from /proc/<pid>/stat) is sampled over an idle window
   while nothing is due (the first message is 3 h away; the daemon's reload job still runs).
   These starts use the default config, so the HTTP surface (feeds, /healthz, /metrics) is
   served. Alternating with them, the same start-up and RSS are measured for loa without the
   HTTP surface (config-nohttp.toml: the same office with ``[http] enabled = false``): the same
   work the naive daemon does, which serves no feeds. Those rows are informational; the
   targets are judged on the default config.
2. loa dispatch throughput. Burst campaigns add deliveries all due at one instant B (1 h from
   now; e.g. 40 campaigns x 100 messages x 5 targets = 20,000) to a copy of the database above,
   through ``scheduler.sync.sync``. Each repeat takes a fresh copy and runs the real
   ``DispatchEngine.run_due`` (batch size from config, SQLite, asyncio.to_thread as in the
   daemon) with a no-op channel and a clock set to B + 1 s; deliveries/s = burst / wall time.
3. Naive baseline: the same deliveries as one APScheduler 3 job each (DateTrigger, a no-op
   coroutine with the delivery's key/channel/target/text as arguments) in a SQLAlchemyJobStore
   on a SQLite file, AsyncIOScheduler, default engine settings.
   - add: ``scheduler.add_job`` commits one transaction per job. Adding 100,000 that way takes
     1.5 to 7 minutes here (fsyncs per commit), so a sample is timed and extrapolated; the
     rest of the store is filled with the very same rows (the store's own serialisation) in
     one transaction, which is timed too.
   - start-up, as documented (the baseline the start-up and memory targets are judged
     against). APScheduler 3.x's user guide (docs/userguide.rst; apscheduler.readthedocs.io,
     3.x, "User guide"), section "Adding jobs", the "important" note at its end: jobs scheduled
     in a persistent job store during the application's initialisation must get an explicit id
     and ``replace_existing=True``, else every restart adds another copy (the installed
     ``BaseScheduler.add_job`` docstring, apscheduler/schedulers/base.py, documents
     replace_existing as replacing the job with the same id). A naive daemon driven by campaign
     files therefore has to do this at every start before it can be trusted to send the right
     things. So a separate process (naive_reconcile_worker) reads config.toml and the same
     campaign files with loa's own loader (campaigns.loader) and expands each campaign with
     loa's pure expansion (campaigns.expand) over the same window as loa's sync - the cheapest
     way for it to know its jobs; starts the AsyncIOScheduler paused on the existing store
     holding the 100,000 jobs (same guide, "Pausing/resuming job processing": start(paused=True)
     is for pruning unwanted jobs before they can run); re-adds each delivery's job with
     add_job(..., id=key, replace_existing=True) (each a failed INSERT, then an UPDATE in its
     own commit); reads the stored job ids (the id column only, streamed: cheaper than
     get_jobs(), which unpickles every job) and removes with remove_job ("Removing jobs") those
     not expanded; resumes and lets the first job lookup run. Wall time from spawn until then,
     CPU, RSS 1 s later and the peak (VmHWM), and the worker's own step times. It takes longer
     than a fresh fill (about 2-3 minutes here), within what one run can afford, so it is
     measured in full, once, on a copy of the store; with --naive-budget the re-adding stops
     after that many seconds and the rest is extrapolated at the measured rate per job, and
     the printout says EXTRAPOLATED. (The same guide also says a program that always
     recreates its jobs at start could keep them in the MemoryJobStore; the issue's baseline
     is the persistent SQLAlchemy store, so that is what is measured.)
   - start-up, naive scheduler start only (no reconciliation with campaign files), kept for
     reference: a separate process starts an AsyncIOScheduler on the existing store and does
     nothing else; wall time from spawn until the scheduler started and ran its first job
     lookup; RSS as above. These runs alternate with loa's, so both see the same load on a
     shared machine. It reads no campaign file, so it cannot know whether its jobs are right.
   - dispatch: a copy of the store plus N jobs due now (the first N of loa's burst); a separate
     process starts the scheduler and times how long until all N coroutines ran. N is smaller
     than loa's burst and each run is capped (the store deletes each finished job in its own
     commit, so this run is bound by fsync and can take minutes on a noisy disk): the rate is
     what is compared. A run that hits the cap is counted by the jobs taken off the store.
Throughput figures are medians of the repeats; ratios are loa/naive, and the start-up and
memory targets ("a fraction of" naive's: loa < naive) compare loa with the documented naive
start-up; the scheduler-only ratios are printed beside them, marked as such. A failed loa
target (or --profile) adds a profile: for start-up/memory, a `loa run` whose steps are
timestamped (RSS too) by wrapping the daemon's functions in that child process, import costs
and a cProfile until the summary; for dispatch, cProfile of run_due on the event loop and,
separately, of outbox.claim_due/record in their worker threads. The package code is never
changed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import io
import os
import pickle
import platform
import pstats
import queue
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere; the venv install is editable

from channels.base import OutboundMessage, Receipt  # noqa: E402

TIMEZONE = "Asia/Ho_Chi_Minh"
TZ = ZoneInfo(TIMEZONE)
TARGETS = 5
DAYS = 400  # daily occurrences per campaign (COUNT of the RRULE), within the 400-day horizon
BURST_MESSAGES = 100  # messages per burst campaign, all due at the same instant
LOA = [sys.executable, "-c", "from scheduler.cli.commands import main; main()"]
READY = "loa đang chạy"
NO_HTTP = "config-nohttp.toml"  # the same office with [http] enabled = false
TICKS = os.sysconf("SC_CLK_TCK")

TARGET_START_S = 3.0
TARGET_RSS_MB = 200.0
TARGET_IDLE_CPU = 1.0  # percent of one core
TARGET_RATE = 2_000.0  # deliveries/s
TARGET_VS_NAIVE = 10.0


# -- measuring a process from outside ---------------------------------------------------------


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MB."""
    out = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                out[name] = int(value.split()[0]) / 1024
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of a process."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Spawned:
    """A child process whose stdout lines are timestamped as they arrive."""

    def __init__(self, argv: list[str], cwd: Path, err: Path) -> None:
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.err = err
        self.began = time.perf_counter()
        self.process = subprocess.Popen(
            argv, cwd=cwd, stdout=subprocess.PIPE, stderr=err.open("w"), text=True,
            encoding="utf-8", env={**os.environ, "LOA_LANG": "vi", "COLUMNS": "200"},
        )  # fmt: skip
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.output: list[str] = []

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put((time.perf_counter(), line.rstrip("\n")))

    def wait_line(self, needle: str, timeout: float) -> tuple[float, str]:
        """Seconds from spawn until a stdout line containing ``needle``, and that line."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                when, line = self.lines.get(timeout=0.05)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    raise SystemExit(
                        f"process exited {self.process.returncode} before '{needle}':\n"
                        + "\n".join(self.output)
                        + self.err.read_text("utf-8")[-3000:]
                    ) from None
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"timed out after {timeout}s waiting for '{needle}'"
                    ) from None
                continue
            self.output.append(line)
            if needle in line:
                return when - self.began, line

    def stop(self, timeout: float = 20) -> tuple[int, float]:
        began = time.perf_counter()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        return code, time.perf_counter() - began

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


# -- the office: config, campaign files, database ---------------------------------------------


def write_config(path: Path, db: str, folders: list[str], http: bool = True) -> None:
    targets = "".join(f'nhom-{k} = "-100{k:04d}"\n' for k in range(1, TARGETS + 1))
    path.write_text(
        f'timezone = "{TIMEZONE}"\nlanguage = "vi"\n'
        + ("" if http else "[http]\nenabled = false\n")
        + f'[database]\nurl = "sqlite:///{db}"\n'
        f"[campaigns]\npaths = {folders!r}\nlibrary = false\nhorizon_days = 400\n".replace("'", '"')
        + '[channels.nhat-ky]\ntype = "file"\npath = "data/outbox.jsonl"\n'
        + "[channels.nhat-ky.targets]\n"
        + targets,
        "utf-8",
    )


def daily_campaign(i: int, first: dt.datetime) -> str:
    """One campaign: a daily tip for DAYS days, to every target of the file channel."""
    return f"""# thử tải: tin hằng ngày
id = "thu-tai-{i:03d}"
title = "Sống xanh mỗi ngày — đơn vị {i:03d}"
description = "Tin nhắc hằng ngày về tiết kiệm năng lượng và giảm rác thải nhựa."
tags = ["môi trường", "thử tải"]
grace = "1h"

[vars]
don_vi = "Phòng {i:03d}"

[[message]]
id = "meo-hang-ngay"
at = {{ rrule = "FREQ=DAILY;COUNT={DAYS}", start = {first.date().isoformat()}, time = "{first:%H:%M}" }}
text = "{{{{ date }}}} — {{{{ campaign.title }}}}: {{{{ don_vi }}}} nhớ tắt điện, điều hoà khi ra khỏi phòng và mang bình nước cá nhân 🌱"
"""


def burst_campaign(i: int, at: dt.datetime) -> str:
    """BURST_MESSAGES messages all due at ``at``, to every target."""
    lines = [
        f'id = "dot-cao-diem-{i:03d}"',
        f'title = "Đợt cao điểm ra quân {i:03d}"',
        'grace = "1h"',
    ]
    for m in range(BURST_MESSAGES):
        lines += [
            "",
            "[[message]]",
            f'id = "loi-keu-goi-{m:03d}"',
            f"at = {at.isoformat(timespec='seconds')}",
            f'text = "{{{{ date }}}} {{{{ time }}}}: {{{{ campaign.title }}}} — lời kêu gọi số {m}: '
            'cùng thu gom, phân loại rác thải nhựa tại khu dân cư."',
        ]
    return "\n".join(lines) + "\n"


def sqlite_copy(src: Path, dst: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(dst) + suffix).unlink()
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    b.close()
    a.close()


def states(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select state, count(*) from delivery group by state").fetchall())


def mb(x: float) -> str:
    return f"{x:,.1f} MB"


def med(values: list[float]) -> float:
    return statistics.median(values)


def runs(values: list[float], fmt: str = "{:.3f}") -> str:
    return ", ".join(fmt.format(v) for v in values)


# -- loa ----------------------------------------------------------------------------------------


def start_loa(office: Path, tag: str, config: str = "config.toml") -> Spawned:
    return Spawned([*LOA, "run", "--config", config], office, office / f"daemon-{tag}.err")


def measure_loa_start(
    office: Path, tag: str, idle: float = 0.0, config: str = "config.toml"
) -> dict[str, Any]:
    daemon = start_loa(office, tag, config)
    try:
        seconds, line = daemon.wait_line(READY, timeout=300)
        pid = daemon.process.pid
        cpu_at_ready = cpu_seconds(pid)
        time.sleep(1.0)
        mem = proc_status(pid)
        result: dict[str, Any] = {
            "start": seconds, "line": line, "rss": mem["VmRSS"], "hwm": mem["VmHWM"],
            "start_cpu": cpu_at_ready,
        }  # fmt: skip
        if idle:
            time.sleep(1.0)  # let the first wake and reschedule settle
            c0, t0 = cpu_seconds(pid), time.perf_counter()
            time.sleep(idle)
            c1, t1 = cpu_seconds(pid), time.perf_counter()
            result["idle_cpu"] = (c1 - c0) / (t1 - t0) * 100
            result["idle_cpu_s"] = c1 - c0
            result["idle_window"] = t1 - t0
            result["rss_after_idle"] = proc_status(pid)["VmRSS"]
        code, stop_s = daemon.stop()
        result["exit"], result["stop"] = code, stop_s
        if code != 0:
            raise SystemExit(f"loa run exited {code}: {daemon.err.read_text('utf-8')[-3000:]}")
        return result
    finally:
        daemon.kill()


class NoopChannel:
    """The Channel protocol with nothing behind it: every send returns a receipt at once."""

    confirms_delivery = False  # it keeps no record of what it received

    def __init__(self, name: str, sent_at: dt.datetime) -> None:
        self.name = name
        self.receipt = Receipt(sent_at=sent_at, provider_message_id=None)
        self.sent = 0

    async def send(self, message: OutboundMessage) -> Receipt:
        self.sent += 1
        return self.receipt

    async def find_sent(self, keys: Iterable[str]) -> dict[str, Receipt]:
        return {}

    async def close(self) -> None:
        return None


class DispatchProfile:
    """cProfile of one run_due: the event loop (sending) and, separately, the worker threads
    where run_due calls outbox.claim_due and outbox.record (wrapped here, timed, profiled)."""

    def __init__(self) -> None:
        self.loop = cProfile.Profile()
        self.db = cProfile.Profile()
        self.seconds: dict[str, float] = {"claim_due": 0.0, "record": 0.0}
        self.calls: dict[str, int] = {"claim_due": 0, "record": 0}
        self.saved: dict[str, Any] = {}

    def patch(self) -> None:
        from scheduler.store import outbox

        for name in ("claim_due", "record"):
            original = getattr(outbox, name)
            self.saved[name] = original
            setattr(outbox, name, self._wrap(name, original))

    def unpatch(self) -> None:
        from scheduler.store import outbox

        for name, original in self.saved.items():
            setattr(outbox, name, original)

    def _wrap(self, name: str, original: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            self.db.enable()  # this worker thread only; the calls never overlap
            try:
                return original(*args, **kwargs)
            finally:
                self.db.disable()
                self.seconds[name] += time.perf_counter() - began
                self.calls[name] += 1

        return timed


def loa_dispatch_once(
    config_path: Path, db_template: Path, db_run: Path, burst_at: dt.datetime, expect: int,
    profile: DispatchProfile | None = None,
) -> tuple[float, int]:  # fmt: skip
    """Seconds for one DispatchEngine.run_due over the burst, on a fresh copy of the database."""
    from scheduler.config import load_config
    from scheduler.engine.dispatch import DispatchEngine
    from scheduler.store.db import open_engine

    sqlite_copy(db_template, db_run)
    config = load_config(config_path)
    db = open_engine(f"sqlite:///{db_run}")
    clock_at = burst_at + dt.timedelta(seconds=1)
    channel = NoopChannel("nhat-ky", clock_at)
    engine = DispatchEngine(
        db, {"nhat-ky": channel}, config.addresses(), "bench:1",
        clock=lambda: clock_at, batch_size=config.data.daemon.batch_size,
    )  # fmt: skip

    async def go() -> tuple[float, int]:
        with db.connect():  # open the pool's first connection outside the timing
            pass
        if profile is not None:
            profile.loop.enable()
        began = time.perf_counter()
        report = await engine.run_due()
        elapsed = time.perf_counter() - began
        if profile is not None:
            profile.loop.disable()
        return elapsed, report.sent

    try:
        if profile is not None:
            profile.patch()
        elapsed, sent = asyncio.run(go())
    finally:
        if profile is not None:
            profile.unpatch()
        db.dispose()
    got = states(db_run)
    if sent != expect or channel.sent != expect or got.get("sent") != expect:
        raise SystemExit(f"dispatch run sent {sent} (channel {channel.sent}), states {got}")
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(db_run) + suffix).unlink()
    return elapsed, sent


# -- the naive baseline -------------------------------------------------------------------------

_ran = 0
_all_ran: asyncio.Event | None = None
_expect = 0


async def naive_send(key: str, channel: str, target: str, text: str) -> None:
    """The job of the naive baseline: a no-op coroutine (it only counts)."""
    global _ran
    _ran += 1
    if _ran >= _expect and _all_ran is not None:
        _all_ran.set()


def _buffered_store_class() -> type:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.util import datetime_to_utc_timestamp

    class BufferedJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
        """SQLAlchemyJobStore whose add_job can collect its rows to write them in one go."""

        buffering = False

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.rows: list[dict[str, Any]] = []

        def add_job(self, job: Any) -> None:
            if not self.buffering:
                super().add_job(job)
                return
            self.rows.append(
                {
                    "id": job.id,
                    "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
                    "job_state": pickle.dumps(job.__getstate__(), self.pickle_protocol),
                }
            )

        def flush(self) -> None:
            with self.engine.begin() as connection:
                connection.execute(self.jobs_t.insert(), self.rows)
            self.rows.clear()

    return BufferedJobStore


def naive_scheduler(store: Any) -> Any:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    return AsyncIOScheduler(
        jobstores={"default": store},
        timezone=TZ,
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
    )


def naive_fill(
    path: Path, rows: list[tuple[str, str, str, str, dt.datetime]], sample: int,
    budget: float = 0.0,
) -> dict[str, float]:  # fmt: skip
    """Add one job per delivery to a SQLAlchemyJobStore: up to ``sample`` through add_job (one
    commit each, timed; stopped after ``budget`` seconds), the rest with the same rows written
    in one transaction (timed)."""
    from apscheduler.triggers.date import DateTrigger

    store = _buffered_store_class()(url=f"sqlite:///{path}")
    out: dict[str, float] = {}

    async def go() -> None:
        scheduler = naive_scheduler(store)
        scheduler.start(paused=True)
        began = time.perf_counter()
        added = 0
        for key, channel, target, text, due in rows[:sample]:
            scheduler.add_job(
                naive_send, DateTrigger(run_date=due), args=(key, channel, target, text), id=key
            )
            added += 1
            if budget and time.perf_counter() - began > budget:
                break
        out["sample_s"] = time.perf_counter() - began
        out["sample_n"] = added
        store.buffering = True
        began = time.perf_counter()
        for key, channel, target, text, due in rows[added:]:
            scheduler.add_job(
                naive_send, DateTrigger(run_date=due), args=(key, channel, target, text), id=key
            )
        store.flush()
        out["bulk_s"] = time.perf_counter() - began
        out["bulk_n"] = len(rows) - added
        scheduler.shutdown(wait=False)

    asyncio.run(go())
    store.engine.dispose()
    return out


def naive_worker(mode: str, db: Path, n: int, timeout: float) -> None:
    """Run inside a child process: start an AsyncIOScheduler on an existing job store (and do
    nothing else: the scheduler-only start-up, and the dispatch run)."""
    global _all_ran, _expect
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    async def go() -> None:
        global _all_ran, _expect
        _all_ran = asyncio.Event()
        _expect = n
        store = SQLAlchemyJobStore(url=f"sqlite:///{db}")
        scheduler = naive_scheduler(store)
        print("naive starting", flush=True)
        began = time.perf_counter()
        scheduler.start()
        await asyncio.sleep(0)  # the scheduler's first wakeup (job lookup) runs here
        await asyncio.sleep(0)
        print(f"naive ready {time.perf_counter() - began:.6f}", flush=True)
        if mode == "dispatch":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_all_ran.wait(), timeout)
            print(f"naive done {time.perf_counter() - began:.6f} {_ran}", flush=True)
            await asyncio.sleep(3600)  # keep running: the parent measures, then stops us
        else:
            await asyncio.sleep(3600)
        scheduler.shutdown(wait=False)

    loop = asyncio.new_event_loop()
    task = loop.create_task(go())
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        loop.run_until_complete(task)


def naive_reconcile_worker(db: Path, office: Path, budget: float) -> None:
    """Run inside a child process: the naive daemon's documented start-up on a persistent store.

    It knows its jobs from the campaign files (loa's own loader and expansion: the cheapest
    way there is), starts the scheduler paused on the existing store, re-adds every expanded
    delivery's job with ``id=key, replace_existing=True``, removes the jobs whose ids are no
    longer expanded, then resumes and lets the first job lookup run. With ``budget`` > 0 the
    re-adding stops after that many seconds (a sample, for extrapolation; nothing removed)."""
    began = time.perf_counter()
    import tomllib

    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.triggers.date import DateTrigger
    from sqlalchemy import select

    from campaigns.expand import expand
    from campaigns.loader import load_paths
    from campaigns.model import ChannelCatalog

    steps: list[tuple[str, float]] = []

    def step(label: str) -> None:
        steps.append((label, time.perf_counter() - began))

    step("imports (apscheduler, its SQLAlchemy store, loa's campaigns package)")
    data = tomllib.loads((office / "config.toml").read_text("utf-8"))
    targets = {
        name: tuple(str(alias) for alias in channel.get("targets", {}))
        for name, channel in data.get("channels", {}).items()
    }
    catalog = ChannelCatalog(targets=targets, defaults=tuple(targets))
    horizon = dt.timedelta(days=data["campaigns"]["horizon_days"])
    loaded = load_paths([office / p for p in data["campaigns"]["paths"]], catalog, data["timezone"])
    if loaded.errors:
        raise SystemExit(f"campaign problems: {loaded.errors[:3]}")
    step(f"config.toml + {len(loaded.campaigns)} campaign files read and validated")

    async def go() -> None:
        store = SQLAlchemyJobStore(url=f"sqlite:///{db}")
        scheduler = naive_scheduler(store)
        scheduler.start(paused=True)  # the user guide's way to prune before anything runs
        step("scheduler started paused on the existing store")
        now = dt.datetime.now(dt.UTC)
        seen: set[str] = set()
        stopped = False
        expanding = 0.0
        for campaign in loaded.campaigns:
            t0 = time.perf_counter()
            expansion = expand(campaign, now - campaign.grace, now + horizon, catalog)
            # what loa's sync would keep pending: rendered, and not already past due
            dispatches = [d for d in expansion.dispatches() if not d.error and d.due >= now]
            expanding += time.perf_counter() - t0
            for d in dispatches:
                scheduler.add_job(
                    naive_send, DateTrigger(run_date=d.due),
                    args=(d.key, d.channel, d.target, d.text), id=d.key, replace_existing=True,
                )  # fmt: skip
                seen.add(d.key)
                if budget and time.perf_counter() - began > budget:
                    stopped = True
                    break
            if stopped:
                break
        step(f"expand ({expanding:.2f} s of it) + add_job(replace_existing=True) x {len(seen):,}")
        removed, stored = 0, 0
        if not stopped:
            # the stored ids, streamed (the id column only; get_jobs() would unpickle them all)
            with store.engine.connect() as conn:
                gone = []
                for job_id in conn.execute(select(store.jobs_t.c.id)).scalars():
                    stored += 1
                    if job_id not in seen:
                        gone.append(job_id)
            for job_id in gone:
                scheduler.remove_job(job_id)
                removed += 1
        step(
            "removal skipped (the re-adding was a sample)"
            if stopped
            else f"ids of the {stored:,} stored jobs read; remove_job x {removed:,} (not expanded)"
        )
        scheduler.resume()
        await asyncio.sleep(0)  # the scheduler's first wakeup (job lookup) runs here
        await asyncio.sleep(0)
        step("resumed; first job lookup done")
        for label, at in steps:
            print(f"naive step\t{label}\t{at:.4f}", flush=True)
        print(f"naive ready {time.perf_counter() - began:.6f} {len(seen)} {removed} "
              f"{int(stopped)}", flush=True)  # fmt: skip
        await asyncio.sleep(3600)  # the parent measures, then stops us
        scheduler.shutdown(wait=False)

    loop = asyncio.new_event_loop()
    task = loop.create_task(go())
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        loop.run_until_complete(task)


def measure_naive_start(work: Path, naive_db: Path, tag: str) -> dict[str, float]:
    child = spawn_naive(work, "start", naive_db, tag=tag)
    try:
        seconds, _ = child.wait_line("naive ready", timeout=300)
        cpu_at_ready = cpu_seconds(child.process.pid)
        time.sleep(1.0)
        mem = proc_status(child.process.pid)
        child.stop()
    finally:
        child.kill()
    return {"start": seconds, "rss": mem["VmRSS"], "hwm": mem["VmHWM"], "start_cpu": cpu_at_ready}


def measure_naive_reconcile(
    work: Path, naive_db: Path, office: Path, pending: int, budget: float, tag: str
) -> dict[str, Any]:
    """The documented naive start-up (naive_reconcile_worker), from spawn until ready."""
    child = spawn_naive(work, "reconcile", naive_db, tag=tag,
                        extra=["--office", str(office), "--budget", str(budget)])  # fmt: skip
    try:
        seconds, line = child.wait_line("naive ready", timeout=max(900.0, 3 * budget))
        cpu_at_ready = cpu_seconds(child.process.pid)
        time.sleep(1.0)
        mem = proc_status(child.process.pid)
        child.stop()
    finally:
        child.kill()
    _, _, _, readded, removed, stopped = line.split()
    steps = []
    for out in child.output:
        if out.startswith("naive step\t"):
            _, label, at = out.split("\t")
            steps.append((label, float(at)))
    result: dict[str, Any] = {
        "start": seconds, "rss": mem["VmRSS"], "hwm": mem["VmHWM"], "start_cpu": cpu_at_ready,
        "readded": int(readded), "removed": int(removed), "sampled": stopped == "1",
        "steps": steps, "measured": seconds,
    }  # fmt: skip
    if result["sampled"]:
        # the re-adding loop (expansion included) stopped early: the rest at its measured rate
        loop_s = steps[3][1] - steps[2][1]
        per_job = loop_s / result["readded"]
        result["per_job"] = per_job
        result["start"] = seconds + (pending - result["readded"]) * per_job
    elif result["readded"] != pending:
        raise SystemExit(f"naive start-up re-added {result['readded']} jobs, expected {pending}")
    return result


def spawn_naive(
    work: Path, mode: str, db: Path, n: int = 0, tag: str = "", extra: list[str] | None = None
) -> Spawned:
    argv = [sys.executable, str(Path(__file__).resolve()), "--naive-worker", mode, "--db", str(db),
            "--n", str(n), *(extra or [])]  # fmt: skip
    return Spawned(argv, work, work / f"naive-{mode}{tag}.err")


# -- main ---------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ratio_text(ratio: float) -> str:
    """A ratio with two decimals, or four when it is that small (so 0.003 is not shown as 0)."""
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (about a minute)")
    parser.add_argument("--profile", action="store_true", help="cProfile loa even if it passes")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--naive-budget", type=float, default=0.0, metavar="SECONDS",
        help="stop the naive documented start-up's re-adding after SECONDS and extrapolate "
        "(default 0: the full start-up is measured)",
    )  # fmt: skip
    parser.add_argument(
        "--naive-worker", choices=["start", "reconcile", "dispatch"], help=argparse.SUPPRESS
    )
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--office", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive_worker == "reconcile":
        naive_reconcile_worker(args.db, args.office, args.budget)
        return
    if args.naive_worker:
        naive_worker(args.naive_worker, args.db, args.n, timeout=600)
        return

    quick = args.quick
    campaigns_n = 10 if quick else 50
    pending = campaigns_n * DAYS * TARGETS
    burst_campaigns = 10 if quick else 40
    burst = burst_campaigns * BURST_MESSAGES * TARGETS
    starts = 5
    idle = 6.0 if quick else 15.0
    repeats = 3
    naive_sample = 500 if quick else 3_000  # add_job calls timed (one commit each) ...
    naive_add_budget = 5.0 if quick else 12.0  # ... for at most this many seconds
    naive_burst = min(burst, 1_000 if quick else 5_000)  # due jobs (the burst's first ones)
    naive_cap = 30.0 if quick else 60.0  # seconds per naive dispatch run before giving up

    wall_began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="loa-daemon-bench-"))
    office = work / "office"
    (office / "campaigns").mkdir(parents=True)
    (office / "campaigns-burst").mkdir()
    (office / "data").mkdir()
    print(f"loa daemon benchmark{' (--quick)' if quick else ''}")
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; work dir {work}"
    )
    try:
        run_all(args, work, office, campaigns_n, pending, burst_campaigns, burst, starts, idle,
                repeats, naive_sample, naive_add_budget, naive_burst, naive_cap)  # fmt: skip
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        print(f"\ntotal benchmark wall time: {time.perf_counter() - wall_began:.0f} s")


def run_all(
    args: argparse.Namespace, work: Path, office: Path, campaigns_n: int, pending: int,
    burst_campaigns: int, burst: int, starts: int, idle: float, repeats: int,
    naive_sample: int, naive_add_budget: float, naive_burst: int, naive_cap: float,
) -> None:  # fmt: skip
    now = dt.datetime.now(TZ)
    first = (now + dt.timedelta(hours=3)).replace(second=0, microsecond=0)
    burst_at = (now + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    write_config(office / "config.toml", "data/loa.db", ["campaigns"])
    write_config(office / NO_HTTP, "data/loa.db", ["campaigns"], http=False)
    write_config(office / "config-burst.toml", "data/burst.db", ["campaigns", "campaigns-burst"])
    for i in range(campaigns_n):
        # campaigns send at different minutes; the last occurrence stays inside the horizon
        at = first + dt.timedelta(minutes=i % 60)
        (office / "campaigns" / f"thu-tai-{i:03d}.toml").write_text(daily_campaign(i, at), "utf-8")
    for i in range(burst_campaigns):
        path = office / "campaigns-burst" / f"dot-cao-diem-{i:03d}.toml"
        path.write_text(burst_campaign(i, burst_at), "utf-8")
    db = office / "data" / "loa.db"

    # 1. loa start-up -----------------------------------------------------------------------
    print(
        f"\n[1] loa run start-up: {campaigns_n} campaign files x {DAYS} daily messages x "
        f"{TARGETS} targets = {pending:,} pending deliveries (first due {first:%Y-%m-%d %H:%M} "
        f"{TIMEZONE}, 3 h from now)"
    )
    cold = measure_loa_start(office, "cold")
    got = states(db)
    if got != {"pending": pending}:
        raise SystemExit(f"expected {pending} pending deliveries after the first sync, got {got}")
    size = sum(p.stat().st_size for p in db.parent.glob("loa.db*")) / 2**20
    print(
        f"  cold start (empty database; the real sync expands and inserts {pending:,}): "
        f"{cold['start']:.2f} s to summary, {cold['start_cpu']:.2f} s CPU, RSS {mb(cold['rss'])}, "
        f"peak {mb(cold['hwm'])}; database {size:,.1f} MB"
    )
    print(f"  summary line: {cold['line'].strip()}")
    with sqlite3.connect(db) as conn:
        raw = conn.execute(
            "select key, channel, target, text, due from delivery where state = 'pending' "
            "order by due, key"
        ).fetchall()
    rows = [(k, c, t, x, _utc(d)) for k, c, t, x, d in raw]
    naive_db = work / "jobs.sqlite"
    filled = naive_fill(naive_db, rows, naive_sample, budget=naive_add_budget)
    per_add = filled["sample_s"] / filled["sample_n"]
    add_extrapolated = per_add * pending
    jobs_mb = naive_db.stat().st_size / 2**20
    # start-up runs alternate loa, loa without the HTTP surface and the naive baseline ([3]) so
    # all see the same machine load
    warm, no_http, naive_start = [], [], []
    for r in range(starts):
        result = measure_loa_start(office, f"warm{r}", idle=idle if r == starts - 1 else 0.0)
        warm.append(result)
        off = measure_loa_start(office, f"nohttp{r}", config=NO_HTTP)
        no_http.append(off)
        for line in (result["line"], off["line"]):
            if f"{pending} tin đang chờ gửi" not in line:
                raise SystemExit(f"unexpected summary: {line}")
        naive_start.append(measure_naive_start(work, naive_db, str(r)))
    # the naive daemon's documented start-up (one run: it takes minutes), on a copy of the store
    reconcile_db = work / "jobs-reconcile.sqlite"
    sqlite_copy(naive_db, reconcile_db)
    naive_doc = measure_naive_reconcile(work, reconcile_db, office, pending, args.naive_budget, "")
    reconcile_db.unlink()
    start_s = [w["start"] for w in warm]
    rss = [w["rss"] for w in warm]
    hwm = [w["hwm"] for w in warm]
    idle_cpu = warm[-1]["idle_cpu"]
    print(f"  start-up on the existing database, {starts} runs (alternating with the naive "
          f"baseline's): {runs(start_s)} s")  # fmt: skip
    print(f"    median {med(start_s):.2f} s   (CPU during start-up: median "
          f"{med([w['start_cpu'] for w in warm]):.2f} s)")  # fmt: skip
    print(f"  RSS 1 s after start: {runs(rss, '{:.1f}')} MB; median {mb(med(rss))}, "
          f"peak (VmHWM) median {mb(med(hwm))}")  # fmt: skip
    print(
        f"  idle CPU over {warm[-1]['idle_window']:.1f} s with nothing due: {idle_cpu:.2f} % "
        f"of one core ({warm[-1]['idle_cpu_s']:.2f} s CPU; /proc counts in {1 / TICKS:.2f} s "
        f"ticks; RSS then {mb(warm[-1]['rss_after_idle'])})"
    )
    print(f"  SIGTERM to exit: median {med([w['stop'] for w in warm]):.2f} s, exit code 0")
    off_start, off_rss = [w["start"] for w in no_http], [w["rss"] for w in no_http]
    off_hwm = [w["hwm"] for w in no_http]
    print(f"  loa without the HTTP surface ({NO_HTTP}: [http] enabled = false; the same work the "
          f"naive daemon does, which serves no feeds), {starts} runs alternating with the above:")  # fmt: skip
    print(f"    start-up {runs(off_start)} s; median {med(off_start):.2f} s (CPU during start-up: "
          f"median {med([w['start_cpu'] for w in no_http]):.2f} s)")  # fmt: skip
    print(f"    RSS 1 s after start: {runs(off_rss, '{:.1f}')} MB; median {mb(med(off_rss))}, "
          f"peak (VmHWM) median {mb(med(off_hwm))}")  # fmt: skip

    # 2. loa dispatch throughput -------------------------------------------------------------
    print(
        f"\n[2] loa dispatch throughput: {burst_campaigns} burst campaigns x {BURST_MESSAGES} "
        f"messages x {TARGETS} targets = {burst:,} deliveries due at {burst_at:%H:%M}, next to the "
        f"{pending:,} pending; DispatchEngine.run_due, no-op channel, SQLite"
    )
    from scheduler.campaign_set import load_campaigns
    from scheduler.config import load_config
    from scheduler.store.db import migrate, open_engine
    from scheduler.sync import sync

    burst_config = load_config(office / "config-burst.toml")
    template = office / "data" / "burst.db"
    sqlite_copy(db, template)
    engine = open_engine(burst_config.database_url)
    migrate(engine)
    loaded = load_campaigns(burst_config, burst_config.campaign_paths)
    if loaded.problems:
        raise SystemExit(f"campaign problems: {loaded.problems[:3]}")
    began = time.perf_counter()
    report = sync(engine, loaded.campaigns, burst_config.catalog(), dt.datetime.now(dt.UTC),
                  burst_config.horizon)  # fmt: skip
    sync_s = time.perf_counter() - began
    engine.dispose()
    if report.inserted != burst or report.expanded != burst_campaigns:
        raise SystemExit(f"burst sync: {report}")
    print(f"  sync of the burst campaigns into a copy: {sync_s:.2f} s ({report.inserted:,} inserted, "
          f"{report.expanded} campaigns expanded, the {campaigns_n} others left as they were)")  # fmt: skip
    loa_times = []
    for r in range(repeats):
        elapsed, _ = loa_dispatch_once(
            office / "config-burst.toml", template, office / "data" / f"run{r}.db", burst_at, burst
        )
        loa_times.append(elapsed)
    loa_rates = [burst / t for t in loa_times]
    loa_rate = med(loa_rates)
    print(f"  {repeats} runs: {runs(loa_times)} s -> {runs(loa_rates, '{:,.0f}')} deliveries/s")
    print(f"    median {loa_rate:,.0f} deliveries/s ({med(loa_times) / burst * 1e6:.0f} µs each)")

    # 3. naive baseline ----------------------------------------------------------------------
    print(
        f"\n[3] naive baseline: one APScheduler {_apscheduler_version()} job per delivery, "
        "SQLAlchemyJobStore (SQLite file), AsyncIOScheduler, no-op coroutine"
    )
    print(
        f"  add_job (one commit per job): {filled['sample_n']:,.0f} jobs in "
        f"{filled['sample_s']:.2f} s = {1 / per_add:,.0f} jobs/s -> {pending:,} jobs ~ "
        f"{add_extrapolated:,.0f} s (extrapolated)"
    )
    print(
        f"  the other {filled['bulk_n']:,.0f} jobs, same rows written in one transaction: "
        f"{filled['bulk_s']:.2f} s; job store {jobs_mb:,.1f} MB"
    )
    n_start = [s["start"] for s in naive_start]
    n_rss = [s["rss"] for s in naive_start]
    n_hwm = [s["hwm"] for s in naive_start]
    doc_how = "extrapolated" if naive_doc["sampled"] else "measured in full, not extrapolated"
    print(
        f"  start-up as APScheduler documents it for a persistent store (the baseline), with "
        f"{pending:,} jobs in the store, 1 run ({doc_how}): {naive_doc['start']:.2f} s "
        f"(CPU during start-up: {naive_doc['start_cpu']:.2f} s)"
    )
    print("    (spawn until ready: reads config.toml and the campaign files with loa's loader, "
          "starts the scheduler paused, expands each campaign with loa's expand, re-adds every "
          "delivery's job with id=key, replace_existing=True (one commit each), removes the jobs "
          "no longer expanded, resumes, first job lookup done)")  # fmt: skip
    if naive_doc["sampled"]:
        print(f"    EXTRAPOLATED: the re-adding stopped after {naive_doc['readded']:,} jobs; "
              f"{naive_doc['measured']:.2f} s measured + the other "
              f"{pending - naive_doc['readded']:,} at {naive_doc['per_job'] * 1e3:.2f} ms each; "
              "its RSS is the partial run's")  # fmt: skip
    else:
        print(f"    re-added {naive_doc['readded']:,} jobs, removed {naive_doc['removed']:,}")
    previous = 0.0
    for label, at in naive_doc["steps"]:
        print(f"      {label:72} ends at {at:8.3f} s (step {at - previous:8.3f} s)")
        previous = at
    print("      (times from the worker's first import; interpreter start-up comes before)")
    print(f"    RSS 1 s after ready: {mb(naive_doc['rss'])}, peak (VmHWM) {mb(naive_doc['hwm'])}")
    print(
        f"  start-up, naive scheduler start only (no reconciliation with campaign files), "
        f"{starts} runs: {runs(n_start)} s; median {med(n_start):.2f} s (CPU during start-up: "
        f"median {med([x['start_cpu'] for x in naive_start]):.2f} s)"
    )
    print(
        "    (spawn until started and first job lookup done; it reads no config, campaign files"
        " or schema, so it cannot tell whether its jobs still match the campaign files)"
    )
    print(f"    RSS 1 s after start: median {mb(med(n_rss))}, peak median {mb(med(n_hwm))}")

    with sqlite3.connect(template) as conn:
        burst_rows = conn.execute(
            "select key, channel, target, text from delivery where campaign like 'dot-cao-diem-%' "
            "order by key limit ?",
            (naive_burst,),
        ).fetchall()
    naive_times, naive_rates, notes = [], [], []
    for r in range(repeats):
        run_db = work / f"jobs-run{r}.sqlite"
        sqlite_copy(naive_db, run_db)
        due = dt.datetime.now(dt.UTC)
        naive_fill(run_db, [(k, c, t, x, due) for k, c, t, x in burst_rows], 0)
        child = spawn_naive(work, "dispatch", run_db, naive_burst, tag=str(r))
        try:
            child.wait_line("naive starting", timeout=120)
            began = time.perf_counter()
            try:
                _, line = child.wait_line("naive done", timeout=naive_cap)
                _, _, took, ran = line.split()
                if int(ran) != naive_burst:
                    raise SystemExit(f"naive run: only {ran} of {naive_burst} jobs ran")
                naive_times.append(float(took))
                naive_rates.append(naive_burst / float(took))
            except TimeoutError:
                # the scheduler takes every due job off the store (a commit each) before the
                # coroutines run: count what it got through, then give up on this run
                elapsed = time.perf_counter() - began
                with sqlite3.connect(run_db, timeout=30) as conn:
                    left = conn.execute(
                        "select count(*) from apscheduler_jobs where next_run_time <= ?",
                        (due.timestamp() + 1,),
                    ).fetchone()[0]
                naive_times.append(elapsed)
                naive_rates.append((naive_burst - left) / elapsed)
                notes.append(f"run {r + 1} hit the {naive_cap:g} s cap with "
                             f"{naive_burst - left:,} of {naive_burst:,} jobs taken off the store")  # fmt: skip
        finally:
            child.kill()
        run_db.unlink()
    naive_rate = med(naive_rates)
    print(
        f"  dispatch of {naive_burst:,} due jobs (next to the {pending:,}), {repeats} runs: "
        f"{runs(naive_times)} s -> {runs(naive_rates, '{:,.0f}')} jobs/s"
    )
    for note in notes:
        print(f"    ({note}; its rate counts those)")
    print(
        f"    median {naive_rate:,.0f} jobs/s -> {burst:,} would take ~{burst / naive_rate:,.0f} s"
    )

    # summary --------------------------------------------------------------------------------
    ratio_rate = loa_rate / naive_rate
    ratio_start = med(start_s) / naive_doc["start"]
    ratio_rss = med(rss) / naive_doc["rss"]
    ratio_hwm = med(hwm) / naive_doc["hwm"]
    only_start, only_rss = med(start_s) / med(n_start), med(rss) / med(n_rss)
    only_hwm = med(hwm) / med(n_hwm)
    cpu_l = med([w["start_cpu"] for w in warm])
    cpu_d, cpu_n = naive_doc["start_cpu"], med([x["start_cpu"] for x in naive_start])
    doc = "naive = documented start-up" + (", EXTRAPOLATED" if naive_doc["sampled"] else "")
    only = "naive = scheduler start only, no reconciliation"

    def row(
        label: str, a: float, b: float, unit: str, fmt: str = "{:>10.2f}", note: str = ""
    ) -> None:
        ratio = f"{ratio_text(a / b):>10}" if b else f"{'-':>10}"
        print(f"  {label:38}{fmt.format(a)} {unit:2}{fmt.format(b)} {unit:2}{ratio}"
              + (f"   ({note})" if note else ""))  # fmt: skip

    print("\nsummary (loa: medians of the runs above; naive documented start-up: its one run; "
          "naive scheduler start only and dispatch: medians)")  # fmt: skip
    print(f"  {'':38}{'loa':>10}   {'naive':>10}   {'loa/naive':>10}")
    row(f"start-up, {pending:,} pending", med(start_s), naive_doc["start"], "s", note=doc)
    row("  (vs scheduler start only)", med(start_s), med(n_start), "s", note=only)
    row("CPU used to start", cpu_l, cpu_d, "s", note=doc)
    row("  (vs scheduler start only)", cpu_l, cpu_n, "s", note=only)
    row("RSS 1 s after start", med(rss), naive_doc["rss"], "MB", "{:>10.1f}", doc)
    row("  (vs scheduler start only)", med(rss), med(n_rss), "MB", "{:>10.1f}", only)
    row("peak RSS (VmHWM)", med(hwm), naive_doc["hwm"], "MB", "{:>10.1f}", doc)
    row("  (vs scheduler start only)", med(hwm), med(n_hwm), "MB", "{:>10.1f}", only)
    off = "loa without the HTTP surface; " + doc
    row("start-up, HTTP surface off", med(off_start), naive_doc["start"], "s", note=off)
    row("RSS 1 s after start, HTTP surface off", med(off_rss), naive_doc["rss"], "MB",
        "{:>10.1f}", off)  # fmt: skip
    row("peak RSS (VmHWM), HTTP surface off", med(off_hwm), naive_doc["hwm"], "MB",
        "{:>10.1f}", off)  # fmt: skip
    row("dispatch throughput", loa_rate, naive_rate, "/s", "{:>10,.0f}")
    row(f"filling the store, {pending:,}", cold["start"], add_extrapolated, "s", "{:>10,.2f}",
        "loa: cold start incl. sync; naive: add_job, extrapolated")  # fmt: skip
    print(f"  {'idle CPU':38}{idle_cpu:>10.2f} %")
    checks = [
        (f"loa start-up < {TARGET_START_S:g} s", med(start_s) < TARGET_START_S,
         f"{med(start_s):.2f} s"),
        (f"loa RSS < {TARGET_RSS_MB:g} MB", med(rss) < TARGET_RSS_MB, mb(med(rss))),
        (f"loa idle CPU < {TARGET_IDLE_CPU:g} %", idle_cpu < TARGET_IDLE_CPU, f"{idle_cpu:.2f} %"),
        (f"loa dispatch >= {TARGET_RATE:,.0f}/s", loa_rate >= TARGET_RATE, f"{loa_rate:,.0f}/s"),
        (f"loa dispatch >= {TARGET_VS_NAIVE:g}x naive", ratio_rate >= TARGET_VS_NAIVE,
         f"{ratio_rate:.1f}x"),
        ("loa start-up a fraction of naive's (documented start-up)", ratio_start < 1,
         f"{ratio_text(ratio_start)}x"),
        ("loa RSS a fraction of naive's (documented start-up)", ratio_rss < 1,
         f"{ratio_text(ratio_rss)}x"),
        ("loa peak RSS a fraction of naive's (documented start-up)", ratio_hwm < 1,
         f"{ratio_text(ratio_hwm)}x"),
    ]  # fmt: skip
    print("\ntargets (loa/naive ratios against the documented naive start-up"
          + (", EXTRAPOLATED" if naive_doc["sampled"] else "") + ")")  # fmt: skip
    for name, ok, value in checks:
        print(f"  {verdict(ok)}  {name:58} {value}")
    print(f"  (not a target, for reference: against the naive scheduler start only, with no "
          f"reconciliation with campaign files, loa/naive is {ratio_text(only_start)}x start-up, "
          f"{ratio_text(only_rss)}x RSS, {ratio_text(only_hwm)}x peak RSS)")  # fmt: skip
    print(f"  (not a target, for reference: loa without the HTTP surface ([http] enabled = false, "
          f"the same work the naive daemon does, which serves no feeds) against the documented "
          f"naive start-up is {ratio_text(med(off_start) / naive_doc['start'])}x start-up, "
          f"{ratio_text(med(off_rss) / naive_doc['rss'])}x RSS, "
          f"{ratio_text(med(off_hwm) / naive_doc['hwm'])}x peak RSS)")  # fmt: skip
    failed = [name for name, ok, _ in checks if not ok]

    if args.profile or any(n.startswith("loa dispatch") for n in failed):
        profile = DispatchProfile()
        elapsed, _ = loa_dispatch_once(
            office / "config-burst.toml", template, office / "data" / "prof.db", burst_at, burst,
            profile=profile,
        )  # fmt: skip
        db_s = sum(profile.seconds.values())
        print(f"\nloa dispatch under cProfile: one run_due of {burst:,} took {elapsed:.2f} s; "
              f"in worker threads outbox.claim_due {profile.seconds['claim_due']:.2f} s "
              f"({profile.calls['claim_due']} calls), outbox.record {profile.seconds['record']:.2f} s "
              f"({profile.calls['record']} calls); the rest (sending on the event loop, thread "
              f"hand-offs) {elapsed - db_s:.2f} s")  # fmt: skip
        print_profile("  database work (claim_due + record, worker threads)", profile.db, 15)
        print_profile("  event loop (run_due, lanes, _send_one)", profile.loop, 12,
                      sorts=("tottime",))  # fmt: skip
    if args.profile or any(
        n.startswith(("loa start-up", "loa RSS", "loa peak RSS")) for n in failed
    ):
        startup_breakdown(office, work)


def _utc(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def _apscheduler_version() -> str:
    from importlib.metadata import version

    return version("apscheduler")


def print_profile(
    title: str, profile: cProfile.Profile, top: int = 18,
    sorts: tuple[str, ...] = ("tottime", "cumulative"),
) -> None:  # fmt: skip
    for sort in sorts:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.strip_dirs().sort_stats(sort).print_stats(top)
        body = out.getvalue()
        body = body[body.find("   ncalls") :] if "   ncalls" in body else body
        print(f"\n{title}, top {top} by {sort}:")
        print("\n".join("    " + b for b in body.rstrip().splitlines()))


# The start-up probe: `loa run` itself, with timestamps (and RSS) taken at the end of each
# start-up step by wrapping the daemon's own functions, optionally under cProfile until the
# summary is printed. Nothing in the package is changed; only this child process is patched.
PROBE = r"""
import asyncio, re, sys, time
T0 = time.perf_counter()
PROFILE_TO = sys.argv[1] if len(sys.argv) > 1 else ""
def rss():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024
marks = [("interpreter up", 0.0, rss())]
def mark(label):
    marks.append((label, time.perf_counter() - T0, rss()))
prof = None
if PROFILE_TO:
    import cProfile
    prof = cProfile.Profile()
    prof.enable()
from scheduler.cli import commands as cli
from scheduler.engine import daemon
mark("imports (scheduler.cli.commands and all it pulls in)")
def wrap(owner, name, label, after=None):
    orig = getattr(owner, name)
    if asyncio.iscoroutinefunction(orig):
        async def w(*a, **k):
            r = await orig(*a, **k)
            mark(label)
            return r
    else:
        def w(*a, **k):
            r = orig(*a, **k)
            mark(label)
            if after:
                after()
            return r
    setattr(owner, name, w)
def done():
    if prof is not None:
        prof.disable()
        prof.dump_stats(PROFILE_TO)
    for label, at, mb in marks:
        print(f"probe\t{label}\t{at:.4f}\t{mb:.1f}", flush=True)
    print("probe end", flush=True)
wrap(cli, "_config", "config.toml read and checked")
wrap(daemon, "migrate", "schema check (alembic upgrade to head)")
wrap(daemon.Daemon, "open", "lock, engine, channels")
wrap(daemon.DispatchEngine, "recover", "recover in-flight deliveries")
wrap(daemon.CampaignWatcher, "load", "campaign files read and validated")
wrap(daemon, "sync", "protected ids + sync (nothing stale: no expansion)")
wrap(daemon.Daemon, "_summary", "summary: count + next 5 + print", after=done)
sys.argv = ["loa", "run"]
cli.main()
"""


def startup_breakdown(office: Path, work: Path) -> None:
    """Where loa's start-up time and memory go, next to the naive baseline's floor."""
    print("\nloa start-up breakdown (one `loa run` with timestamps at the end of each step):")
    child = Spawned([sys.executable, "-c", PROBE], office, office / "daemon-probe.err")
    try:
        child.wait_line("probe end", timeout=300)
        time.sleep(1.5)  # the SIGTERM handler is installed just after the summary line
        child.stop()
    finally:
        child.kill()
    previous = 0.0
    print(f"    {'step (ends at)':55} {'at':>7} {'step':>7} {'RSS':>8}")
    for line in child.output:
        if line.startswith("probe\t"):
            _, label, at, rss = line.split("\t")
            print(f"    {label:55} {float(at):6.3f}s {float(at) - previous:6.3f}s {rss:>5} MB")
            previous = float(at)
    print("    (times from interpreter start; spawning the interpreter itself comes before)")

    floor = (
        "import time, re; t = time.perf_counter(); {imports}; "
        "print(time.perf_counter() - t, re.search(r'VmRSS:\\s+(\\d+)', "
        "open('/proc/self/status').read()).group(1))"
    )
    for name, imports in (
        ("loa (scheduler.cli.commands)", "import scheduler.cli.commands"),
        ("naive (apscheduler + SQLAlchemyJobStore)",
         "import apscheduler.schedulers.asyncio, apscheduler.jobstores.sqlalchemy"),
        ("sqlalchemy alone", "import sqlalchemy"),
        ("alembic (command, config)", "import alembic.command, alembic.config"),
    ):  # fmt: skip
        out = subprocess.run(
            [sys.executable, "-c", floor.format(imports=imports)], cwd=office,
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        print(f"  import cost, {name:42} {float(out[0]):.3f} s, RSS {int(out[1]) / 1024:.1f} MB")

    timing = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import scheduler.cli.commands"], cwd=office,
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    by_package: dict[str, float] = {}
    for line in timing.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line[len("import time:") :].split("|")
        root = name.strip().split(".")[0]
        by_package[root] = by_package.get(root, 0.0) + int(self_us) / 1e6
    ranked = sorted(by_package.items(), key=lambda kv: -kv[1])[:10]
    total = sum(by_package.values())
    print(f"  imports of scheduler.cli.commands by top-level package (self time, -X importtime, total "
          f"{total:.2f} s incl. its overhead):")  # fmt: skip
    print("    " + ", ".join(f"{name} {sec:.3f}" for name, sec in ranked))

    prof_out = work / "start.prof"
    child = Spawned([sys.executable, "-c", PROBE, str(prof_out)], office,
                    office / "daemon-probe2.err")  # fmt: skip
    try:
        child.wait_line("probe end", timeout=300)
        time.sleep(1.5)
        child.stop()
    finally:
        child.kill()
    stats = pstats.Stats(str(prof_out), stream=io.StringIO())
    for sort, top in (("tottime", 15),):
        buf = io.StringIO()
        stats.stream = buf  # type: ignore[attr-defined]
        stats.strip_dirs().sort_stats(sort).print_stats(top)
        body = buf.getvalue()
        body = body[body.find("   ncalls") :] if "   ncalls" in body else body
        print(f"\n  cProfile of the start-up until the summary (imports included), top {top} by "
              f"{sort}:")  # fmt: skip
        print("\n".join("    " + b for b in body.rstrip().splitlines()))


if __name__ == "__main__":
    main()
