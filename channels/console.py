"""The console outlet: prints each message, readable, for trying loa without any token.

The time it shows is the office's (config ``timezone``), not the host's: a server kept in UTC
would otherwise show 16:50 for a message due at 23:50 in Hà Nội. The text is shown as a reader
sees it, markup gone (``**đậm**`` reads ``đậm``), as Zalo gets it.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from typing import TextIO

from campaigns import markup
from campaigns.dates import format_datetime
from channels.base import OutboundMessage, Receipt, utcnow


class ConsoleChannel:
    confirms_delivery = False
    in_flight: int | None = None

    def __init__(
        self, name: str, stream: TextIO | None = None, tz: dt.tzinfo | None = None
    ) -> None:
        self.name = name
        self.stream = stream or sys.stdout
        self.tz = tz  # None: the host's zone

    async def send(self, message: OutboundMessage) -> Receipt:
        due = format_datetime(message.due.astimezone(self.tz))
        target = f" → {message.target}" if message.target else ""
        bar = "─" * 60
        text = markup.parse(message.text).plain()
        self.stream.write(f"{bar}\n[{self.name}{target}] {due} · {message.campaign}\n{text}\n")
        self.stream.flush()
        return Receipt(sent_at=utcnow())

    async def find_sent(self, keys: Iterable[str]) -> dict[str, Receipt]:
        return {}

    def is_group(self, address: str) -> bool:
        return False

    async def close(self) -> None:
        return None
