"""The Zalo Official Account's inbound side: its webhook, signed, never polled.

Zalo signs each event with ``X-ZEvent-Signature: mac=<hex>``, the SHA-256 of app id + the raw
body + the event's timestamp + the OA secret key. A request is refused unless the signature
matches, its timestamp is within ``max_skew`` of now, and the same signature was not seen in
that window (a replay). Every message a user sends opens the OA's free reply window, so events
of every ``user_send_*`` kind are reported with their sender even when loa does not answer them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from channels.inbound import BotCommand, InboundMessage, Update, WebhookRefused
from channels.zalo_oa import TEXT_LIMIT

SIGNATURE_HEADER = "x-zevent-signature"
MAX_SKEW = 300.0  # seconds an event's timestamp may differ from our clock
TEXT_EVENT = "user_send_text"


def signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    raw = app_id.encode() + body + timestamp.encode() + secret.encode()
    return "mac=" + hashlib.sha256(raw).hexdigest()


def parse_event(event: Any) -> Update:
    if not isinstance(event, dict):
        return Update(None, None, "malformed")
    name = str(event.get("event_name", ""))
    sender = event.get("sender") or {}
    user = str(sender.get("id", "")) if isinstance(sender, dict) else ""
    if not name.startswith("user_send_") or not user:
        return Update(None, None, name or "other")
    message = event.get("message") or {}
    text = message.get("text") if isinstance(message, dict) else None
    if name != TEXT_EVENT or not isinstance(text, str):
        return Update(None, None, name, chat=user)
    key = str(message.get("msg_id") or "")
    return Update(None, InboundMessage(chat=user, user=user, text=text), key=key)


class ZaloOAInbox:
    polls = False
    text_limit = TEXT_LIMIT

    def __init__(self, name: str, app_id: str, secret: str, max_skew: float = MAX_SKEW) -> None:
        self.name = name
        self.app_id = app_id
        self.secret = secret
        self.max_skew = max_skew
        self._seen: OrderedDict[str, float] = OrderedDict()  # signature → when it was accepted

    async def prepare(self, commands: Sequence[BotCommand]) -> str:
        return ""

    async def poll(self, offset: int | None, timeout: float) -> list[Update]:
        raise NotImplementedError("a Zalo OA only pushes events to its webhook")

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        given = headers.get(SIGNATURE_HEADER, "")
        try:
            event = json.loads(body)
            stamp = str(event["timestamp"])
            sent = int(stamp) / 1000
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
            raise WebhookRefused(401, "the event has no readable timestamp") from None
        expected = signature(self.app_id, body, stamp, self.secret)
        if not self.secret or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRefused(401, "bad or missing X-ZEvent-Signature")
        if abs(now - sent) > self.max_skew:
            raise WebhookRefused(403, "the event's timestamp is too old or in the future")
        while self._seen and next(iter(self._seen.values())) < now - 2 * self.max_skew:
            self._seen.popitem(last=False)
        if given in self._seen:
            raise WebhookRefused(403, "the event was already received (a replay)")
        self._seen[given] = now

    def parse(self, payload: Any) -> list[Update]:
        return [parse_event(payload)]

    async def set_webhook(self, url: str) -> None:
        """The OA's webhook URL is set in the Zalo developer console, not through the API."""

    async def delete_webhook(self) -> None:
        """Nothing to undo: see ``set_webhook``."""
