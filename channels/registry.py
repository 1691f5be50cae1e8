"""Building the configured outlets from config.toml settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from campaigns.i18n import t
from channels.base import Channel
from channels.console import ConsoleChannel
from channels.file import FileChannel


class ChannelSettingsLike(Protocol):
    type: str
    path: str | None


class UnsupportedChannel(Exception):
    """A channel type that this version of loa cannot send through yet."""


def build_channel(name: str, settings: ChannelSettingsLike, root: Path) -> Channel:
    if settings.type == "console":
        return ConsoleChannel(name)
    if settings.type == "file":
        assert settings.path is not None  # config validation requires it
        return FileChannel(name, root / settings.path)
    raise UnsupportedChannel(t("channel_unsupported", name=name, type=settings.type))


def build_channels(settings: Mapping[str, ChannelSettingsLike], root: Path) -> dict[str, Channel]:
    return {name: build_channel(name, s, root) for name, s in settings.items()}
