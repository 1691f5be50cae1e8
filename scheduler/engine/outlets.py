"""The configured channels and their shared rate limiter, built the same way for the daemon
and for the CLI commands that send or check (``loa send``, ``loa channels check``)."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from channels.base import Channel, utcnow
from channels.limits import RateLimiter
from channels.registry import Moved, TokenNotice, build_channels
from channels.zalo_oa import TOKEN_EXPIRING, TOKEN_REFUSED, TOKEN_RENEWED
from scheduler import alerts, subscriptions
from scheduler.config import Config
from scheduler.store import meta

log = logging.getLogger("loa.outlets")


def build_outlets(config: Config, db: Engine) -> tuple[dict[str, Channel], RateLimiter]:
    limiter = RateLimiter()
    for name in config.data.channels:
        limits = config.limits(name)
        if limits is not None:
            limiter.configure(name, limits)
    channels = build_channels(
        config.data.channels, config.root, meta.Memory(db), limiter, _follow_moves(db), config.tz,
        _token_incidents(db),
    )  # fmt: skip
    return channels, limiter


def _token_incidents(db: Engine) -> TokenNotice:
    """A Zalo OA token refused or near its end is an incident for the admins; a renewal ends
    both."""
    kinds = {TOKEN_REFUSED: alerts.TOKEN_REFUSED, TOKEN_EXPIRING: alerts.TOKEN_EXPIRING}

    def told(channel: str, event: str, detail: str) -> None:
        if event == TOKEN_RENEWED:
            for kind in kinds.values():
                alerts.resolve_incident(db, kind, channel)
        elif event in kinds:
            alerts.raise_incident(db, kinds[event], channel, detail)

    return told


def _follow_moves(db: Engine) -> Moved:
    """A send that finds a group upgraded (Telegram's migrate_to_chat_id) moves the chat's
    subscriptions at once, as the upgrade's service message would: the supergroup can then
    unsubscribe, and a /subscribe there does not double its messages."""

    def moved(channel: str, old: str, new: str) -> None:
        try:  # the message itself has gone to the new id: a failure here must not fail it
            count = subscriptions.move_chat(db, channel, old, new, utcnow())
        except Exception:
            log.exception("could not move subscriptions", extra={"channel": channel, "old": old})
            return
        if count:
            log.info(
                "chat moved", extra={"channel": channel, "old": old, "new": new, "moved": count}
            )

    return moved
