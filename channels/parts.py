"""Sending one delivery as several platform messages (a photo, then text parts), in order.

Shared by every network outlet: the first part is paced by the engine like any delivery, each
further part waits for its own slot in the rate limiter, and when a part fails the next try of
the same delivery goes on from that part instead of sending the earlier ones again: the parts
sent go with the error (``TransientError.parts_sent``) into the outbox, so the next try goes on
from them whichever daemon makes it (``OutboundMessage.parts_sent``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from channels.base import OutboundMessage, Receipt, utcnow
from channels.errors import TransientError
from channels.limits import RateLimiter

Part = TypeVar("Part")


class PartSender:
    def __init__(self, channel: str, limiter: RateLimiter | None) -> None:
        self.channel = channel
        self.limiter = limiter
        self._sent: dict[str, list[str]] = {}  # delivery key → provider ids of parts sent

    async def send(
        self,
        message: OutboundMessage,
        parts: Sequence[Part],
        send_one: Callable[[Part], Awaitable[str]],
        group: bool = False,
    ) -> Receipt:
        done = self._sent.setdefault(message.key, list(message.parts_sent))
        for index, part in enumerate(parts[len(done) :]):
            if (index or done) and self.limiter is not None:
                wait, _ = self.limiter.reserve(self.channel, message.target, group)
                await asyncio.sleep(wait)
            try:
                done.append(await send_one(part))
            except TransientError as exc:
                exc.parts_sent = tuple(done)  # stored with the retry: any daemon goes on from it
                raise
        self._sent.pop(message.key, None)
        return Receipt(sent_at=utcnow(), provider_message_id=",".join(done))
