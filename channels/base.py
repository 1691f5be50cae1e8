"""The one small interface every outlet implements.

A channel gets a rendered message for one target and either returns a ``Receipt`` or raises
one of ``channels.errors``. It knows nothing of the outbox, retries or schedules: the engine
owns those, so every outlet gets the same guarantees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutboundMessage:
    key: str
    campaign: str
    item: str
    channel: str
    target: str  # the alias from the campaign file ("" for the channel itself)
    address: str  # the platform id the alias stands for
    text: str
    due: dt.datetime
    image: str = ""  # an https URL or a file path; outlets that show images send it with the text
    # provider ids of the parts an earlier try sent (by any daemon): this try goes on after them
    parts_sent: tuple[str, ...] = ()


@dataclass(frozen=True)
class Receipt:
    sent_at: dt.datetime
    provider_message_id: str | None = None


# sends one outlet has with its platform at once: plenty for the platforms' rates (Telegram's
# 30 a second at a few hundred milliseconds a send), and what a crash may leave in doubt
PLATFORM_IN_FLIGHT = 12


class Channel(Protocol):
    name: str
    # True when ``find_sent`` knows everything the outlet received, so a key it does not find
    # was certainly not delivered (the file outlet); False when it can only confirm some.
    confirms_delivery: bool
    # how many sends the outlet hands to its platform at once; the engine holds no more of
    # them and claims about as many (scheduler.engine.dispatch.in_flight_bound). None: no
    # bound of its own (a local outlet, whose sends are done at once)
    in_flight: int | None

    async def send(self, message: OutboundMessage) -> Receipt:
        """Deliver one message or raise a ``channels.errors.ChannelError``."""
        ...

    async def find_sent(self, keys: Iterable[str]) -> dict[str, Receipt]:
        """Which of these keys the outlet has already received, where it can tell.

        Called on restart for deliveries caught in flight by a crash, so a message the
        platform already has is recorded as sent instead of being sent twice. Outlets that
        cannot tell return an empty dict.
        """
        ...

    def is_group(self, address: str) -> bool:
        """Whether the address is a group or channel (group rate limits) or one person."""
        ...

    async def close(self) -> None: ...


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
