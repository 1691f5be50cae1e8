"""Scale-out benchmark: 1, 2 and 3 ``loa run`` processes on one PostgreSQL database, side by
side in one run, sending through python-telegram-bot to the local fake Telegram server, which
answers every send after 20 ms.

Run from the repository root (about 2-4 minutes):

    .venv/bin/python bench/cluster_bench.py
    .venv/bin/python bench/cluster_bench.py --deliveries 3000 --chats 300 --runs 1

What is measured
----------------
A throwaway PostgreSQL server is started as the tests start theirs (tests/conftest.py's
``PostgresServer``), with a template database migrated once; each run gets a fresh copy. The
fake Telegram server runs in this process with its flood limits off (loa's too: this measures
the claim/send/record path, not the platform's 30/s) and ``--delay`` seconds before each
answer. ``--platform quick`` (the default) answers from ``QuickBotApi`` instead: the Bot API's
getMe and sendMessage only, in processes of its own sharing one port (SO_REUSEPORT). The strict
fake parses, checks and records every message and serves about a hundred sends a second on a
loaded machine, so it, not loa, would be measured. For each run, ``--deliveries`` deliveries (a campaign of messages, each to every one of
``--chats`` chats) are stored parked an hour ahead while the daemons start, then moved to one
second ahead. Deliveries/s is the count divided by the span between the first and the last
``sent_at``. Each daemon count is measured ``--runs`` times and the median is printed, with the
ratio of each to one daemon. Issue 13's floor: 3 daemons at least 2x one daemon.

By default each chat gets one message (a broadcast to 3,000 subscribers). Several messages to
a chat due at the same moment go one after the other (one send in flight per chat, on every
daemon), and a daemon holds only as many claims as its Telegram outlet has sends in flight
(12).

Each run prints the daemons' CPU seconds and the cores that the daemons, PostgreSQL and the
whole machine kept busy from the first send to the last. At 20 ms a send, one daemon keeps
about one core busy (python-telegram-bot, httpx and the store take about 2.5 ms of CPU a
delivery, PostgreSQL's share included); on a machine of 2 cores, three daemons can then at
best double it, and they find the machine nearly full (1.8-1.9 cores). With a slower
platform (``--delay 0.5``) a daemon waits rather than computes, and three send three times as
much.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import TEMPLATE, PostgresServer
from tests.e2e.harness import Office, wait_for
from tests.e2e.test_cluster import UNFINISHED, to_every_chat
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, RateLimits


class QuickBotApi:
    """The two Bot API methods loa's Telegram channel calls here (getMe once, sendMessage),
    answered after ``delay`` seconds, over HTTP/1.1 keep-alive, by ``workers`` processes
    listening on one port."""

    def __init__(self, delay: float, workers: int = 2) -> None:
        self.delay = delay
        self.port = _free_port()
        self.workers = [
            multiprocessing.Process(target=_serve, args=(self.port, delay), daemon=True)
            for _ in range(workers)
        ]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @contextlib.contextmanager
    def running(self) -> Iterator[QuickBotApi]:
        for worker in self.workers:
            worker.start()
        try:
            wait_for(self._up, 20, "the quick Bot API to listen")
            yield self
        finally:
            for worker in self.workers:
                worker.kill()

    def _up(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            return True
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(port: int, delay: float) -> None:
    """The quick Bot API's worker: a bare asyncio protocol (no task per request), so that the
    platform's own CPU, which shares the machine's cores with the daemons, stays small."""
    ids = itertools.count(1)
    loop = asyncio.new_event_loop()

    chat_id = re.compile(rb'chat_id"?\s*[:=]\s*"?(-?\d+)')
    me = b'{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"loa","username":"loa_bot"}}'
    sent = b'{"ok":true,"result":{"message_id":%d,"date":%d,"chat":{"id":%s,"type":"private","first_name":"x"}}}'

    def answer(head: bytes, body: bytes) -> bytes:
        """``head`` lower-cased: the request line and headers. The answer is filled in, not
        encoded: the chat id from the JSON or form body, a new message id, the time."""
        if head.split(b"\r\n", 1)[0].split()[1].endswith(b"/getme"):
            out = me
        else:
            found = chat_id.search(body)
            out = sent % (next(ids), int(time.time()), found.group(1) if found else b"0")
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(out), out))  # fmt: skip

    class Client(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
                head = self.buffer[:end].lower()
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name == b"content-length":
                        length = int(value)
                if len(self.buffer) < end + 4 + length:
                    return  # the body is still coming
                body = self.buffer[end + 4 : end + 4 + length]
                self.buffer = self.buffer[end + 4 + length :]
                loop.call_later(delay, self._write, answer(head, body))

        def _write(self, out: bytes) -> None:
            if not self.transport.is_closing():
                self.transport.write(out)

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    server = loop.run_until_complete(loop.create_server(Client, sock=sock, backlog=1024))
    loop.run_until_complete(server.serve_forever())


SENT_ONE = "select 1 from delivery where state = 'sent' limit 1"


def one_run(
    server: PostgresServer, platform: str, chats: dict[str, int], root: Path, daemons: int,
    deliveries: int,
) -> float:  # fmt: skip
    office = Office(root, store_url=server.url(server.create_database(TEMPLATE)))
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{platform}"\ntoken_env = "LOA_TG_TOKEN"\n'
        "[channels.tg.limits]\nenabled = false\n[channels.tg.targets]\n"
        + "".join(f'{alias} = "{chat}"\n' for alias, chat in chats.items())
    )
    office.write_config(daemon="reload_seconds = 1\n")
    make = to_every_chat(deliveries // len(chats))
    try:
        parked = office.park({"loa": make})
        processes = [office.start() for _ in range(daemons)]
        for process in processes:
            office.started(process, timeout=120)
        office.move({"loa": make}, parked, 1)
        # seldom: each look is a new PostgreSQL connection, on the cores the daemons use
        wait_for(lambda: office.query(SENT_ONE), 30, "the first delivery sent", 0.05)
        before = Cores.now(server, processes)
        wait_for(lambda: office.query(UNFINISHED)[0][0] == 0, 600, "every delivery done", 0.25)
        busy = Cores.now(server, processes) - before
        (sent, span), *_ = office.query(
            "select count(*), extract(epoch from max(sent_at) - min(sent_at)) from delivery "
            "where state = 'sent'"
        )
        cpu = sum(cpu_seconds(p.pid) for p in processes)
        for process in processes:
            office.stop(process, timeout=30)
    finally:
        office.close()
    print(f"    ({daemons} daemon(s): {span:.2f} s from the first send to the last, "
          f"{cpu:.1f} s of CPU in the daemons since their start; cores busy while they sent: "
          f"{busy})")  # fmt: skip
    return float(sent) / max(float(span), 1e-3)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cores:
    """CPU seconds so far of the daemons, of PostgreSQL (the postmaster and its backends) and
    of the whole machine (/proc/stat), and the wall clock: their difference over a run says
    how many cores each kept busy, and whether the machine had any left."""

    wall: float
    daemons: float
    postgres: float
    machine: float

    @staticmethod
    def now(server: PostgresServer, daemons: list[subprocess.Popen[str]]) -> Cores:
        postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
        backends = [postmaster]
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):
                if entry.name.isdigit() and _parent(int(entry.name)) == postmaster:
                    backends.append(int(entry.name))
        ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = ticks[3] + ticks[4]  # idle and iowait
        return Cores(
            time.monotonic(), sum(_cpu_or_0(p.pid) for p in daemons),
            sum(_cpu_or_0(pid) for pid in backends),
            (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"),
        )  # fmt: skip

    def __sub__(self, other: Cores) -> Cores:
        return Cores(self.wall - other.wall, self.daemons - other.daemons,
                     self.postgres - other.postgres, self.machine - other.machine)  # fmt: skip

    def __str__(self) -> str:
        wall = max(self.wall, 1e-3)
        return (f"daemons {self.daemons / wall:.2f}, PostgreSQL {self.postgres / wall:.2f}, "
                f"the machine {self.machine / wall:.2f} of {os.cpu_count()}")  # fmt: skip


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _cpu_or_0(pid: int) -> float:
    """``cpu_seconds``, or 0 for a process gone meanwhile (a PostgreSQL backend)."""
    try:
        return cpu_seconds(pid)
    except (OSError, IndexError):
        return 0.0


@contextlib.contextmanager
def platform(args: argparse.Namespace) -> Iterator[tuple[str, dict[str, int]]]:
    """The Bot API the daemons send to: its URL, and a chat id for each target alias."""
    if args.platform == "quick":
        with QuickBotApi(args.delay).running() as quick:
            yield quick.url, {f"chat-{i:03d}": 1001 + i for i in range(args.chats)}
        return
    with FakeTelegram(limits=RateLimits.off()) as fake:
        fake.delay = args.delay
        yield fake.url, {f"chat-{i:03d}": fake.add_private_chat() for i in range(args.chats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=3_000)
    parser.add_argument("--chats", type=int, default=3_000, help="one message to each by default")
    parser.add_argument("--runs", type=int, default=3, help="runs per daemon count (median)")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds the fake answers after")
    parser.add_argument("--platform", choices=["quick", "fake"], default="quick")
    args = parser.parse_args()

    os.environ["LOA_TG_TOKEN"] = DEFAULT_TOKEN
    began = time.monotonic()
    server = PostgresServer("bench")
    server.start()
    try:
        server.migrate_template()
        rates: dict[int, list[float]] = {1: [], 2: [], 3: []}
        with platform(args) as (url, chats), tempfile.TemporaryDirectory() as tmp:
            for run in range(args.runs):  # interleaved: a slower stretch of the machine hits all
                for daemons in rates:
                    root = Path(tmp) / f"run-{run}-{daemons}"
                    rate = one_run(server, url, chats, root, daemons, args.deliveries)
                    rates[daemons].append(rate)
                    print(f"  run {run + 1}, {daemons} daemon(s): {rate:,.0f} deliveries/s")
    finally:
        server.stop()

    medians = {n: statistics.median(r) for n, r in rates.items()}
    print(
        f"\ncluster bench: {args.deliveries:,} deliveries to {args.chats} chats, {args.platform} "
        f"Telegram answering after {args.delay * 1000:.0f} ms, median of {args.runs} run(s)"
    )
    for n, rate in medians.items():
        print(f"  {n} daemon(s): {rate:8,.0f} deliveries/s  ({rate / medians[1]:.2f}x one daemon)")
    ratio = medians[3] / medians[1]
    verdict = "meets" if ratio >= 2 else "BELOW"
    print(f"  3 vs 1: {ratio:.2f}x ({verdict} the floor of 2x); {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
