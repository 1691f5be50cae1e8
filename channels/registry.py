"""Building the configured outlets from config.toml settings."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from campaigns.i18n import t
from channels.base import Channel
from channels.console import ConsoleChannel
from channels.file import FileChannel
from channels.inbound import Inbox
from channels.limits import RateLimiter


class ChannelSettingsLike(Protocol):
    type: str
    path: str | None
    base_url: str | None
    token_env: str | None
    oauth_url: str | None
    app_id: str | None
    secret_env: str | None


Moved = Callable[[str, str, str], None]
"""Told (channel, old id, new id) when a send finds that a chat has a new id."""

TokenNotice = Callable[[str, str, str], None]
"""Told (channel, event, detail) when a Zalo OA token is refused, near its end, or renewed
(``channels.zalo_oa.TOKEN_*``): what the admins must hear, without channels/ knowing how."""


def migrated_fact(name: str) -> str:
    """The memory entry where a Telegram channel keeps its groups' new ids (old id → new id),
    read back by sync so that an alias of the old id and a subscription of the new are one
    chat."""
    return f"telegram-migrated:{name}"


class UnsupportedChannel(Exception):
    """A channel type that this version of loa cannot send through yet."""


class Memory(Protocol):
    """Small facts a channel keeps between runs (a Telegram group's new id after an upgrade)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...


def build_channel(
    name: str,
    settings: ChannelSettingsLike,
    root: Path,
    memory: Memory | None = None,
    environ: Mapping[str, str] = os.environ,
    limiter: RateLimiter | None = None,
    on_moved: Moved | None = None,
    tz: dt.tzinfo | None = None,
    on_token: TokenNotice | None = None,
) -> Channel:
    """One outlet; ``tz`` is the office's zone, for outlets that show times."""
    if settings.type == "console":
        return ConsoleChannel(name, tz=tz)
    if settings.type == "file":
        assert settings.path is not None  # config validation requires it
        return FileChannel(name, root / settings.path)
    if settings.type == "telegram":
        from channels.telegram import TelegramChannel

        env = settings.token_env or ""
        fact = migrated_fact(name)
        migrated = json.loads((memory.get(fact) if memory else None) or "{}")
        on_migrate: Callable[[str, str], None] | None = None
        if memory is not None:

            def on_migrate(old: str, new: str) -> None:
                migrated[old] = new
                memory.set(fact, json.dumps(migrated))
                if on_moved is not None:
                    on_moved(name, old, new)

        return TelegramChannel(
            name, environ.get(env), env, settings.base_url, migrated, on_migrate, limiter=limiter
        )
    if settings.type == "zalo_bot":
        from channels.zalo_bot import ZaloBotChannel

        env = settings.token_env or ""
        return ZaloBotChannel(name, environ.get(env), env, settings.base_url, limiter=limiter)
    if settings.type == "zalo_oa" and memory is not None:
        import httpx

        from channels.zalo_oa import DEFAULT_OAUTH_URL, TokenKeeper, ZaloOAChannel

        client = httpx.AsyncClient(timeout=10.0)
        token_env, secret_env = settings.token_env or "", settings.secret_env or ""
        keeper = TokenKeeper(
            name, memory, settings.oauth_url or DEFAULT_OAUTH_URL, settings.app_id or "",
            environ.get(secret_env), environ.get(token_env), client, (token_env, secret_env),
            on_token=on_token,
        )  # fmt: skip
        return ZaloOAChannel(name, keeper, client, settings.base_url, limiter=limiter)
    raise UnsupportedChannel(t("channel_unsupported", name=name, type=settings.type))


def build_channels(
    settings: Mapping[str, ChannelSettingsLike],
    root: Path,
    memory: Memory | None = None,
    limiter: RateLimiter | None = None,
    on_moved: Moved | None = None,
    tz: dt.tzinfo | None = None,
    on_token: TokenNotice | None = None,
) -> dict[str, Channel]:
    return {
        name: build_channel(
            name, s, root, memory, limiter=limiter, on_moved=on_moved, tz=tz, on_token=on_token
        )
        for name, s in settings.items()
    }


def build_inbox(name: str, kind: str, channel: Channel, secret: str, app_id: str = "") -> Inbox:
    """The inbound side of an outlet whose bot answers commands; ``secret`` proves webhooks."""
    if kind == "telegram":
        from channels.telegram import TelegramChannel
        from channels.telegram_inbox import TelegramInbox

        assert isinstance(channel, TelegramChannel)
        return TelegramInbox(channel, secret)
    if kind == "zalo_bot":
        from channels.zalo_bot import ZaloBotChannel
        from channels.zalo_bot_inbox import ZaloBotInbox

        assert isinstance(channel, ZaloBotChannel)
        return ZaloBotInbox(channel, secret)
    if kind == "zalo_oa":
        from channels.zalo_oa_inbox import ZaloOAInbox

        return ZaloOAInbox(name, app_id, secret)
    raise UnsupportedChannel(t("bot_channel_type", type=kind))
