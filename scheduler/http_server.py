"""Running the HTTP surface inside the daemon's event loop.

The socket is bound before anything else starts, so a port in use is a clear start-up error,
not a surprise later. Signals stay with the daemon: uvicorn's own handlers would swallow the
SIGTERM that must stop the scheduler too.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Generator

import uvicorn
from starlette.types import ASGIApp

from scheduler.errors import PortInUse


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the daemon owns SIGINT/SIGTERM


class HttpServer:
    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self.host = host
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
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
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30,
            limit_concurrency=1000, h11_max_incomplete_event_size=16 * 1024,
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
