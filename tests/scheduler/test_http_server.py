"""The daemon's HTTP socket: ready for connections as soon as its URL is announced, and a port
already taken is a clear error."""

from __future__ import annotations

import socket

import pytest
from starlette.applications import Starlette

from scheduler.errors import PortInUse
from scheduler.http_server import HttpServer


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
