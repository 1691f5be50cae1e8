"""The inbound side of an outlet: messages people write to loa's bots, platform-neutral.

Each platform's inbox turns its updates (polled or pushed to a webhook) into ``Update``s and
checks that a webhook request really comes from the platform. What to answer is decided
elsewhere (``scheduler.bot``); replies go out through the same outlet as any message.

    WebhookRefused          a webhook request that is not from the platform
    ├── 401 bad or missing secret token or signature
    └── 403 a stale or replayed timestamp
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class InboundMessage:
    chat: str  # where to answer
    user: str  # who wrote
    text: str
    language: str = ""  # the user's app language, when the platform says
    is_group: bool = False


@dataclass(frozen=True)
class Update:
    id: int | None  # the platform's update number (Telegram's offset); None where there is none
    message: InboundMessage | None  # None: a kind loa does not answer (sticker, photo, edit)
    kind: str = "message"
    chat: str = ""  # for a kind loa does not answer: the chat it came from, where known
    # the bot was blocked in (or removed from) ``chat``: why, in the platform's words
    left: str = ""
    # the platform's message id where updates have no number: a retried webhook delivers the
    # same message again, and it must be answered once
    key: str = ""
    moved_to: str = ""  # ``chat`` became this chat (a Telegram group upgraded to a supergroup)


@dataclass(frozen=True)
class BotCommand:
    name: str
    description_vi: str
    description_en: str


class WebhookRefused(Exception):
    """A webhook request that does not prove it comes from the platform."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_secret(headers: Mapping[str, str], header: str, secret: str) -> None:
    """A webhook that proves itself with a shared secret in a header (Telegram, Zalo Bot)."""
    given = headers.get(header.lower(), "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        raise WebhookRefused(401, f"bad or missing {header}")


class Inbox(Protocol):
    name: str
    text_limit: int  # the longest reply one message may carry, in UTF-16 units
    polls: bool  # False: the platform only pushes (a webhook)

    async def prepare(self, commands: Sequence[BotCommand]) -> str:
        """Register the command list where the platform has one; the bot's username or ""."""
        ...

    async def poll(self, offset: int | None, timeout: float) -> list[Update]:
        """Updates after ``offset``, waiting up to ``timeout`` seconds for the first."""
        ...

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        """Raise ``WebhookRefused`` unless the request proves it comes from the platform."""
        ...

    def parse(self, payload: Any) -> list[Update]:
        """The updates in a webhook request's JSON body."""
        ...

    async def set_webhook(self, url: str) -> None: ...

    async def delete_webhook(self) -> None: ...
