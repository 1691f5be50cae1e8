"""Zalo Bot outlet: the Zalo Bot platform's Telegram-like HTTP API, with httpx.

The platform answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
"description": ...}``, often with HTTP 200 even for errors, so the envelope decides, not the
status. Texts are 1 to 2,000 characters: longer ones go as numbered parts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from campaigns.i18n import t
from channels.base import PLATFORM_IN_FLIGHT, OutboundMessage, Receipt
from channels.errors import (
    AuthError,
    ChannelError,
    PermanentError,
    RateLimited,
    RecipientGone,
    TransientError,
)
from channels.limits import RateLimiter
from channels.parts import PartSender
from channels.redact import redact
from channels.split import plain_parts
from channels.transport import json_answer, may_have_arrived, unreadable_answer

TEXT_LIMIT = 2000
DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"


def bot_error(payload: Any, status: int) -> ChannelError | None:
    """The channel error an answer means, or None for success. One table for all methods."""
    if isinstance(payload, dict) and payload.get("ok") is True:
        return None
    if not isinstance(payload, dict):
        return unreadable_answer("Zalo Bot", status)
    code = payload.get("error_code", status)
    code = code if isinstance(code, int) else status
    description = redact(str(payload.get("description", "")))[:300]  # masked, then cut
    if code == 429:
        retry = (payload.get("parameters") or {}).get("retry_after", 1)
        return RateLimited(f"Zalo Bot 429: {description}", float(retry))
    if code == 401:
        return AuthError(f"Zalo Bot {code}: {description}")
    if code >= 500 or code in (408, 409):
        return TransientError(f"Zalo Bot {code}: {description}")
    if code == 403 or "chat not found" in description.lower():
        return RecipientGone(f"Zalo Bot {code}: {description}")
    return PermanentError(f"Zalo Bot {code}: {description}")


class ZaloBotChannel:
    confirms_delivery = False
    in_flight: int | None = PLATFORM_IN_FLIGHT

    def __init__(
        self,
        name: str,
        token: str | None,
        token_env: str,
        base_url: str | None = None,
        limiter: RateLimiter | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.name = name
        self.token = token
        self.token_env = token_env
        self.root = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.client = httpx.AsyncClient(timeout=timeout)
        self.parts = PartSender(name, limiter)

    def is_group(self, address: str) -> bool:
        return False  # Zalo Bot ids do not tell groups from people: the per-chat limit holds

    async def call(self, method: str, body: dict[str, Any], wait: float = 0.0) -> Any:
        """One API method; ``wait`` extends the read timeout for a long poll."""
        if not self.token:
            raise AuthError(t("token_missing", env=self.token_env))
        url = f"{self.root}/bot{self.token}/{method}"
        try:
            if wait:
                longer = httpx.Timeout((self.client.timeout.read or 10.0) + wait)
                response = await self.client.post(url, json=body, timeout=longer)
            else:
                response = await self.client.post(url, json=body)
        except httpx.HTTPError as exc:
            reached = may_have_arrived(exc)
            raise TransientError(f"Zalo Bot: {type(exc).__name__}", None, reached) from None
        payload = json_answer("Zalo Bot", response)
        error = bot_error(payload, response.status_code)
        if error is not None:
            raise error
        return payload["result"]

    async def send(self, message: OutboundMessage) -> Receipt:
        parts = plain_parts(message.text, TEXT_LIMIT)
        if message.image:
            if not message.image.startswith("https://"):
                raise PermanentError(t("zalo_bot_image_url"))
            parts.insert(0, "")  # the photo goes first, the text after it

        async def send_one(part: str) -> str:
            if part:
                result = await self.call("sendMessage", {"chat_id": message.address, "text": part})
            else:
                body = {"chat_id": message.address, "photo": message.image}
                result = await self.call("sendPhoto", body)
            return str(result.get("message_id", "")) if isinstance(result, dict) else ""

        return await self.parts.send(message, parts, send_one)

    async def check(self, addresses: Iterable[str] = ()) -> str:
        me = await self.call("getMe", {})
        return str(me.get("account_name") or me.get("display_name") or me.get("id", "?"))

    async def find_sent(self, keys: Iterable[str]) -> dict[str, Receipt]:
        return {}

    async def close(self) -> None:
        await self.client.aclose()
