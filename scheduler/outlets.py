"""The configured channels and their shared rate limiter, built the same way for the daemon
and for the CLI commands that send or check (``loa send``, ``loa channels check``)."""

from __future__ import annotations

from sqlalchemy import Engine

from channels.base import Channel
from channels.limits import RateLimiter
from channels.registry import build_channels
from scheduler import outbox
from scheduler.config import Config


def build_outlets(config: Config, db: Engine) -> tuple[dict[str, Channel], RateLimiter]:
    limiter = RateLimiter()
    for name in config.data.channels:
        limits = config.limits(name)
        if limits is not None:
            limiter.configure(name, limits)
    channels = build_channels(config.data.channels, config.root, outbox.Memory(db), limiter)
    return channels, limiter
