"""A large feed leaves the daemon in slices that each wait for the client, with its length
announced up front; the slices add up to the feed, byte for byte."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.http.app import SLICE, SlicedResponse


async def sent(response: SlicedResponse) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        messages.append(message)

    async def receive() -> Any:
        raise AssertionError("a response reads nothing")

    await response({"type": "http", "method": "GET"}, receive, send)
    return messages


@pytest.mark.parametrize("size", [0, 1, SLICE - 1, SLICE, SLICE + 1, 3 * SLICE + 17])
async def test_slices_add_up_to_the_body_and_its_length_is_announced(size: int) -> None:
    body = bytes(i % 251 for i in range(size))
    start, *parts = await sent(SlicedResponse(body, media_type="text/calendar"))
    assert start["type"] == "http.response.start" and start["status"] == 200
    assert (b"content-length", str(size).encode()) in start["headers"]
    assert b"".join(p["body"] for p in parts) == body
    assert all(len(p["body"]) <= SLICE for p in parts)
    assert [p.get("more_body", False) for p in parts] == [True] * (len(parts) - 1) + [False]
    assert len(parts) == max(1, -(-size // SLICE))
