"""Running the HTTP surface inside the daemon's event loop.

The socket is bound before anything else starts, so a port in use is a clear start-up error,
not a surprise later. Signals stay with the daemon: uvicorn's own handlers would swallow the
SIGTERM that must stop the scheduler too.

Slow clients. uvicorn times nothing out before a request's headers are complete, and its
``limit_concurrency`` answers 503 to everyone once that many connections are open, so 1,000
sockets sending a header line every 5 s made every /healthz probe answer 503. Here a connection
that has not sent a whole request (just opened, headers still coming, or idle between two
requests) is *unfinished*:

- its headers must be complete within ``header_timeout`` seconds of their first byte (of the
  connection, for the first request), else it is closed;
- at most ``per_client`` unfinished connections from one address, and ``total`` in all: past
  either bound, the *oldest* unfinished ones are closed, never the new one, and only once they
  have been unfinished for ``GRACE`` seconds. A client that sends its request at once (a
  monitor, a calendar app) is never that old, so it is served even from the address a
  slowloris uses, such as an office's shared NAT address or loopback; refusing new connections
  instead would lock exactly those clients out.

Connections busy with a request are left alone: a slow *reader* of a feed is bounded by the
sliced responses (scheduler.http.app.SlicedResponse) and by ``limit_concurrency``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import OrderedDict
from collections.abc import Generator
from typing import Any, ClassVar

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from scheduler.errors import PortInUse

BUSY_LIMIT = 1000  # requests being answered at once; more get uvicorn's 503
GRACE = 1.0  # seconds a new connection has to send its request before a bound may close it


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the daemon owns SIGINT/SIGTERM


class UnfinishedConnections:
    """The connections that have not sent a whole request yet, oldest first."""

    def __init__(self, per_client: int, total: int, header_timeout: float) -> None:
        self.per_client = per_client
        self.total = total
        self.header_timeout = header_timeout
        self.grace = GRACE
        # connection → when it became unfinished (loop time), oldest first
        self.all: OrderedDict[_GuardedH11, float] = OrderedDict()
        self.by_client: dict[str, OrderedDict[_GuardedH11, float]] = {}

    def add(self, conn: _GuardedH11, now: float) -> None:
        if conn in self.all:
            return
        self.all[conn] = now
        mine = self.by_client.setdefault(conn.address, OrderedDict())
        mine[conn] = now
        self._trim(mine, self.per_client, now)
        self._trim(self.all, self.total, now)

    def _trim(self, queue: OrderedDict[_GuardedH11, float], bound: int, now: float) -> None:
        while len(queue) > bound:
            oldest, since = next(iter(queue.items()))
            if now - since < self.grace:
                return  # a burst of new ones: the header timeout or a later add ends them
            self.close(oldest)

    def discard(self, conn: _GuardedH11) -> None:
        if conn not in self.all:
            return
        del self.all[conn]
        mine = self.by_client.get(conn.address)
        if mine is not None:
            mine.pop(conn, None)
            if not mine:
                del self.by_client[conn.address]

    def close(self, conn: _GuardedH11) -> None:
        self.discard(conn)
        conn.transport.close()


class _GuardedH11(H11Protocol):
    """uvicorn's h11 protocol, with its unfinished connections bounded and timed out."""

    unfinished: ClassVar[UnfinishedConnections]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.address = ""
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.address = self.client[0] if self.client else ""
        self._start_deadline()
        self.unfinished.add(self, self.loop.time())

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self.conn.their_state is h11.IDLE:
            self._start_deadline()  # the first bytes of the next request on a kept-alive one
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            self._finished()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.unfinished.add(self, self.loop.time())  # kept alive, awaiting a request

    def connection_lost(self, exc: Exception | None) -> None:
        self._finished()
        super().connection_lost(exc)

    def _start_deadline(self) -> None:
        self._deadline = self.loop.call_later(self.unfinished.header_timeout, self._too_slow)

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.unfinished.close(self)

    def _finished(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.unfinished.discard(self)


class HttpServer:
    def __init__(
        self,
        app: ASGIApp,
        host: str,
        port: int,
        header_timeout: float = 5.0,
        max_unfinished_per_client: int = 64,
        max_unfinished: int = 512,
    ) -> None:
        self.host = host
        # IPPROTO_TCP named: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets
        # that say so, and with it on every answer in two writes waited 40 ms for the client's
        # delayed ACK (/healthz and every feed took 44 ms, ~1,000 requests/s at most)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            raise PortInUse(host, port, exc.strerror or str(exc)) from None
        self.port = self.sock.getsockname()[1]
        # listen at once: the daemon says "http listening" and prints the feed URL before the
        # server task first runs, and a bound socket not yet listening refuses a connection
        # where a listening one queues it until uvicorn accepts
        self.sock.listen(2048)
        self.unfinished = UnfinishedConnections(
            max_unfinished_per_client, max_unfinished, header_timeout
        )
        protocol = type("GuardedH11", (_GuardedH11,), {"unfinished": self.unfinished})
        config = uvicorn.Config(
            app, http=protocol, log_level="warning", access_log=False, lifespan="off",
            timeout_keep_alive=30, h11_max_incomplete_event_size=16 * 1024,
            # uvicorn counts every open connection here; the unfinished ones are bounded above
            limit_concurrency=BUSY_LIMIT + max_unfinished,
        )  # fmt: skip
        self.server = _QuietServer(config)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def serve(self) -> None:
        await self.server.serve(sockets=[self.sock])

    def stop(self) -> None:
        self.server.should_exit = True
