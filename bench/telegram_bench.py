"""Telegram benchmark: sustained send throughput to the fake Telegram Bot API with limits off,
and the lateness of messages due at the same second to 100 chats with limits on.

Run from the repository root (about 40 s on 2 idle cores; --quick about 20 s):

    .venv/bin/python bench/telegram_bench.py            # 3,000 messages to 50 chats
    .venv/bin/python bench/telegram_bench.py --quick    # 500 messages to 50 chats
    .venv/bin/python bench/telegram_bench.py --profile  # also cProfile the in-process run

Everything goes through the real path: campaign files, ``scheduler.sync.sync`` into SQLite,
``DispatchEngine.run_due`` claiming from the outbox, ``TelegramChannel`` (python-telegram-bot's
``Bot``, HTML-escaped text) over HTTP on loopback to ``tests.fakes.telegram.FakeTelegram``, which
parses and checks every request as Telegram would. The token is the fake's DEFAULT_TOKEN in
``LOA_TG_TOKEN``.

What is measured
----------------
1. Throughput, limits off on both sides: the fake with ``RateLimits.off()``, loa with
   ``[channels.tg.limits] enabled = false``. N messages (one campaign of N/50 messages, each
   sent to all 50 private chats, all due at the same instant) are sent two ways:
   (a) in-process: the campaign file is synced (``scheduler.sync.sync``) into a template SQLite
       outbox; each repeat takes a fresh copy, builds the outlets as the daemon does
       (``scheduler.engine.outlets.build_outlets``: TelegramChannel and the shared RateLimiter) and a
       DispatchEngine (defaults and batch size as in the daemon, clock fixed 1 s after the due
       time), opens the bot (getMe) outside the timing, then times ``run_due()``:
       messages/s = N / wall time; median of 3. The fake runs in a process of its own (this
       script with --serve-fake), so the CPU time of this process is loa's alone: N / CPU
       seconds is also given (the rate loa could reach with a core to itself; the machine may
       be shared).
   (b) the real ``loa run`` process (tests.e2e.harness.Office; the fake in a thread of this
       process): it starts on a placeholder campaign, then the campaign file is written with
       the messages due ~3 s ahead (the daemon looks for edited files every second). Sustained
       rate = (N - 1) / (last - first ``received_at`` at the fake); also the lateness of the
       first and last message and the CPU seconds of the loa process and of the fake.
2. Lateness with limits on: loa's default Telegram limits (1/1s per chat, 20/60s per group,
   30/1s overall) and the fake with its default limits (the same windows, enforced exactly,
   50 ms grace). 100 messages due at the same whole second to 100 different private chats
   through the real ``loa run``; lateness = fake ``received_at`` - due: p50/p90/p99/max
   (nearest rank), arrivals per second after due, and how many sends the fake refused with 429.
   loa paces the channel to 30 messages/s overall, so 100 messages due together go out in
   four waves one window (1 s plus the limiter's slack) apart: the last tenth goes ~3-3.5 s
   late *by design* (100/30 = 3.3 s); the expected figure is printed next to the measured one.
Checks: the fake accepted exactly N, in order per chat (strictly rising, so no repeats), the
outbox all ``sent``, no refusals with limits off. --profile (or an in-process rate under 250 messages per CPU second) adds a
cProfile of one more run_due (the event loop thread only; the SQLite work in worker threads is
not in it; cProfile slows the run several times over). Package code is never changed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import importlib.util
import io
import json
import os
import platform
import pstats
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere; the venv install is editable

import httpx  # noqa: E402

from tests.e2e.harness import Office, wait_for  # noqa: E402
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, RateLimits  # noqa: E402

TOKEN_ENV = "LOA_TG_TOKEN"
TICKS = os.sysconf("SC_CLK_TCK")
TEXT = "Tin {i}: hưởng ứng Tháng hành động vì môi trường <Chống rác thải nhựa> & sống xanh 🌱"
PROFILE_BELOW = 250.0  # in-process messages per CPU second, limits off: below, profile
CHATS = 50
LATENESS_CHATS = 100
REPEATS = 3


# -- helpers -------------------------------------------------------------------------------------


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of a process."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def sqlite_copy(src: Path, dst: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(dst) + suffix).unlink()
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    b.close()
    a.close()


def states(db: Path, campaign: str) -> dict[str, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute(
            "select state, count(*) from delivery where campaign = ? group by state", (campaign,)
        ).fetchall()
    return dict(rows)


def tg_config(url: str, chats: dict[str, int], limits_on: bool) -> str:
    """The Telegram channel for config.toml (appended to the harness's base config)."""
    return (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{url}"\ntoken_env = "{TOKEN_ENV}"\n'
        "[channels.tg.targets]\n"
        + "".join(f'{alias} = "{chat}"\n' for alias, chat in chats.items())
        + ("" if limits_on else "[channels.tg.limits]\nenabled = false\n")
    )


def burst_campaign(cid: str, due: dt.datetime, aliases: list[str], per_chat: int) -> str:
    """``per_chat`` messages, all due at ``due``, each to every one of ``aliases``."""
    channels = ", ".join(f'"tg:{a}"' for a in aliases)
    lines = [f'id = "{cid}"', 'title = "Tháng hành động vì môi trường"', 'grace = "1h"']
    for i in range(per_chat):
        lines += [
            "",
            "[[message]]",
            f'id = "tin-{i:04d}"',
            f"at = {iso(due)}",
            f'text = "{TEXT.format(i=i)}"',
            f"channels = [{channels}]",
        ]
    return "\n".join(lines) + "\n"


def placeholder_campaign(alias: str) -> str:
    """Something to sync at start-up (the harness waits for a synced campaign); due tomorrow."""
    due = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return (
        'id = "cho"\ntitle = "Chờ"\n\n[[message]]\nid = "mai"\n'
        f'at = {iso(due)}\ntext = "Hẹn mai"\nchannels = ["tg:{alias}"]\n'
    )


def in_order(received: list[tuple[int, str]]) -> bool:
    """Per chat, the messages arrived in their order ("Tin 0: ...", "Tin 1: ...", ...)."""
    last: dict[int, int] = {}
    for chat, text in received:
        number = int(text.split(":", 1)[0].split()[1])
        if number <= last.get(chat, -1):
            return False
        last[chat] = number
    return True


def warnings_in(log: str) -> list[str]:
    return [line for line in log.splitlines() if re.search(r"\s(warning|error)\s", line)]


# -- the fake ------------------------------------------------------------------------------------


def thread_fake(limits: RateLimits, chats: int) -> tuple[FakeTelegram, dict[str, int]]:
    fake = FakeTelegram(limits=limits).start_in_thread()
    return fake, {f"c{k:03d}": fake.add_private_chat(first_name=f"Lan {k}") for k in range(chats)}


class FakeProcess:
    """FakeTelegram in a process of its own (this script with --serve-fake), so that loa does
    not share an interpreter and its GIL with the server; read back through /_fake/state."""

    def __init__(self, chats: int, limits_on: bool) -> None:
        argv = [sys.executable, __file__, "--serve-fake", str(chats)]
        self.process = subprocess.Popen(
            argv + ([] if limits_on else ["--fake-no-limits"]), stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        hello = json.loads(self.process.stdout.readline())
        self.url: str = hello["url"]
        self.chats: dict[str, int] = hello["chats"]
        self.pid = self.process.pid

    def state(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/_fake/state", timeout=30).json())

    def counts(self) -> tuple[int, int]:
        state = self.state()
        return len(state["accepted"]), len(state["refused"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def serve_fake(chats: int, limits_on: bool) -> None:
    fake = FakeTelegram(limits=RateLimits() if limits_on else RateLimits.off())
    ids = {f"c{k:03d}": fake.add_private_chat(first_name=f"Lan {k}") for k in range(chats)}

    async def run() -> None:
        await fake.start(handle_signals=True)
        print(json.dumps({"url": fake.url, "chats": ids}), flush=True)
        await fake.serve_until_stopped()

    asyncio.run(run())


# -- 1a: in-process ------------------------------------------------------------------------------


def build_template(office: Office, n_chats: int, per_chat: int) -> tuple[Path, dt.datetime]:
    """The campaign synced into a SQLite outbox (the template each repeat copies)."""
    from scheduler.campaign_set import load_campaigns
    from scheduler.config import load_config
    from scheduler.store.db import migrate, open_engine
    from scheduler.sync import sync

    now = dt.datetime.now(dt.UTC)
    due = now + dt.timedelta(minutes=5)  # in the future, or sync would not insert it
    aliases = [f"c{k:03d}" for k in range(n_chats)]
    office.campaign("thong-luong", burst_campaign("thong-luong", due, aliases, per_chat))
    config = load_config(office.root / "config.toml")
    office.db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = open_engine(config.database_url)
    migrate(engine)
    loaded = load_campaigns(config)
    if loaded.problems:
        raise SystemExit(f"campaign problems: {loaded.problems[:3]}")
    report = sync(engine, loaded.campaigns, config.catalog(), now, config.horizon)
    engine.dispose()
    if report.inserted != n_chats * per_chat:
        raise SystemExit(f"sync inserted {report.inserted}, wanted {n_chats * per_chat}")
    return office.db_path, due


def in_process_once(
    office: Office, template: Path, due: dt.datetime, fake: FakeProcess, n: int, tag: str,
    profile: cProfile.Profile | None = None,
) -> dict[str, float]:  # fmt: skip
    """One ``run_due`` over a fresh copy of the template: seconds, messages/s, CPU seconds."""
    from scheduler.config import load_config
    from scheduler.engine.dispatch import DispatchEngine
    from scheduler.engine.outlets import build_outlets
    from scheduler.store.db import open_engine

    run_db = template.with_name(f"run-{tag}.db")
    sqlite_copy(template, run_db)
    config = load_config(office.root / "config.toml")
    db = open_engine(f"sqlite:///{run_db}")
    channels, limiter = build_outlets(config, db)
    clock_at = due + dt.timedelta(seconds=1)
    engine = DispatchEngine(
        db, channels, config.addresses(), f"bench:{tag}", clock=lambda: clock_at,
        batch_size=config.data.daemon.batch_size, limiter=limiter,
    )  # fmt: skip
    accepted0, refused0 = fake.counts()

    async def go() -> tuple[float, float, Any]:
        with db.connect():  # the pool's first connection, outside the timing
            pass
        tg: Any = channels["tg"]  # a TelegramChannel
        await tg.check()  # the bot's HTTP pool and getMe, outside the timing
        cpu0 = time.process_time()
        if profile is not None:
            profile.enable()
        began = time.perf_counter()
        report = await engine.run_due()
        elapsed = time.perf_counter() - began
        if profile is not None:
            profile.disable()
        cpu = time.process_time() - cpu0
        for channel in channels.values():
            await channel.close()
        return elapsed, cpu, report

    try:
        elapsed, cpu, report = asyncio.run(go())
    finally:
        db.dispose()
    got = states(run_db, "thong-luong")
    accepted1, refused1 = fake.counts()
    accepted, refused = accepted1 - accepted0, refused1 - refused0
    if report.sent != n or got != {"sent": n} or accepted != n or refused:
        raise SystemExit(
            f"in-process run {tag}: sent {report.sent} ({report}), states {got}, "
            f"fake accepted {accepted}, refused {refused}"
        )
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(run_db) + suffix).unlink()
    return {"seconds": elapsed, "rate": n / elapsed, "cpu": cpu}


# -- the real loa run ----------------------------------------------------------------------------


def daemon_burst(
    office: Office, fake: FakeTelegram, aliases: list[str], per_chat: int, campaign: str,
    lead: float, whole_second: bool, timeout: float,
) -> dict[str, Any]:  # fmt: skip
    """Start ``loa run`` on a placeholder campaign, then write ``campaign`` with every message
    due ``lead`` seconds ahead; wait until the fake has them all and the outbox has settled."""
    n = len(aliases) * per_chat
    office.campaign("cho", placeholder_campaign(aliases[0]))
    began = time.perf_counter()
    process = office.start()
    office.started(process)
    start_s = time.perf_counter() - began
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lead)
    if whole_second:
        due = due.replace(microsecond=0) + dt.timedelta(seconds=1)
    accepted0, refused0 = len(fake.accepted), len(fake.refused)
    office.campaign(campaign, burst_campaign(campaign, due, aliases, per_chat))
    wait_for(lambda: sum(states(office.db_path, campaign).values()) >= n, lead + 10, "the sync")
    synced_at = dt.datetime.now(dt.UTC)
    if synced_at >= due:
        raise SystemExit(f"the daemon synced {campaign} only after its due time; raise the lead")
    # CPU from just before due to the last message at the fake
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds() - 0.3))
    cpu_loa0, cpu_fake0 = cpu_seconds(process.pid), time.process_time()
    wait_for(lambda: len(fake.accepted) - accepted0 >= n, timeout, f"{n} messages at the fake")
    cpu_loa, cpu_fake = cpu_seconds(process.pid) - cpu_loa0, time.process_time() - cpu_fake0
    wait_for(lambda: set(states(office.db_path, campaign)) == {"sent"}, 20, "the outbox to settle")
    final = states(office.db_path, campaign)
    code, _, err = office.stop(process)
    return {
        "n": n, "due": due, "start_s": start_s, "lead_left": (due - synced_at).total_seconds(),
        "accepted": fake.accepted[accepted0:], "refused": fake.refused[refused0:],
        "states": final, "exit": code, "cpu_loa": cpu_loa, "cpu_fake": cpu_fake,
        "warnings": warnings_in(err),
    }  # fmt: skip


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 messages instead of 3,000")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--serve-fake", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fake-no-limits", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        serve_fake(args.serve_fake, not args.fake_no_limits)
        return
    os.environ[TOKEN_ENV] = DEFAULT_TOKEN
    per_chat = 10 if args.quick else 60

    import httpcore
    import telegram

    wall = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="loa-telegram-bench-"))
    print(f"loa Telegram benchmark{' (--quick)' if args.quick else ''}")
    sniffio = "installed" if importlib.util.find_spec("sniffio") else "absent"
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, Python "
        f"{platform.python_version()}, python-telegram-bot {telegram.__version__}, httpx "
        f"{httpx.__version__}, httpcore {httpcore.__version__} (sniffio {sniffio}), SQLite "
        f"{sqlite3.sqlite_version}; work dir {work}"
    )
    summary: list[tuple[str, str, str]] = []
    try:
        run_all(args, work, per_chat, summary)
    finally:
        if summary:
            width = max(len(r[0]) for r in summary)
            print("\nSummary")
            print(f"  {'measure':<{width}}  {'value':>12}  note")
            for name, value, note in summary:
                print(f"  {name:<{width}}  {value:>12}  {note}")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        print(
            f"\ntotal benchmark wall time: {time.perf_counter() - wall:.0f} s "
            f"(load now {os.getloadavg()[0]:.2f})"
        )


def run_all(
    args: argparse.Namespace, work: Path, per_chat: int, summary: list[tuple[str, str, str]]
) -> None:
    n = CHATS * per_chat
    # 1a. in-process ------------------------------------------------------------------------
    print(
        f"\n[1a] throughput in-process, limits off (fake RateLimits.off(), loa limits disabled): "
        f"{n:,} messages ({per_chat} x {CHATS} private chats) due at once; "
        f"DispatchEngine.run_due -> TelegramChannel -> the fake (own process) on loopback"
    )
    fake = FakeProcess(CHATS, limits_on=False)
    try:
        office = Office(work / "inproc", extra_config=tg_config(fake.url, fake.chats, False))
        began = time.perf_counter()
        template, due = build_template(office, CHATS, per_chat)
        print(f"  campaign synced into the template outbox in {time.perf_counter() - began:.2f} s")
        fake_cpu0 = cpu_seconds(fake.pid)
        results = [in_process_once(office, template, due, fake, n, str(r)) for r in range(REPEATS)]
        fake_cpu = cpu_seconds(fake.pid) - fake_cpu0
        state = fake.state()
        received = [(m["chat_id"], m["plain_text"]) for m in state["accepted"][-n:]]
        rates = [r["rate"] for r in results]
        rate = statistics.median(rates)
        cpu_rate = statistics.median([n / r["cpu"] for r in results])
        cpu_per_k = statistics.median([r["cpu"] / n * 1000 for r in results])
        print(
            f"  {REPEATS} runs: "
            + ", ".join(f"{r['seconds']:.2f} s ({r['rate']:,.0f}/s)" for r in results)
        )
        print(f"    median {rate:,.0f} messages/s ({1e3 / rate:.2f} ms each)")
        print(
            f"    CPU of loa (this process, all threads): {cpu_per_k:.2f} s per 1,000 messages "
            f"-> {cpu_rate:,.0f} messages/s if CPU-bound on one core; the fake: "
            f"{fake_cpu / (REPEATS * n) * 1000:.2f} s per 1,000"
        )
        print(
            f"    each run: all {n:,} sent, 0 refused, outbox all 'sent'; order per chat kept "
            f"(last run): {in_order(received)}"
        )
        summary.append(("1a in-process run_due, limits off", f"{rate:,.0f} msg/s",
                        f"median of {REPEATS}, wall clock, {n:,} msgs"))  # fmt: skip
        summary.append(("1a  ... loa CPU-bound rate", f"{cpu_rate:,.0f} msg/s",
                        f"N / CPU s ({cpu_per_k:.2f} ms CPU per message)"))  # fmt: skip
        if args.profile or cpu_rate < PROFILE_BELOW:  # CPU, not wall: the machine may be shared
            profile = cProfile.Profile()
            began = time.perf_counter()
            in_process_once(office, template, due, fake, n, "profile", profile)
            print_profile(
                profile, f"one run_due under cProfile ({time.perf_counter() - began:.1f} s)"
            )
    finally:
        fake.stop()

    # 1b. the real loa run --------------------------------------------------------------------
    print(
        f"\n[1b] throughput through the real `loa run` process, limits off: the same {n:,} "
        f"messages, due ~3 s after the campaign file is written (the fake in a thread here)"
    )
    tfake, chats = thread_fake(RateLimits.off(), CHATS)
    try:
        office = Office(work / "daemon", extra_config=tg_config(tfake.url, chats, False))
        try:
            got = daemon_burst(
                office, tfake, list(chats), per_chat, "thong-luong", lead=3.0, whole_second=False,
                timeout=120,
            )  # fmt: skip
        finally:
            office.close()
    finally:
        tfake.stop_in_thread()
    accepted = got["accepted"]
    arrivals = sorted(m.received_at for m in accepted)
    span = (arrivals[-1] - arrivals[0]).total_seconds()
    sustained = (len(arrivals) - 1) / span
    first_late = (arrivals[0] - got["due"]).total_seconds()
    last_late = (arrivals[-1] - got["due"]).total_seconds()
    print(
        f"  loa run started in {got['start_s']:.2f} s; the campaign was synced "
        f"{got['lead_left']:.2f} s before due"
    )
    print(
        f"  {len(accepted):,} accepted, {len(got['refused'])} refused; first {first_late:.3f} s "
        f"after due, last {last_late:.3f} s after due"
    )
    print(
        f"  sustained: {len(arrivals) - 1:,} intervals over {span:.2f} s (first -> last "
        f"received_at) = {sustained:,.0f} messages/s"
    )
    print(
        f"  CPU over the burst: loa run {got['cpu_loa']:.2f} s "
        f"({got['cpu_loa'] / len(accepted) * 1000:.2f} s per 1,000), the fake (this process) "
        f"{got['cpu_fake']:.2f} s ({got['cpu_fake'] / len(accepted) * 1000:.2f} s per 1,000)"
    )
    received = [(m.chat_id, m.plain_text or "") for m in accepted]
    print(
        f"  outbox {got['states']}; order per chat kept: {in_order(received)}; exit code "
        f"{got['exit']}; warnings/errors in the daemon's log: {len(got['warnings'])}"
    )
    for line in got["warnings"][:5]:
        print(f"    {line}")
    summary.append(("1b loa run, limits off, sustained", f"{sustained:,.0f} msg/s",
                    f"(N-1) / first->last received_at, {n:,} msgs"))  # fmt: skip
    summary.append(("1b  ... last message after due", f"{last_late:.2f} s", ""))
    if got["refused"]:
        summary.append(("1b  ... refused by the fake", f"{len(got['refused'])}", "should be 0"))

    # 2. lateness with limits on --------------------------------------------------------------
    print(
        f"\n[2] lateness with limits on (loa's Telegram defaults 1/1s per chat, 20/60s per group, "
        f"30/1s overall; the fake's defaults): {LATENESS_CHATS} messages due at the same whole "
        f"second to {LATENESS_CHATS} private chats, through the real `loa run`"
    )
    tfake, chats = thread_fake(RateLimits(), LATENESS_CHATS)
    try:
        office = Office(work / "lateness", extra_config=tg_config(tfake.url, chats, True))
        try:
            got = daemon_burst(
                office, tfake, list(chats), 1, "cung-giay", lead=3.0, whole_second=True, timeout=60
            )
        finally:
            office.close()
    finally:
        tfake.stop_in_thread()
    late = [(m.received_at - got["due"]).total_seconds() for m in got["accepted"]]
    limited = [r for r in got["refused"] if r.status == 429]
    p50, p90, p99 = (percentile(late, p) for p in (50, 90, 99))
    print(f"  due {got['due']:%H:%M:%S} UTC; synced {got['lead_left']:.2f} s before due")
    print(
        f"  {len(late)} accepted by the fake; lateness min {min(late):.3f} s, p50 {p50:.3f} s, "
        f"p90 {p90:.3f} s, p99 {p99:.3f} s, max {max(late):.3f} s"
    )
    buckets: dict[int, int] = defaultdict(int)
    for x in late:
        buckets[int(x // 1)] += 1
    print(
        "  arrivals per second after due: "
        + ", ".join(f"[{s}, {s + 1}) s: {buckets[s]}" for s in sorted(buckets))
    )
    print(
        f"  refused by the fake with 429: {len(limited)} (other refusals: "
        f"{len(got['refused']) - len(limited)}); outbox {got['states']}; exit code {got['exit']}; "
        f"warnings/errors in the daemon's log: {len(got['warnings'])}"
    )
    for line in got["warnings"][:5]:
        print(f"    {line}")
    # what the limiter should give: waves of 30, one overall window (plus its slack) apart
    from channels.limits import DEFAULTS, RateLimiter

    overall = DEFAULTS["telegram"].overall
    assert overall is not None
    slack = float(getattr(RateLimiter(), "slack", 0.0))
    spacing = overall.seconds + slack
    waves = -(-LATENESS_CHATS // overall.count)
    expected = (waves - 1) * spacing
    sizes = [min(overall.count, LATENESS_CHATS - w * overall.count) for w in range(waves)]
    print(
        f"  by design: loa paces the channel to {overall.count} messages per "
        f"{overall.seconds:g} s overall (its windows widened by {slack * 1000:.0f} ms of slack), so "
        f"{LATENESS_CHATS} messages due at once go out in {waves} waves {spacing:.2f} s apart "
        f"({', '.join(map(str, sizes))}): the last ones are due to be ~{expected:.2f} s late "
        f"(sending {LATENESS_CHATS} at {overall.count}/s takes "
        f"{LATENESS_CHATS / overall.count * overall.seconds:.1f} s). A p99 there is the limit "
        f"at work, not a backlog"
    )
    summary.append(("2 limits on, lateness p50", f"{p50:.3f} s",
                    f"{LATENESS_CHATS} chats, due the same second"))  # fmt: skip
    summary.append(("2 limits on, lateness p99", f"{p99:.3f} s",
                    f"by design ~{expected:.2f} s: 30 msg/s overall"))  # fmt: skip
    summary.append(("2 limits on, lateness max", f"{max(late):.3f} s", ""))
    summary.append(("2 limits on, 429 from the fake", f"{len(limited)}", "should be ~0"))


# -- profile -------------------------------------------------------------------------------------

GROUPS = [  # (label, substring of the code's file name), first match wins
    ("failed imports (importlib)", "<frozen importlib"),
    ("httpcore (connection pool, HTTP/1.1)", "/httpcore/"),
    ("anyio", "/anyio/"),
    ("httpx", "/httpx/"),
    ("h11", "/h11/"),
    ("python-telegram-bot", "/telegram/"),
    ("asyncio", "/asyncio/"),
    ("sqlalchemy", "/sqlalchemy/"),
    ("loa", str(ROOT)),
]
HOT_SPOTS = [  # (file name suffix, function, what it is)
    (
        "httpcore/_synchronization.py",
        "current_async_library",
        "`import sniffio` retried (and failing) on every lock/event/shield set-up",
    ),
    (
        "httpcore/_async/connection_pool.py",
        "_assign_requests_to_connections",
        "pool bookkeeping, O(connections^2 + connections x queued) on every request start/end",
    ),
    (
        "httpcore/_async/http11.py",
        "has_expired",
        "a poll() and getpeername() on every idle connection, each pass",
    ),
    ("telegram/_message.py", "de_json", "building the Message object of each answer"),
    ("httpx/_client.py", "build_request", "building each request"),
]


def print_profile(profile: cProfile.Profile, what: str, limit: int = 18) -> None:
    stats = pstats.Stats(profile)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    groups: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in raw.items():
        label = next((g for g, s in GROUPS if s in filename), "other (builtins, sockets, ...)")
        groups[label] += tottime
    print(f"\n  profile of {what}; own time by package ({total:.2f} s in all):")
    for label, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"    {seconds:7.2f} s  {seconds / total:5.1%}  {label}")
    print("  known hot spots, cumulative (overlapping; cProfile inflates many small calls):")
    for suffix, name, why in HOT_SPOTS:
        found = [(v[1], v[3]) for k, v in raw.items() if k[0].endswith(suffix) and k[2] == name]
        if found:
            calls, cum = sum(c for c, _ in found), sum(t for _, t in found)
            print(f"    {cum:7.2f} s  {cum / total:5.1%}  {calls:>9,} calls  {name}: {why}")
    for key, title in (("tottime", "by own time"), ("cumulative", "cumulative")):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(key).print_stats(limit)
        print(f"\n  top {limit} {title}:")
        lines = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        for line in lines[start:]:
            if line.strip():
                print("    " + line.replace(str(ROOT / ".venv/lib/python3.11/site-packages/"), ""))


if __name__ == "__main__":
    main()
