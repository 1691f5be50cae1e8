"""What a channel tells the engine when a send did not succeed.

    ChannelError                 root
    ├── TransientError           try again later (network, 5xx, timeouts); ``retry_after`` when
    │   └── RateLimited          the platform said how long to wait (429, a rate-limit code)
    ├── PermanentError           this delivery cannot succeed (bad request, too long, quota)
    │   └── RecipientGone        the chat blocked the bot, left, or no longer exists
    └── AuthError                credentials are missing, wrong or expired: fix config, then retry

The engine maps these to delivery states: transient → retrying, permanent and auth → failed.
A reason never holds a secret: platforms echo tokens into their errors, so every reason goes
through ``channels.redact`` as the error is made.
"""

from __future__ import annotations

from channels.redact import redact


class ChannelError(Exception):
    """The channel could not deliver the message."""

    def __init__(self, reason: str) -> None:
        reason = redact(reason)
        super().__init__(reason)
        self.reason = reason


class TransientError(ChannelError):
    """A temporary failure; the same message may succeed later.

    ``maybe_delivered`` says the request may have reached the platform before the answer was
    lost (a read timeout, a connection cut mid-answer): sending again may duplicate it, so the
    delivery is flagged as a possible duplicate rather than silently retried.
    """

    def __init__(
        self, reason: str, retry_after: float | None = None, maybe_delivered: bool = False
    ) -> None:
        super().__init__(reason)
        self.parts_sent: tuple[str, ...] = ()  # of a message in parts: those that went out
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered


class RateLimited(TransientError):
    """The platform asked us to slow down for ``retry_after`` seconds."""


class PermanentError(ChannelError):
    """The message will never go through as it is; a person must look at it."""


class RecipientGone(PermanentError):
    """The recipient can no longer be reached (it blocked the bot, unfollowed, or is gone), so a
    subscription to it ends rather than failing every coming message the same way."""


class AuthError(ChannelError):
    """The channel's credentials do not work; check the environment variable named in config."""
