"""Telegram outlet: the real python-telegram-bot ``Bot`` against the configured API root.

Texts go as HTML: the message's small markup (campaigns/markup.py) becomes ``<b>``, ``<i>`` and
``<a href>``, everything else is escaped; they are split into numbered parts under 4,096 UTF-16
units of visible text, each part rendered with its tags closed. Errors become loa's channel
errors the way Telegram means them: RetryAfter is a rate limit with a wait, a blocked bot or an
unknown chat is permanent, a group upgraded to a supergroup is followed to its new id (and the
new id remembered), network trouble is transient.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from campaigns import markup
from campaigns.i18n import t
from channels.base import PLATFORM_IN_FLIGHT, OutboundMessage, Receipt
from channels.errors import AuthError, PermanentError, RateLimited, RecipientGone, TransientError
from channels.limits import RateLimiter
from channels.parts import PartSender
from channels.split import head_range, numbered_ranges, utf16_length

# python-telegram-bot 22 warns while building RetryAfter unless told to use timedeltas
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

log = logging.getLogger("loa.telegram")

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
IMAGE = "\x00image"  # marks the photo among the parts to send
DEFAULT_BASE_URL = "https://api.telegram.org"


def _chat(address: str) -> int | str:
    return int(address) if address.lstrip("-").isdigit() else address


def _photo(image: str) -> str | bytes:
    """An https URL as is; a file's bytes (python-telegram-bot uploads them)."""
    if image.startswith("https://"):
        return image
    with open(image, "rb") as handle:
        return handle.read()


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _mapped(exc: Exception, token_env: str) -> Exception:
    """python-telegram-bot's errors as loa's: what the engine may do next."""
    if isinstance(exc, RetryAfter):
        return RateLimited(f"Telegram 429: {exc.message}", _seconds(exc.retry_after))
    if isinstance(exc, InvalidToken):
        # its message is always python-telegram-bot's English "The token … was rejected"
        return AuthError(t("telegram_token_rejected", env=token_env))
    if isinstance(exc, Forbidden):
        return RecipientGone(t("telegram_forbidden", reason=exc.message))
    if isinstance(exc, BadRequest):
        if "chat not found" in exc.message.lower():
            return RecipientGone(t("telegram_chat_not_found", reason=exc.message))
        return PermanentError(f"Telegram: {exc.message}")
    if isinstance(exc, TimedOut | NetworkError):
        # a timeout or a connection cut mid-answer: Telegram may have the message already; an
        # error status (python-telegram-bot reports 5xx as NetworkError too) means it does not
        text = exc.message.lower()
        never_sent = "pool timeout" in text  # no free connection: the request did not leave
        reached = not never_sent and (
            isinstance(exc, TimedOut)
            or any(word in text for word in ("disconnected", "remoteprotocolerror", "readerror"))
        )
        return TransientError(f"Telegram: {type(exc).__name__}: {exc.message}", None, reached)
    if isinstance(exc, TelegramError):
        return TransientError(f"Telegram: {exc.message}")
    return TransientError(f"Telegram: {type(exc).__name__}: {exc}")


def html_parts(text: str, image: bool = False) -> tuple[str, list[str]]:
    """The caption (with an image: as much text as a caption holds) and the text parts, as
    Telegram HTML; cut on the text a reader sees, as Telegram counts it."""
    marked = markup.parse(text)
    visible = marked.visible
    start, caption = 0, ""
    if image:
        first = len(visible) - len(visible.lstrip())
        end, start = head_range(visible.rstrip(), first, CAPTION_LIMIT, utf16_length)
        caption = marked.slice(first, end).html()
    parts = [
        label + marked.slice(a, b).html()
        for label, a, b in numbered_ranges(visible, TEXT_LIMIT, utf16_length, start)
        if b > a or not image
    ]
    return caption, [IMAGE, *parts] if image else parts


class TelegramChannel:
    confirms_delivery = False
    in_flight: int | None = PLATFORM_IN_FLIGHT

    def __init__(
        self,
        name: str,
        token: str | None,
        token_env: str,
        base_url: str | None = None,
        migrated: dict[str, str] | None = None,
        on_migrate: Callable[[str, str], None] | None = None,
        timeout: float = 10.0,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.name = name
        self._ready_lock = asyncio.Lock()
        # a few requests in flight are plenty for 30 msg/s; many make httpcore's pool slow
        self._in_flight = asyncio.Semaphore(PLATFORM_IN_FLIGHT)
        self.token_env = token_env
        self.migrated = dict(migrated or {})
        self.on_migrate = on_migrate
        self.parts = PartSender(name, limiter)
        self.bot: Bot | None = None
        if token:
            request = HTTPXRequest(
                connection_pool_size=64, read_timeout=timeout, write_timeout=timeout,
                connect_timeout=timeout, pool_timeout=timeout,
            )  # fmt: skip
            root = (base_url or DEFAULT_BASE_URL).rstrip("/")
            self.bot = Bot(token, base_url=f"{root}/bot", request=request)
        self._started = False

    def is_group(self, address: str) -> bool:
        return address.startswith("-") or address.startswith("@")

    async def _ready(self) -> Bot:
        if self.bot is None:
            raise AuthError(t("token_missing", env=self.token_env))
        async with self._ready_lock:
            if not self._started:
                try:
                    await self.bot.initialize()  # opens the HTTP pool and asks getMe once
                except Exception as exc:  # every failure is mapped like a send error
                    error = _mapped(exc, self.token_env)
                    if isinstance(error, TransientError):
                        error.maybe_delivered = False  # getMe failed: no message has left yet
                    raise error from None
                self._started = True
        return self.bot

    async def send(self, message: OutboundMessage) -> Receipt:
        bot = await self._ready()
        address = self.migrated.get(message.address, message.address)
        caption, parts = html_parts(message.text, bool(message.image))

        async def send_one(part: str) -> str:
            if part == IMAGE:
                return str(await self._send_part(bot, message, address, caption, message.image))
            return str(await self._send_part(bot, message, address, part))

        return await self.parts.send(message, parts, send_one, self.is_group(address))

    async def _send_part(
        self, bot: Bot, message: OutboundMessage, address: str, part: str, photo: str = ""
    ) -> int:
        """A group upgraded to a supergroup is sent to at its new id at once; the move is
        remembered (``on_migrate``, writes to the store) after that try, off the event loop."""
        moved = ""
        try:
            for _ in range(2):  # a second time only after following a migration
                try:
                    async with self._in_flight:
                        sent = await self._call(bot, address, part, photo)
                    return int(sent.message_id)
                except OSError as exc:  # the image file went missing since validation
                    raise PermanentError(f"{photo}: {exc.strerror}") from None
                except ChatMigrated as exc:
                    moved = address = self.migrated[message.address] = str(exc.new_chat_id)
                except TelegramError as exc:
                    raise _mapped(exc, self.token_env) from None
            raise PermanentError(t("telegram_migrated_twice", address=message.address))
        finally:
            if moved and self.on_migrate is not None:
                await self._remember(message.address, moved)

    async def _remember(self, old: str, new: str) -> None:
        assert self.on_migrate is not None
        try:
            await asyncio.to_thread(self.on_migrate, old, new)
        except Exception:  # the message went: this process follows the new id all the same
            log.exception("could not remember a new chat id", extra={"old": old, "new": new})

    async def _call(self, bot: Bot, address: str, text: str, photo: str) -> Any:
        if photo:
            return await bot.send_photo(
                _chat(address), _photo(photo), caption=text or None, parse_mode="HTML"
            )
        return await bot.send_message(_chat(address), text, parse_mode="HTML")

    async def find_sent(self, keys: Iterable[str]) -> dict[str, Receipt]:
        return {}

    async def check(self, addresses: Iterable[str] = ()) -> str:
        """The bot's @username once every target resolves, or a channel error saying which
        does not (``loa channels check``)."""
        bot = await self._ready()
        try:
            me = await bot.get_me()
        except TelegramError as exc:
            raise _mapped(exc, self.token_env) from None
        broken = []
        for address in addresses:
            try:
                await bot.get_chat(_chat(self.migrated.get(address, address)))
            except TelegramError as exc:
                broken.append(f"{address}: {exc.message}")
        if broken:
            raise PermanentError(t("targets_unresolved", names="; ".join(broken)))
        return f"@{me.username}"

    async def close(self) -> None:
        if self.bot is not None:
            await self.bot.shutdown()
