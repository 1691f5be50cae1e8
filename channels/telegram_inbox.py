"""Telegram's inbound side: long polling with getUpdates, or a webhook with a secret token.

It shares the outlet's python-telegram-bot ``Bot`` (one HTTP pool, one token). Commands are
registered with setMyCommands in Vietnamese, and in English for users whose app is in English.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from telegram import Update as TelegramUpdate
from telegram.error import TelegramError

from channels.inbound import BotCommand, InboundMessage, Update, check_secret
from channels.telegram import TEXT_LIMIT, TelegramChannel, _mapped

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _update(update: TelegramUpdate) -> Update:
    """python-telegram-bot builds an update from whatever JSON it gets, leaving out what is
    missing: one that lacks what its kind must have is malformed, not a crash."""
    try:
        return _read(update)
    except (AttributeError, TypeError, ValueError):
        return Update(update.update_id, None, "malformed")


def _read(update: TelegramUpdate) -> Update:
    message = update.message
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status in ("kicked", "left"):
        # the user blocked the bot, or a group removed it: Telegram says so at once
        how = "blocked" if member.chat.type == "private" else member.new_chat_member.status
        reason = f"Telegram: the bot was {how} ({member.chat.type})"
        return Update(update.update_id, None, "my_chat_member", str(member.chat.id), reason)
    if message is not None and message.migrate_to_chat_id:
        # the group became a supergroup with a new id: its subscriptions move with it
        old, new = str(message.chat.id), str(message.migrate_to_chat_id)
        return Update(update.update_id, None, "migrated", old, moved_to=new)
    if message is None:
        kinds = ("edited_message", "channel_post", "edited_channel_post", "callback_query",
                 "my_chat_member", "chat_member", "inline_query")  # fmt: skip
        kind = next((k for k in kinds if getattr(update, k, None) is not None), "other")
        return Update(update.update_id, None, kind)
    if message.text is None or message.from_user is None:
        kind = next(
            (k for k in ("sticker", "photo", "document", "voice", "video", "location")
             if getattr(message, k, None)),
            "other",
        )  # fmt: skip
        return Update(update.update_id, None, kind)
    inbound = InboundMessage(
        chat=str(message.chat.id),
        user=str(message.from_user.id),
        text=message.text,
        language=message.from_user.language_code or "",
        is_group=message.chat.type != "private",
    )
    return Update(update.update_id, inbound)


class TelegramInbox:
    polls = True
    text_limit = TEXT_LIMIT

    def __init__(self, channel: TelegramChannel, secret: str = "") -> None:
        self.name = channel.name
        self.channel = channel
        self.secret = secret

    async def prepare(self, commands: Sequence[BotCommand]) -> str:
        bot = await self.channel._ready()
        try:
            await bot.set_my_commands([(c.name, c.description_vi) for c in commands])
            await bot.set_my_commands(
                [(c.name, c.description_en) for c in commands], language_code="en"
            )
            me = await bot.get_me()
        except TelegramError as exc:
            raise _mapped(exc, self.channel.token_env) from None
        return me.username or ""

    async def poll(self, offset: int | None, timeout: float) -> list[Update]:
        bot = await self.channel._ready()
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=int(timeout), read_timeout=timeout + 10
            )
        except TelegramError as exc:
            raise _mapped(exc, self.channel.token_env) from None
        return [_update(u) for u in updates]

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        check_secret(headers, SECRET_HEADER, self.secret)

    def parse(self, payload: Any) -> list[Update]:
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return []
        try:
            update = TelegramUpdate.de_json(payload, self.channel.bot)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError):
            return [Update(payload["update_id"], None, "malformed")]
        return [_update(update)] if update is not None else []

    async def set_webhook(self, url: str) -> None:
        bot = await self.channel._ready()
        try:
            await bot.set_webhook(url, secret_token=self.secret)
        except TelegramError as exc:
            raise _mapped(exc, self.channel.token_env) from None

    async def delete_webhook(self) -> None:
        bot = await self.channel._ready()
        try:
            await bot.delete_webhook()
        except TelegramError as exc:
            raise _mapped(exc, self.channel.token_env) from None
