"""The daemon's HTTP socket: ready for connections as soon as its URL is announced, a port
already taken is a clear error, and slow clients are timed out and bounded."""

from __future__ import annotations

import asyncio
import socket

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from scheduler.errors import PortInUse
from scheduler.http.server import HttpServer


def test_a_client_can_connect_before_the_server_task_runs() -> None:
    server = HttpServer(Starlette(), "127.0.0.1", 0)
    try:
        # the daemon prints server.url before serve() first runs: a connection then must queue,
        # not be refused
        with socket.create_connection(("127.0.0.1", server.port), timeout=5):
            pass
    finally:
        server.sock.close()


def test_a_port_in_use_is_named() -> None:
    first = HttpServer(Starlette(), "127.0.0.1", 0)
    try:
        with pytest.raises(PortInUse, match=str(first.port)):
            HttpServer(Starlette(), "127.0.0.1", first.port)
    finally:
        first.sock.close()


async def _served(server: HttpServer) -> asyncio.Task[None]:
    task = asyncio.create_task(server.serve())
    while not server.server.started:
        await asyncio.sleep(0.01)
    return task


async def _closed_by_server(reader: asyncio.StreamReader, timeout: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), timeout) == b""
    except (TimeoutError, ConnectionError):
        return False


async def _healthz(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: loa\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return answer.split(b"\r\n", 1)[0]


def _app() -> Starlette:
    return Starlette(routes=[Route("/healthz", lambda request: PlainTextResponse("ok"))])


async def test_headers_that_do_not_complete_in_time_close_the_connection() -> None:
    server = HttpServer(_app(), "127.0.0.1", 0, header_timeout=0.3)
    task = await _served(server)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: loa\r\n")  # never the blank line
        idle_reader, _idle = await asyncio.open_connection(
            "127.0.0.1", server.port
        )  # sends nothing
        assert await _closed_by_server(reader, 3) and await _closed_by_server(idle_reader, 3)
        assert await _healthz(server.port) == b"HTTP/1.1 200 OK"
    finally:
        server.stop()
        await task


async def test_past_the_bound_the_oldest_unfinished_close_and_a_quick_request_is_served() -> None:
    server = HttpServer(_app(), "127.0.0.1", 0, header_timeout=30, max_unfinished_per_client=4)
    server.unfinished.grace = 0.2
    task = await _served(server)
    try:
        slow, writers = [], []  # a writer collected closes its connection: keep them
        for _ in range(10):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"GET /healthz HTTP/1.1\r\n")
            slow.append(reader)
            writers.append(writer)
        # within the grace a burst is let in: a bound closes only connections older than that
        assert not any(await asyncio.gather(*(_closed_by_server(r, 0.05) for r in slow)))
        await asyncio.sleep(0.3)  # the grace itself is what is tested
        assert await _healthz(server.port) == b"HTTP/1.1 200 OK"
        closed = await asyncio.gather(*(_closed_by_server(r, 1) for r in slow))
        assert closed == [True] * 7 + [False] * 3  # the oldest seven: 4 = 3 slow + the quick one
    finally:
        server.stop()
        await task


async def test_answers_leave_at_once_without_waiting_for_the_clients_ack() -> None:
    """An answer goes out in two writes (its headers, then its body). With Nagle's algorithm
    on, the body waits for the client to acknowledge the headers, which a client delays by
    40 ms: every feed and /healthz took 44 ms and a server did ~1,000 requests/s whatever its
    speed. Accepted sockets must have TCP_NODELAY (asyncio sets it only on sockets made with
    IPPROTO_TCP, which the daemon's socket was not)."""
    server = HttpServer(_app(), "127.0.0.1", 0)
    task = await _served(server)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        request = b"GET /healthz HTTP/1.1\r\nHost: loa\r\n\r\n"
        began = asyncio.get_running_loop().time()
        for _ in range(20):  # one kept-alive connection, one request after the other
            writer.write(request)
            await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(2)  # "ok"
        took = asyncio.get_running_loop().time() - began
        assert took < 0.6, f"20 requests took {took:.2f} s: answers wait for the client's ACK"
        (connection,) = server.server.server_state.connections
        accepted = connection.transport.get_extra_info("socket")
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
    finally:
        server.stop()
        await task
