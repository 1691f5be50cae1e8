"""Zalo Official Account outlet: the OA Open API v3 with httpx, and its access tokens.

Every OA answer is HTTP 200 with ``{"error": N, "message": ..., "data": ...}``; ``ERRORS`` is the
one table that says what each negative code means for a delivery.

Access tokens live about 25 hours and are renewed with a refresh token that works ONCE. The
``TokenKeeper`` therefore writes each new pair to loa's database in one statement the moment the
platform answers, before the new access token is used, renews ahead of expiry (and once more on
an invalid-token answer), and after a restart picks up the stored pair, so no person has to hand
loa a new refresh token. One limit no client can remove: if the process dies after the platform
has answered a renewal but before that answer reaches the database (a window of milliseconds),
the pair is gone and the OA admin must authorize again; loa then says so clearly.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from campaigns.i18n import t
from channels.base import PLATFORM_IN_FLIGHT, OutboundMessage, Receipt, utcnow
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
from channels.redact import redact, remember
from channels.split import plain_parts
from channels.transport import json_answer, may_have_arrived

DEFAULT_BASE_URL = "https://openapi.zalo.me"
DEFAULT_OAUTH_URL = "https://oauth.zaloapp.com"
TEXT_LIMIT = 2000
RENEW_AHEAD = dt.timedelta(hours=1)

# code → (what the engine does, what it means for the officer reading the error)
ERRORS: dict[int, tuple[str, str]] = {
    -216: ("auth", "access token không hợp lệ hoặc đã hết hạn"),
    -220: ("auth", "access token đã hết hạn hoặc bị thu hồi"),
    -32: ("rate", "vượt giới hạn số lần gọi API của ứng dụng"),
    -201: ("permanent", "tham số không hợp lệ (kiểm tra user_id của đích)"),
    -210: ("permanent", "nội dung vượt giới hạn cho phép"),
    -211: ("permanent", "OA đã dùng hết hạn mức tin nhắn (quota) của tháng/ngày"),
    -213: ("gone", "người dùng chưa quan tâm (follow) OA"),
    -218: ("permanent", "người nhận đã hết hạn mức nhận tin từ OA"),
    -227: ("gone", "tài khoản người dùng bị khoá hoặc không hoạt động"),
    -230: ("permanent", "người dùng không tương tác với OA trong 7 ngày qua (ngoài khung trả lời)"),
    -232: ("permanent", "người dùng chưa từng tương tác với OA"),
    -233: ("permanent", "loại tin nhắn không hợp lệ"),
    -234: ("transient", "loại tin này không được gửi vào ban đêm"),
    -244: ("permanent", "người dùng đã chặn loại tin này"),
}
INVALID_REFRESH = -14014


def oa_error(code: int, message: str) -> ChannelError:
    kind, meaning = ERRORS.get(code, ("transient", "lỗi chưa rõ từ Zalo"))
    # masked before it is cut: a token cut in half would no longer be recognised
    text = f"Zalo OA {code}: {meaning} ({redact(message)[:200]})"
    if kind == "auth":
        return AuthError(text)
    if kind == "rate":
        return RateLimited(text, 60.0)
    if kind == "permanent":
        return PermanentError(text)
    if kind == "gone":
        return RecipientGone(text)
    return TransientError(text)


class Memory(Protocol):
    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: dt.datetime


def token_fact(name: str) -> str:
    return f"zalo-oa:{name}:tokens"


def stored_pair(memory: Memory, name: str) -> TokenPair | None:
    """The token pair loa keeps for the OA channel ``name``; its tokens become secrets to mask
    (``channels.redact``) from the moment they are read."""
    raw = memory.get(token_fact(name))
    if not raw:
        return None
    data = json.loads(raw)
    remember(data["access_token"], data["refresh_token"])
    return TokenPair(
        data["access_token"],
        data["refresh_token"],
        dt.datetime.fromisoformat(data["expires_at"]),
    )


SAVE_TRIES = 5  # writes of a renewed token pair before the send waits for a later try

# what the keeper tells its ``on_token`` (channel, event, detail), for the admins' alerts
TOKEN_REFUSED = "refused"  # Zalo refuses every refresh token loa has: authorize again
TOKEN_EXPIRING = "expiring"  # the access token nears its end and renewing it failed
TOKEN_RENEWED = "renewed"  # a new pair: whatever was wrong with the tokens is over
TokenNotice = Callable[[str, str, str], None]


class TokenKeeper:
    def __init__(
        self,
        name: str,
        memory: Memory,
        oauth_url: str,
        app_id: str,
        secret: str | None,
        first_refresh_token: str | None,
        client: httpx.AsyncClient,
        envs: tuple[str, str],
        clock: Callable[[], dt.datetime] = utcnow,
        on_token: TokenNotice | None = None,
    ) -> None:
        self.name = name
        self.on_token = on_token
        self.fact = token_fact(name)
        self.memory = memory
        self.oauth_url = oauth_url.rstrip("/")
        self.app_id = app_id
        self.secret = secret
        self.first_refresh_token = first_refresh_token
        self.client = client
        self.token_env, self.secret_env = envs
        self.clock = clock
        self.lock = asyncio.Lock()
        self.renewals = 0
        # a pair Zalo gave whose write the database refused: its refresh token is the only
        # one left (the old one is spent), so it is written before anything else is done
        self.unsaved: TokenPair | None = None

    def stored(self) -> TokenPair | None:
        return stored_pair(self.memory, self.name)

    async def access_token(self) -> str:
        if self.unsaved is not None:
            async with self.lock:
                await self._save_unsaved()
        pair = self.stored()
        if pair is None or pair.expires_at - self.clock() < RENEW_AHEAD:
            try:
                pair = await self.renew(pair.access_token if pair else None)
            except TransientError as exc:
                if pair is not None:
                    await self._tell(TOKEN_EXPIRING, exc.reason)
                raise
        return pair.access_token

    async def _tell(self, event: str, detail: str = "") -> None:
        """``on_token``, off the event loop (it writes to loa's store); its failure is not the
        send's."""
        if self.on_token is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.on_token, self.name, event, detail)

    async def renew(self, stale_access_token: str | None) -> TokenPair:
        """A new pair, unless another task renewed while this one waited for the lock.

        The stored refresh token is tried first; if Zalo refuses it and the environment holds a
        different one (an admin authorized again), that one is tried next.
        """
        async with self.lock:
            await self._save_unsaved()
            pair = self.stored()
            fresh = pair is not None and pair.access_token != stale_access_token
            if fresh and pair is not None and pair.expires_at - self.clock() >= RENEW_AHEAD:
                return pair
            if not self.secret:
                raise await self._refused(t("token_missing", env=self.secret_env))
            candidates = [pair.refresh_token] if pair is not None else []
            if self.first_refresh_token and self.first_refresh_token not in candidates:
                candidates.append(self.first_refresh_token)
            if not candidates:
                raise await self._refused(t("token_missing", env=self.token_env))
            for refresh in candidates:
                new = await self._exchange(refresh)
                if new is not None:
                    await self._tell(TOKEN_RENEWED)
                    return new
                newer = self.stored()
                if newer is not None and newer.refresh_token != refresh:
                    return newer  # another loa process renewed first and stored the pair
            raise await self._refused(t("zalo_refresh_invalid", env=self.token_env))

    async def _refused(self, reason: str) -> AuthError:
        await self._tell(TOKEN_REFUSED, reason)
        return AuthError(reason)

    async def _exchange(self, refresh: str) -> TokenPair | None:
        """Trade a refresh token for a new pair and store it; None if Zalo refuses the token."""
        try:
            response = await self.client.post(
                f"{self.oauth_url}/v4/oa/access_token",
                data={
                    "refresh_token": refresh,
                    "app_id": self.app_id,
                    "grant_type": "refresh_token",
                },
                headers={"secret_key": self.secret or ""},
            )
            payload = response.json() if response.content else {}
        except (httpx.HTTPError, ValueError) as exc:
            raise TransientError(f"Zalo OAuth: {type(exc).__name__}") from None
        if not isinstance(payload, dict) or "access_token" not in payload:
            code = payload.get("error") if isinstance(payload, dict) else None
            if code == INVALID_REFRESH or not payload:
                return None
            raise TransientError(f"Zalo OAuth {code}: {redact(str(payload))[:200]}")
        remember(str(payload["access_token"]), str(payload["refresh_token"]))
        seconds = int(str(payload.get("expires_in", "3600")))
        new = TokenPair(
            str(payload["access_token"]),
            str(payload["refresh_token"]),
            self.clock() + dt.timedelta(seconds=seconds),
        )
        # the old refresh token is spent now: the new pair goes to the database first
        self.unsaved = new
        await self._save_unsaved()
        self.renewals += 1
        return new

    async def _save_unsaved(self) -> None:
        """Write the pair waiting in ``unsaved``, off the event loop, trying again while the
        database is busy; still refused after that, the send waits (a transient error) and
        the pair stays waiting, never lost, for the next try."""
        pair = self.unsaved
        if pair is None:
            return
        value = json.dumps(
            {"access_token": pair.access_token, "refresh_token": pair.refresh_token,
             "expires_at": pair.expires_at.isoformat()}
        )  # fmt: skip
        for attempt in range(SAVE_TRIES):
            try:
                await asyncio.to_thread(self.memory.set, self.fact, value)
            except Exception as exc:  # the store's own error: busy, full or read-only
                if attempt == SAVE_TRIES - 1:
                    reason = redact(f"{type(exc).__name__}: {exc}")[:200]
                    raise TransientError(t("zalo_token_unsaved", reason=reason)) from None
                await asyncio.sleep(min(1.0, 0.1 * 2**attempt))
            else:
                self.unsaved = None
                return


class ZaloOAChannel:
    confirms_delivery = False
    in_flight: int | None = PLATFORM_IN_FLIGHT

    def __init__(
        self,
        name: str,
        keeper: TokenKeeper,
        client: httpx.AsyncClient,
        base_url: str | None = None,
        api: str = "cs",
        limiter: RateLimiter | None = None,
    ) -> None:
        self.name = name
        self.keeper = keeper
        self.client = client
        self.root = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.api = api
        self.parts = PartSender(name, limiter)

    def is_group(self, address: str) -> bool:
        return False  # an OA writes to one follower at a time

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        for attempt in range(2):
            token = await self.keeper.access_token()
            try:
                response = await self.client.post(
                    f"{self.root}{path}", json=body, headers={"access_token": token}
                )
            except httpx.HTTPError as exc:
                reached = may_have_arrived(exc)
                raise TransientError(f"Zalo OA: {type(exc).__name__}", None, reached) from None
            payload = json_answer("Zalo OA", response)
            code = payload.get("error", -1) if isinstance(payload, dict) else -1
            if code == 0:
                return payload.get("data") or {}
            error = oa_error(int(code), str(payload.get("message", "")))
            if isinstance(error, AuthError) and attempt == 0:
                await self.keeper.renew(token)  # expired early or revoked: renew once, try again
                continue
            raise error
        raise AuthError("Zalo OA: token vẫn không hợp lệ sau khi gia hạn")

    async def _image_element(self, image: str) -> dict[str, str]:
        if image.startswith("https://"):
            return {"media_type": "image", "url": image}
        token = await self.keeper.access_token()
        try:
            with open(image, "rb") as handle:
                files = {"file": (image.rsplit("/", 1)[-1], handle.read())}
            response = await self.client.post(
                f"{self.root}/v2.0/oa/upload/image", files=files, headers={"access_token": token}
            )
        except OSError as exc:
            raise PermanentError(f"{image}: {exc.strerror}") from None
        except httpx.HTTPError as exc:
            raise TransientError(f"Zalo OA upload: {type(exc).__name__}") from None
        payload = json_answer("Zalo OA upload", response)
        if payload.get("error", -1) != 0:
            raise oa_error(int(payload.get("error", -1)), str(payload.get("message", "")))
        return {"media_type": "image", "attachment_id": str(payload["data"]["attachment_id"])}

    async def send(self, message: OutboundMessage) -> Receipt:
        bodies: list[Any] = [{"text": part} for part in plain_parts(message.text, TEXT_LIMIT)]
        if message.image:  # the image first, as its own message, then the text
            bodies.insert(0, None)

        async def send_one(body: Any) -> str:
            if body is None:
                element = await self._image_element(message.image)
                body = {
                    "attachment": {
                        "type": "template",
                        "payload": {"template_type": "media", "elements": [element]},
                    }
                }
            data = await self._post(
                f"/v3.0/oa/message/{self.api}",
                {"recipient": {"user_id": message.address}, "message": body},
            )
            return str(data.get("message_id", ""))

        return await self.parts.send(message, bodies, send_one)

    async def check(self, addresses: Iterable[str] = ()) -> str:
        token = await self.keeper.access_token()
        response = await self.client.get(
            f"{self.root}/v2.0/oa/getoa", headers={"access_token": token}
        )
        payload = json_answer("Zalo OA", response)
        if payload.get("error", -1) != 0:
            raise oa_error(int(payload.get("error", -1)), str(payload.get("message", "")))
        return str((payload.get("data") or {}).get("name", "?"))

    async def find_sent(self, keys: Iterable[str]) -> dict[str, Receipt]:
        return {}

    async def close(self) -> None:
        await self.client.aclose()
