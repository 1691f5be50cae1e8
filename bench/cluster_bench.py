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
daemon), and a claim takes at most 128 rows whichever chats they are for: 10 messages to each
of 300 chats can leave a claim with about 13 chats, and the run measures that, not the daemons.

Each run prints the daemons' CPU seconds: a daemon that uses about as much CPU as the span
lasts is bound by the CPU (python-telegram-bot, httpx and the store take about 2.5 ms a
delivery), and more daemons then go faster only on a machine with idle cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

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

    def answer(head: bytes, body: bytes) -> bytes:
        """``head`` lower-cased: the request line and headers."""
        if head.split(b"\r\n", 1)[0].split()[1].endswith(b"/getme"):
            result: dict[str, object] = {"id": 1, "is_bot": True, "first_name": "loa",
                                         "username": "loa_bot"}  # fmt: skip
        else:
            if b"json" in head:
                params = json.loads(body or b"{}")
            else:
                params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            result = {"message_id": next(ids), "date": int(time.time()),
                      "chat": {"id": int(str(params.get("chat_id", 0))), "type": "private",
                               "first_name": "x"}}  # fmt: skip
        out = json.dumps({"ok": True, "result": result}).encode()
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
        wait_for(lambda: office.query(UNFINISHED)[0][0] == 0, 600, "every delivery done", 0.5)
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
          f"{cpu:.1f} s of CPU in the daemons since their start)")  # fmt: skip
    return float(sent) / max(float(span), 1e-3)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
