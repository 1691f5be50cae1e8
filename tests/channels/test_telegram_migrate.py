"""A Telegram group upgraded to a supergroup, against the local fake Telegram server: the
message goes to the new id at once, and the move is remembered after it, off the event loop
(remembering it writes to the store, which may wait for SQLite's write lock; it held the
message, and every other send of the daemon, meanwhile)."""

from __future__ import annotations

import datetime as dt
import threading

from channels.base import OutboundMessage
from channels.telegram import TelegramChannel
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram


async def test_the_message_goes_to_the_new_id_before_the_move_is_remembered() -> None:
    due = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    loop_thread = threading.get_ident()
    async with FakeTelegram() as fake:
        group = fake.add_group()
        supergroup = fake.migrate(group)
        moves: list[tuple[str, str, bool, list[str]]] = []

        def remember(old: str, new: str) -> None:
            already = [m.text or "" for m in fake.messages_to(supergroup)]
            moves.append((old, new, threading.get_ident() != loop_thread, already))

        channel = TelegramChannel(
            "tg", DEFAULT_TOKEN, "LOA_TG_TOKEN", fake.url, on_migrate=remember
        )
        message = OutboundMessage("c:m:once@x", "c", "m", "tg", "x", str(group), "Thử", due)
        await channel.send(message)
        await channel.send(message)  # the next one goes straight to the new id
        await channel.close()
    assert moves == [(str(group), str(supergroup), True, ["Thử"])]
    assert [m.text for m in fake.messages_to(supergroup)] == ["Thử", "Thử"]
    assert len(fake.refused) == 1
