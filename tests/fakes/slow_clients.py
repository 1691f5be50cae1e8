"""Slow clients and a prober, to hold an HTTP server under a slowloris while measuring it.

``SlowClients`` keeps ``count`` sockets open to a server, each sending a request line and then
one more header line every ``interval`` seconds, never finishing its headers (the probe of
issue 12 held 1,000 such sockets, a line every 5 s). Like the slowloris tool, every
``interval`` it also opens new sockets in place of those the server closed, so the pressure
stays at ``count``; ``eager`` replaces them at once instead (a flood of new connections).

``probe`` times complete requests made meanwhile, each on a fresh connection (as a monitor and
a calendar client make them), and ``rss_mb`` reads a process's resident memory from /proc.
Used by tests/e2e/test_slow_clients.py and bench/slow_clients_bench.py.
"""

from __future__ import annotations

import contextlib
import resource
import selectors
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx


def raise_open_files(needed: int) -> None:
    """Lift this process's soft limit on open files (children inherit it) to ``needed``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        top = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for {pid}")


@dataclass
class SlowClients:
    host: str
    port: int
    count: int = 1000
    interval: float = 5.0
    eager: bool = False
    opened: int = 0  # connections made, first ones and re-opened ones
    closed_by_server: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _connect(self) -> socket.socket | None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=2)
            sock.sendall(b"GET /feeds/all.ics HTTP/1.1\r\nHost: loa\r\n")
        except OSError:
            return None
        sock.setblocking(False)
        self.opened += 1
        return sock

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        sockets: dict[socket.socket, float] = {}  # socket → when it next sends a line
        refill = 0.0  # when the closed ones are next replaced
        try:
            while not self._stop.is_set():
                if time.monotonic() >= refill:
                    refill = time.monotonic() + (0 if self.eager else self.interval)
                    while len(sockets) < self.count and not self._stop.is_set():
                        sock = self._connect()
                        if sock is None:
                            break
                        sockets[sock] = time.monotonic() + self.interval
                        selector.register(sock, selectors.EVENT_READ)
                for key, _ in selector.select(timeout=0.2):  # readable: closed (or an answer)
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    try:
                        gone = not sock.recv(4096)
                    except BlockingIOError:
                        gone = False
                    except OSError:
                        gone = True
                    if gone:
                        self.closed_by_server += 1
                        selector.unregister(sock)
                        sock.close()
                        del sockets[sock]
                now = time.monotonic()
                for sock, due in list(sockets.items()):
                    if due <= now:
                        with contextlib.suppress(OSError):
                            sock.send(b"X-Slow: 1\r\n")
                        sockets[sock] = now + self.interval
        finally:
            for sock in sockets:
                sock.close()
            selector.close()

    @contextlib.contextmanager
    def held(self) -> Iterator[SlowClients]:
        """Hold the sockets while the block runs (all are open when it starts)."""
        thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while self.opened < self.count and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(timeout=10)


@dataclass
class Probes:
    latencies: list[float] = field(default_factory=list)  # seconds, of the answers that came
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.latencies) + len(self.failures)

    def within(self, limit: float) -> float:
        """The share of probes answered 200 within ``limit`` seconds."""
        return sum(1 for s in self.latencies if s <= limit) / self.total if self.total else 0.0

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


def probe(url: str, probes: Probes, timeout: float = 1.0) -> None:
    """One GET on a new connection; a 200 counts by its time, anything else as a failure."""
    began = time.monotonic()
    try:
        answer = httpx.get(url, timeout=timeout, headers={"Accept-Encoding": "gzip"})
    except httpx.HTTPError as exc:
        probes.failures.append(f"{url}: {type(exc).__name__}")
        return
    took = time.monotonic() - began
    if answer.status_code == 200:
        probes.latencies.append(took)
    else:
        probes.failures.append(f"{url}: {answer.status_code}")
