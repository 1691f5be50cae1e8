"""The /hooks route itself: a body too large to be an update is refused before anything reads
it whole, and one nested past what a JSON parser takes is a 400, not a crash."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine

from channels.inbound import Update
from scheduler.http.app import MAX_WEBHOOK_BODY, HttpState, create_app
from tests.bot.test_runner import Inbox


class Target:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.handled: list[Update] = []

    async def handle(self, update: Update) -> None:
        self.handled.append(update)


def client(db: Engine, target: Any) -> httpx.AsyncClient:
    state = HttpState(db=db, hooks=lambda name: target if name == "tg" else None)
    transport = httpx.ASGITransport(app=create_app(state))
    return httpx.AsyncClient(transport=transport, base_url="http://loa")


async def test_webhook_bodies_too_large_or_too_deep_are_refused(db: Engine) -> None:
    target = Target()
    async with client(db, target) as http:
        huge = b"{" + b" " * MAX_WEBHOOK_BODY + b"}"
        assert (await http.post("/hooks/tg", content=huge)).status_code == 413
        assert (await http.post("/hooks/tg", content=b"[" * 100_000)).status_code == 400
        assert (await http.post("/hooks/tg", content=b"not json")).status_code == 400
        assert (await http.post("/hooks/other", content=b"{}")).status_code == 404
        assert (await http.post("/hooks/tg", json={"update_id": 1})).status_code == 200
    assert target.handled == []  # the scripted inbox parses nothing
