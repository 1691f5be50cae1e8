"""The Zalo Bot platform's inbound side: getUpdates polling, or a webhook with a secret token.

Zalo's getUpdates has no offset: each call takes one update off the platform's queue, and an
empty wait ends in error 408, which means "nothing new", not a failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from channels.errors import TransientError
from channels.inbound import BotCommand, InboundMessage, Update, check_secret
from channels.zalo_bot import TEXT_LIMIT, ZaloBotChannel

SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_EVENT = "message.text.received"


def parse_update(update: Any) -> Update:
    if not isinstance(update, dict):
        return Update(None, None, "malformed")
    event = str(update.get("event_name", ""))
    message = update.get("message")
    if event != TEXT_EVENT or not isinstance(message, dict):
        return Update(None, None, event or "other")
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    text = message.get("text")
    if not isinstance(text, str) or not isinstance(chat, dict) or "id" not in chat:
        return Update(None, None, "malformed")
    if isinstance(sender, dict) and sender.get("is_bot"):
        return Update(None, None, "from_bot")
    user = sender.get("id", chat["id"]) if isinstance(sender, dict) else chat["id"]
    inbound = InboundMessage(
        chat=str(chat["id"]),
        user=str(user),
        text=text,
        is_group=str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE",
    )
    return Update(None, inbound, key=str(message.get("message_id") or ""))


class ZaloBotInbox:
    polls = True
    text_limit = TEXT_LIMIT

    def __init__(self, channel: ZaloBotChannel, secret: str = "") -> None:
        self.name = channel.name
        self.channel = channel
        self.secret = secret

    async def prepare(self, commands: Sequence[BotCommand]) -> str:
        await self.channel.call("getMe", {})  # the token works; Zalo has no command menu
        return ""

    async def poll(self, offset: int | None, timeout: float) -> list[Update]:
        try:
            result = await self.channel.call("getUpdates", {"timeout": int(timeout)}, timeout)
        except TransientError as exc:
            if exc.reason.startswith("Zalo Bot 408"):
                return []  # the wait ended with nothing new
            raise
        if isinstance(result, list):
            return [parse_update(u) for u in result]
        return [parse_update(result)] if result else []

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        check_secret(headers, SECRET_HEADER, self.secret)

    def parse(self, payload: Any) -> list[Update]:
        if isinstance(payload, dict) and "result" in payload:
            payload = payload["result"]
        return [parse_update(payload)]

    async def set_webhook(self, url: str) -> None:
        await self.channel.call("setWebhook", {"url": url, "secret_token": self.secret})

    async def delete_webhook(self) -> None:
        await self.channel.call("deleteWebhook", {})
