"""A strict local fake of the Telegram Bot API, for tests and for trying loa by hand.

It speaks the real protocol so that python-telegram-bot runs unchanged against it:
``POST|GET {root}/bot<token>/<method>`` with JSON, form-encoded or multipart bodies, answered
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": "...",
"parameters": {...}}`` with the same HTTP status as ``error_code``. It refuses what Telegram
refuses (unknown token, unknown chat, blocked bot, migrated group, text over 4,096 or caption
over 1,024 characters after entity parsing, bad HTML/MarkdownV2, flood limits with
``retry_after``) and can be told to misbehave (500/502 answers, hanging, dropped connections)
either for the next N requests or at random with a seed.

In tests::

    async with FakeTelegram() as fake:
        chat = fake.add_private_chat()
        async with telegram.Bot(fake.token, base_url=fake.base_url) as bot:
            await bot.send_message(chat, "Xin chào")
        assert fake.accepted[0].text == "Xin chào"

From a synchronous test (the server runs in a thread)::

    with FakeTelegram() as fake:
        ...

By hand::

    python -m tests.fakes.telegram --port 8081 --token 123456:ABC-DEF --chat group:-2001:Nhóm

Python-telegram-bot builds ``{base_url}{token}/{method}``; ``fake.base_url`` is
``http://127.0.0.1:PORT/bot``. loa's config.toml takes ``fake.url`` (``base_url =
"http://127.0.0.1:PORT"``, what the fake prints when run alone): loa adds ``/bot`` itself, and
refuses a token sent to ``.../bot/bot<token>``. Besides the Bot API, ``/_fake/...`` offers a small admin
surface for manual sessions, so a person can play the chat members (JSON bodies; ``token``
is optional everywhere and picks a bot other than the first):

- ``GET /_fake/state``: what was accepted and refused, the chats, the queued updates;
- ``POST /_fake/updates`` ``{"chat_id": -2001, "text": "/upcoming"}``: a member of that chat
  writes to the bot (a text starting with "/" is a command); ``{"update": {...}}`` queues a
  raw update instead. The bot gets it by getUpdates, or at its webhook if one is set::

      curl -s http://127.0.0.1:8081/_fake/updates -H 'Content-Type: application/json' \\
        -d '{"chat_id": -2001, "text": "/upcoming"}'

- ``POST /_fake/chats`` ``{"id": -2002, "type": "group", "title": "..."}``: a new chat;
- ``POST /_fake/block`` / ``/_fake/unblock`` ``{"chat_id": 1001}``: the user blocks the bot;
- ``POST /_fake/migrate`` ``{"chat_id": -2001}``: the group becomes a supergroup;
- ``POST /_fake/fail_next`` ``{"count": 2, "fault": "500"}``, ``/_fake/faults``
  ``{"probability": 0.2, "seed": 1}``, ``/_fake/reset``: misbehave, or stop misbehaving
  (``fake.fail_chat(chat_id)`` in tests: every request about one chat fails).

Where the real platform is vague, the fake chooses the stricter reading and says so:
length counts UTF-16 code units (``length_unit="codepoints"`` to relax), a bare ``&`` in HTML
is refused (``strict_ampersand=False`` to relax), webhooks must be HTTPS on ports
80/88/443/8443 (``allow_http_webhook=True`` for local delivery), and the documented flood
limits are enforced exactly (see ``RateLimits``). Webhook updates are only ever delivered to
loopback addresses.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import ipaddress
import json
import logging
import math
import random
import re
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.fakes.telegram_formatting import (
    FormattingError,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    utf16_len,
)

__all__ = [
    "DEFAULT_TOKEN",
    "FAULTS",
    "Chat",
    "FakeTelegram",
    "RateLimits",
    "Refusal",
    "SentMessage",
    "Window",
]

log = logging.getLogger("tests.fakes.telegram")

DEFAULT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
FAULTS = ("500", "502", "hang", "drop")
"""Fault kinds: a JSON 500, an nginx-style HTML 502, hanging until the client gives up,
closing the connection without an answer. Any other 5xx code as a string also works."""

ChatType = Literal["private", "group", "supergroup", "channel"]
_TOKEN_RE = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{1,100}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_UPDATE_KINDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "inline_query",
    "my_chat_member",
    "chat_member",
)
_GONE_BY_TYPE = {
    "private": "Forbidden: bot was blocked by the user",
    "group": "Forbidden: bot was kicked from the group chat",
    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
    "channel": "Forbidden: bot is not a member of the channel chat",
}


# --------------------------------------------------------------------------------------------
# Values the tests look at


@dataclass
class Chat:
    """A chat the fake knows. ``username`` is stored without the leading ``@``."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    started: bool = True
    """For private chats: the user has pressed Start (else 403 can't initiate conversation)."""
    migrated_to: int | None = None
    """For a group upgraded to a supergroup: the supergroup's id."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or "User"
        else:
            data["title"] = self.title or f"Chat {self.id}"
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class SentMessage:
    """A message the fake accepted (sendMessage, sendPhoto, or a webhook reply)."""

    method: str
    chat_id: int
    text: str | None
    """The text (or photo caption) exactly as the client sent it, markup included."""
    parse_mode: str | None
    received_at: dt.datetime
    message_id: int
    chat_ref: int | str
    """The chat_id as the client gave it (an int, or "@channelusername")."""
    plain_text: str | None
    """The text as users see it: after entity parsing, trimmed."""
    entities: list[dict[str, Any]]
    link_preview_disabled: bool
    photo: str | None
    """For sendPhoto: the URL or file_id sent, or "upload:<filename>" for an upload."""
    photo_upload: bytes | None = field(repr=False)
    params: dict[str, Any] = field(repr=False)
    monotonic: float = field(repr=False)
    bot_id: int = field(repr=False)
    result: dict[str, Any] = field(repr=False)
    """The Message object returned to the client."""


@dataclass
class Refusal:
    """A request the fake answered with an error, or hit with an injected fault."""

    method: str
    status: int | None
    """HTTP status sent; None when the fault was a hang or a dropped connection."""
    description: str
    received_at: dt.datetime
    chat_ref: Any
    text: str | None
    parameters: dict[str, Any]
    fault: str | None
    """The injected fault ("500", "502", "hang", "drop"), or None for a platform error."""
    params: dict[str, Any] = field(repr=False)
    monotonic: float = field(repr=False)

    @property
    def error_code(self) -> int | None:
        return self.status

    @property
    def retry_after(self) -> int | None:
        value = self.parameters.get("retry_after")
        return int(value) if value is not None else None


@dataclass(frozen=True)
class Window:
    """At most ``count`` accepted messages in any sliding window of ``seconds``."""

    count: int
    seconds: float


@dataclass
class RateLimits:
    """Flood limits per bot token, enforced over sliding windows of accepted messages.

    Defaults follow Telegram's published guidance: one message per second in a private chat,
    20 per minute in a group, supergroup or channel, 30 per second overall. ``private_burst``
    lets that many extra messages go out back to back while keeping the long-run rate: with
    burst b a private chat may receive at most 1 + b messages in any (1 + b)-second window.
    ``grace`` shortens every window a little so that a client pacing at exactly the limit is
    not refused for a few milliseconds of network jitter.
    """

    enabled: bool = True
    private: Window = Window(1, 1.0)
    private_burst: int = 0
    group: Window = Window(20, 60.0)
    overall: Window = Window(30, 1.0)
    grace: float = 0.05

    @classmethod
    def off(cls) -> RateLimits:
        return cls(enabled=False)

    def private_window(self) -> Window:
        count = self.private.count + max(0, self.private_burst)
        return Window(count, self.private.seconds * count / self.private.count)


class _ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters or {}


@dataclass(frozen=True)
class _Noted:
    """A result that Telegram accompanies with a description ("Webhook was set")."""

    value: Any
    description: str


def _bad(description: str, parameters: dict[str, Any] | None = None) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}", parameters)


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Bot:
    token: str
    id: int
    username: str
    first_name: str
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 0
    allowed_updates: list[str] | None = None
    webhook: _Webhook | None = None
    webhook_task: asyncio.Task[None] | None = None
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    chat_stamps: dict[int, deque[float]] = field(default_factory=dict)
    overall_stamps: deque[float] = field(default_factory=deque)
    poll_generation: int = 0

    def user_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass
class _FaultPlan:
    queue: deque[tuple[str, frozenset[str] | None]] = field(default_factory=deque)
    probability: float = 0.0
    kinds: tuple[str, ...] = ("500", "502")
    methods: frozenset[str] | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    chats: dict[str, str] = field(default_factory=dict)  # chat id → the fault of every request


# --------------------------------------------------------------------------------------------
# Request parameters


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split multipart/form-data into text fields and files (name -> (filename, bytes))."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise _bad("can't parse multipart/form-data: no boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, _, data = chunk.partition(b"\r\n\r\n")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                disposition = value
        name = re.search(r'(?<![A-Za-z*])name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if not name:
            continue
        if filename is not None:
            files[name.group(1)] = (filename.group(1), data)
        else:
            fields[name.group(1)] = _decode_utf8(data)
    return fields, files


def _decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("strings must be encoded in UTF-8") from None


def _as_int(params: dict[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _bad(f'field "{name}" must be of type Integer')
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        return int(value)
    raise _bad(f'field "{name}" must be of type Integer')


def _as_float(params: dict[str, Any], name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad(f'field "{name}" must be of type Number') from None


def _as_bool(params: dict[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _as_json(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        if value == "":
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise _bad(f"can't parse {name} JSON object") from None
    return value


def _as_text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _chat_ref(value: Any) -> int | str:
    """The chat_id as the client meant it: form bodies carry "1001" for 1001."""
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        return int(value)
    return value if isinstance(value, int | str) else str(value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _is_image(data: bytes) -> bool:
    return (
        data.startswith(b"\xff\xd8\xff")
        or data.startswith(b"\x89PNG\r\n\x1a\n")
        or data.startswith((b"GIF87a", b"GIF89a"))
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------------------------
# The server


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without signal handlers, for running inside a test's event loop or thread."""

    def __init__(self, config: uvicorn.Config, handle_signals: bool) -> None:
        super().__init__(config)
        self._handle_signals = handle_signals

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if self._handle_signals:
            with super().capture_signals():
                yield
        else:
            yield


class _TransportExposer:
    """Pure ASGI wrapper that lets the app reach uvicorn's transport, to drop a connection."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None:
                scope["fake_telegram.transport"] = transport
        await self.app(scope, receive, send)


class FakeTelegram:
    """A local, strict Telegram Bot API server; see the module docstring.

    Attributes the tests read: ``base_url``, ``url``, ``port``, ``token``, ``bot_id``,
    ``bot_username``, ``accepted`` (SentMessage list), ``refused`` (Refusal list), ``calls``
    (every request: method and params), ``chats`` (id -> Chat), ``limits`` (RateLimits, may be
    replaced at any time).
    """

    def __init__(
        self,
        tokens: str | Iterable[str] = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: RateLimits | None = None,
        length_unit: Literal["utf16", "codepoints"] = "utf16",
        strict_ampersand: bool = True,
        allow_http_webhook: bool = False,
        hang_max: float = 60.0,
        webhook_retry_delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        echo_request_url: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.limits = limits if limits is not None else RateLimits()
        self.length_unit = length_unit
        self.strict_ampersand = strict_ampersand
        self.allow_http_webhook = allow_http_webhook
        self.hang_max = hang_max
        self.webhook_retry_delay = webhook_retry_delay
        self.clock = clock
        self.echo_request_url = echo_request_url
        self.delay = 0.0
        """Seconds every send waits before it is handled (accepted and answered): a slow
        platform; may be changed at any time."""
        """Every error's description ends with the request's method and URL (with the token in
        it), as some proxies and API gateways answer; may be switched at any time."""

        self.accepted: list[SentMessage] = []
        self.refused: list[Refusal] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.chats: dict[int, Chat] = {}
        self.bad_photo_urls: set[str] = set()
        """Photo URLs that Telegram "fails to fetch" (400 failed to get HTTP URL content)."""

        self._lock = threading.RLock()
        self._bots: dict[str, _Bot] = {}
        self._message_ids: dict[int, int] = {}
        self._file_ids: set[str] = set()
        self._faults = _FaultPlan()
        self._next_private = 1001
        self._next_group = 2001
        self._next_super = 1001000000001

        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: _EmbeddedServer | None = None
        self._serve_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._stop_event: asyncio.Event | None = None
        self._wakeup: asyncio.Event | None = None
        self._stopped: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

        for token in [tokens] if isinstance(tokens, str) else tokens:
            self.add_bot(token)
        if not self._bots:
            raise ValueError("FakeTelegram needs at least one bot token")
        self.app = Starlette(
            routes=[
                Route("/_fake/state", self._admin_state, methods=["GET"]),
                Route("/_fake/{action}", self._admin_action, methods=["POST"]),
                Route("/bot{token}/{method}", self._echoing(self._handle), methods=["GET", "POST"]),
                Route("/{rest:path}", self._echoing(self._not_found), methods=["GET", "POST"]),
            ]
        )

    # ---- properties ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server root, e.g. http://127.0.0.1:8081."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The Bot API root in the form python-telegram-bot's ``Bot(base_url=...)`` expects."""
        return f"{self.url}/bot"

    @property
    def token(self) -> str:
        """The first (default) bot token."""
        return next(iter(self._bots))

    @property
    def bot_id(self) -> int:
        return self._bot(None).id

    @property
    def bot_username(self) -> str:
        return self._bot(None).username

    def api_url(self, method: str, token: str | None = None) -> str:
        return f"{self.base_url}{token or self.token}/{method}"

    # ---- set-up helpers --------------------------------------------------------------------

    def add_bot(
        self, token: str, username: str | None = None, first_name: str | None = None
    ) -> None:
        """Make a further token valid (each token is its own bot with its own limits)."""
        if not _TOKEN_RE.match(token):
            raise ValueError(f"not a Telegram-shaped token: {token!r}")
        with self._lock:
            number = len(self._bots) + 1
            suffix = "" if number == 1 else f"_{number}"
            self._bots[token] = _Bot(
                token=token,
                id=int(token.split(":", 1)[0]),
                username=username or f"loa_test{suffix}_bot",
                first_name=first_name or "Loa (thử nghiệm)",
                next_update_id=100_000_000 + number * 1_000_000,
            )

    def add_chat(
        self,
        chat_id: int,
        type: ChatType,
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        started: bool = True,
    ) -> Chat:
        """Register a chat the bot can reach; returns it (replacing any chat with that id)."""
        if type not in _GONE_BY_TYPE:
            raise ValueError(f"unknown chat type {type!r}")
        if type == "private" and chat_id <= 0:
            raise ValueError("private chat ids are positive")
        if type != "private" and chat_id >= 0:
            raise ValueError("group, supergroup and channel ids are negative")
        chat = Chat(
            id=chat_id,
            type=type,
            title=title,
            username=username.removeprefix("@") if username else None,
            first_name=first_name,
            started=started,
        )
        with self._lock:
            self.chats[chat_id] = chat
        return chat

    def add_private_chat(
        self,
        chat_id: int | None = None,
        first_name: str = "Lan",
        username: str | None = None,
        *,
        started: bool = True,
    ) -> int:
        with self._lock:
            if chat_id is None:
                chat_id = self._next_private
                self._next_private += 1
            self.add_chat(
                chat_id, "private", first_name=first_name, username=username, started=started
            )
        return chat_id

    def add_group(self, chat_id: int | None = None, title: str = "Nhóm Văn phòng") -> int:
        with self._lock:
            if chat_id is None:
                chat_id = -self._next_group
                self._next_group += 1
            self.add_chat(chat_id, "group", title=title)
        return chat_id

    def add_supergroup(
        self, chat_id: int | None = None, title: str = "Nhóm Sở", username: str | None = None
    ) -> int:
        with self._lock:
            if chat_id is None:
                chat_id = -self._next_super
                self._next_super += 1
            self.add_chat(chat_id, "supergroup", title=title, username=username)
        return chat_id

    def add_channel(
        self,
        username: str | None = "loa_kenh_thu",
        chat_id: int | None = None,
        title: str = "Kênh tỉnh",
    ) -> int:
        """A channel, reachable by id and, when it has a username, by "@username"."""
        with self._lock:
            if chat_id is None:
                chat_id = -self._next_super
                self._next_super += 1
            self.add_chat(chat_id, "channel", title=title, username=username)
        return chat_id

    def block(self, chat_id: int, token: str | None = None) -> None:
        """The user blocked the bot (private) or the bot was removed (group, channel): 403."""
        with self._lock:
            self._bot(token).blocked.add(chat_id)

    def unblock(self, chat_id: int, token: str | None = None) -> None:
        with self._lock:
            self._bot(token).blocked.discard(chat_id)

    def migrate(self, group_id: int, new_chat_id: int | None = None) -> int:
        """Upgrade a group to a supergroup; the old id then answers 400 migrate_to_chat_id."""
        with self._lock:
            group = self.chats.get(group_id)
            if group is None or group.type != "group":
                raise ValueError(f"{group_id} is not a known group")
            if new_chat_id is None:
                new_chat_id = -self._next_super
                self._next_super += 1
            self.add_chat(new_chat_id, "supergroup", title=group.title)
            group.migrated_to = new_chat_id
        return new_chat_id

    def add_file_id(self, file_id: str) -> None:
        """Make a file_id valid for sendPhoto (file_ids the fake issued are valid already)."""
        with self._lock:
            self._file_ids.add(file_id)

    def queue_update(self, update: dict[str, Any], token: str | None = None) -> int:
        """Queue a raw Update (``update_id`` is assigned); returns the update_id."""
        with self._lock:
            bot = self._bot(token)
            bot.next_update_id += 1
            stored = {
                "update_id": bot.next_update_id,
                **{k: v for k, v in update.items() if k != "update_id"},
            }
            bot.updates.append(stored)
        self._notify()
        return int(stored["update_id"])

    def queue_message(
        self,
        chat_id: int,
        text: str,
        *,
        from_id: int | None = None,
        first_name: str = "Lan",
        token: str | None = None,
    ) -> int:
        """Queue an inbound text message (a channel_post for channels); returns the update_id.

        A text starting with "/" carries a bot_command entity, as Telegram sends it.
        """
        with self._lock:
            chat = self.chats.get(chat_id)
            if chat is None:
                raise ValueError(f"unknown chat {chat_id}; add it first")
            message_id = self._next_message_id(chat_id)
            message: dict[str, Any] = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat.to_json(),
                "text": text,
            }
            if chat.type == "channel":
                message["sender_chat"] = chat.to_json()
            else:
                sender = (
                    from_id
                    if from_id is not None
                    else (chat_id if chat.type == "private" else 1001)
                )
                message["from"] = {"id": sender, "is_bot": False, "first_name": first_name}
            command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
            if command:
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
                ]
            kind = "channel_post" if chat.type == "channel" else "message"
        return self.queue_update({kind: message}, token)

    def fail_next(
        self, count: int = 1, fault: str = "500", methods: Iterable[str] | None = None
    ) -> None:
        """The next ``count`` requests (to ``methods``, if given) get ``fault``."""
        self._check_fault(fault)
        only = frozenset(m.lower() for m in methods) if methods is not None else None
        with self._lock:
            self._faults.queue.extend([(fault, only)] * count)

    def set_faults(
        self,
        probability: float,
        faults: Iterable[str] = ("500", "502"),
        *,
        seed: int = 0,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Each request (to ``methods``, if given) fails with this probability, seeded."""
        kinds = tuple(faults)
        for fault in kinds:
            self._check_fault(fault)
        with self._lock:
            self._faults.probability = probability
            self._faults.kinds = kinds
            self._faults.rng = random.Random(seed)
            self._faults.methods = (
                frozenset(m.lower() for m in methods) if methods is not None else None
            )

    def fail_chat(self, chat_id: int, fault: str = "500") -> None:
        """Every request about ``chat_id`` gets ``fault`` (an outage that one chat's messages
        meet, the others not), until ``clear_faults``."""
        self._check_fault(fault)
        with self._lock:
            self._faults.chats[str(chat_id)] = fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = _FaultPlan()

    def reset(self) -> None:
        """Forget what was accepted or refused and every flood-limit window."""
        with self._lock:
            self.accepted.clear()
            self.refused.clear()
            self.calls.clear()
            for bot in self._bots.values():
                bot.chat_stamps.clear()
                bot.overall_stamps.clear()

    # ---- queries ---------------------------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        with self._lock:
            return [m for m in self.accepted if m.chat_id == chat_id]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = "", token: str | None = None
    ) -> list[dict[str, str]]:
        with self._lock:
            key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
            return list(self._bot(token).commands.get(key, []))

    def pending_updates(self, token: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._bot(token).updates)

    def webhook_info(self, token: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self._webhook_info(self._bot(token))

    async def wait_accepted(self, count: int, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until at least ``count`` messages were accepted; return them."""
        deadline = time.monotonic() + timeout
        while len(self.accepted) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(self.accepted)} of {count} messages accepted after {timeout}s"
                )
            await asyncio.sleep(0.01)
        return list(self.accepted)

    # ---- running ---------------------------------------------------------------------------

    async def start(self, *, handle_signals: bool = False) -> FakeTelegram:
        """Serve in the running event loop; ``port=0`` picks a free port (see ``.port``)."""
        if self._server is not None:
            raise RuntimeError("FakeTelegram is already running")
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._stopped = asyncio.Event()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Without this every answer waits ~40 ms for a delayed ACK (Nagle): headers and body
        # go out in two writes.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            _TransportExposer(self.app),
            http="h11",
            ws="none",
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = _EmbeddedServer(config, handle_signals)
        self._serve_task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._serve_task.done():
                self._server = None
                self._serve_task.result()
                raise RuntimeError("the fake Telegram server did not start")
            await asyncio.sleep(0.005)
        log.info(
            "fake Telegram Bot API listening on %s (tokens: %s)",
            self.url,  # what config.toml's base_url takes: loa adds /bot itself
            ", ".join(self._bots),
        )
        return self

    async def stop(self) -> None:
        """Stop serving: hanging requests and long polls end, webhook delivery stops."""
        if self._server is None or self._serve_task is None:
            return
        self._stopping = True
        if self._stop_event is not None:
            self._stop_event.set()
        self._swap_wakeup()
        with self._lock:
            tasks = [b.webhook_task for b in self._bots.values() if b.webhook_task is not None]
            for bot in self._bots.values():
                bot.webhook_task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._serve_task
        self._server = None
        self._serve_task = None
        if self._stopped is not None:
            self._stopped.set()

    async def serve_until_stopped(self) -> None:
        """For the command line: run until uvicorn is told to exit (Ctrl-C, SIGTERM)."""
        if self._serve_task is not None:
            await self._serve_task
        await self.stop()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_in_thread(self, timeout: float = 10.0) -> FakeTelegram:
        """Serve from a background thread, for synchronous tests (e.g. driving `loa run`)."""
        ready = threading.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            try:
                await self.start()
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            assert self._stopped is not None
            await self._stopped.wait()

        self._thread = threading.Thread(
            target=asyncio.run, args=(main(),), name="fake-telegram", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("the fake Telegram server did not start in time")
        if failure:
            raise failure[0]
        return self

    def stop_in_thread(self, timeout: float = 10.0) -> None:
        if self._thread is None or self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop(), self._loop).result(timeout)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> FakeTelegram:
        return self.start_in_thread()

    def __exit__(self, *exc: object) -> None:
        self.stop_in_thread()

    # ---- internals: bots, wake-ups, faults -------------------------------------------------

    def _bot(self, token: str | None) -> _Bot:
        if token is None:
            return next(iter(self._bots.values()))
        return self._bots[token]

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _swap_wakeup(self) -> None:
        """Wake every waiter (long polls, webhook workers): they re-check the state."""
        old, self._wakeup = self._wakeup, asyncio.Event()
        if old is not None:
            old.set()

    def _notify(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._swap_wakeup()
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._swap_wakeup)

    @staticmethod
    def _check_fault(fault: str) -> None:
        if fault not in FAULTS and not re.fullmatch(r"5[0-9][0-9]", fault):
            raise ValueError(f"unknown fault {fault!r}; use one of {FAULTS} or a 5xx code")

    def _take_fault(self, method: str, chat: Any = None) -> str | None:
        name = method.lower()
        with self._lock:
            plan = self._faults
            if chat is not None and str(chat) in plan.chats:
                return plan.chats[str(chat)]
            for index, (fault, only) in enumerate(plan.queue):
                if only is None or name in only:
                    del plan.queue[index]
                    return fault
            if (
                plan.probability > 0
                and (plan.methods is None or name in plan.methods)
                and plan.rng.random() < plan.probability
            ):
                return plan.rng.choice(plan.kinds)
        return None

    # ---- HTTP handlers ---------------------------------------------------------------------

    def _echoing(self, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        """``handler``, whose error answers echo the request URL when ``echo_request_url``."""

        async def echoing(request: Request) -> Response:
            response: Response = await handler(request)
            if not self.echo_request_url or response.status_code < 400:
                return response
            try:
                body = json.loads(bytes(response.body))
            except ValueError:
                return response
            body["description"] = f"{body['description']} ({request.method} {request.url})"
            return JSONResponse(body, status_code=response.status_code)

        return echoing

    async def _not_found(self, request: Request) -> Response:
        return self._error_response(404, "Not Found")

    @staticmethod
    def _error_response(
        status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return JSONResponse(body, status_code=status)

    async def _read_params(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        params: dict[str, Any] = dict(request.query_params)
        files: dict[str, Any] = {}
        body = await request.body()
        if not body:
            return params, files
        content_type = request.headers.get("content-type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type == "application/json":
            try:
                data = json.loads(_decode_utf8(body))
            except json.JSONDecodeError:
                raise _bad("can't parse JSON encoded request") from None
            if not isinstance(data, dict):
                raise _bad("JSON object expected")
            params.update(data)
        elif media_type == "multipart/form-data":
            fields, files = _parse_multipart(body, content_type)
            params.update(fields)
        elif media_type in ("application/x-www-form-urlencoded", ""):
            text = _decode_utf8(body)
            params.update(
                parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
            )
        else:
            raise _bad(f"unsupported Content-Type {media_type}")
        return params, files

    async def _handle(self, request: Request) -> Response:
        token = request.path_params["token"]
        method_raw = request.path_params["method"]
        started = self.clock()
        received = _now()
        try:
            params, files = await self._read_params(request)
        except _ApiError as error:
            return self._refuse(method_raw, {}, error, received, started)
        fault = self._take_fault(method_raw, params.get("chat_id"))
        if fault is not None:
            return await self._apply_fault(fault, request, method_raw, params, received, started)
        with self._lock:
            if not _TOKEN_RE.match(token):
                return self._refuse(
                    method_raw, params, _ApiError(404, "Not Found"), received, started
                )
            bot = self._bots.get(token)
            if bot is None:
                return self._refuse(
                    method_raw, params, _ApiError(401, "Unauthorized"), received, started
                )
            self.calls.append((method_raw, params))
        method = _METHODS.get(method_raw.lower())
        if method is None:
            return self._refuse(method_raw, params, _ApiError(404, "Not Found"), received, started)
        name, handler = method
        if self.delay and name.startswith("send"):
            await asyncio.sleep(self.delay)
        try:
            result = await handler(self, bot, params, files, received, started)
        except _ApiError as error:
            return self._refuse(name, params, error, received, started)
        body: dict[str, Any] = {"ok": True, "result": result}
        if isinstance(result, _Noted):
            body = {"ok": True, "result": result.value, "description": result.description}
        self._log_accepted(name, params, body["result"])
        return JSONResponse(body)

    def _log_accepted(self, name: str, params: dict[str, Any], result: Any) -> None:
        if isinstance(result, dict) and "message_id" in result:
            text = result.get("text") or result.get("caption") or ""
            log.info(
                "accepted %s chat=%s message_id=%s (%d characters)",
                name,
                result["chat"]["id"],
                result["message_id"],
                len(text),
            )
        elif name == "getUpdates" and not result:
            log.debug("accepted getUpdates: no updates")  # long polls would flood the log
        elif name == "getUpdates":
            log.info("accepted getUpdates: %d updates", len(result))
        else:
            log.info("accepted %s%s", name, self._describe(params))

    def _refuse(
        self,
        method: str,
        params: dict[str, Any],
        error: _ApiError,
        received: dt.datetime,
        started: float,
        fault: str | None = None,
    ) -> Response:
        refusal = Refusal(
            method=method,
            status=error.status,
            description=error.description,
            received_at=received,
            chat_ref=params.get("chat_id"),
            text=_as_text(params, "text") if "text" in params else _as_text(params, "caption"),
            parameters=dict(error.parameters),
            fault=fault,
            params=params,
            monotonic=started,
        )
        with self._lock:
            self.refused.append(refusal)
        log.info(
            "refused %s%s: %s %s%s",
            method,
            self._describe(params),
            error.status,
            error.description,
            f" {error.parameters}" if error.parameters else "",
        )
        return self._error_response(error.status, error.description, error.parameters)

    @staticmethod
    def _describe(params: dict[str, Any]) -> str:
        chat = params.get("chat_id")
        return f" chat={chat}" if chat is not None else ""

    async def _apply_fault(
        self,
        fault: str,
        request: Request,
        method: str,
        params: dict[str, Any],
        received: dt.datetime,
        started: float,
    ) -> Response:
        if fault not in ("hang", "drop"):
            status = int(fault)
            phrase = (
                HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
            )
            self._refuse(method, params, _ApiError(status, phrase), received, started, fault=fault)
            if status == 502:  # what nginx in front of the Bot API answers: not JSON
                html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
                return HTMLResponse(html, status_code=502)
            return self._error_response(status, phrase)
        refusal = Refusal(
            method=method,
            status=None,
            description=f"fault: {fault}",
            received_at=received,
            chat_ref=params.get("chat_id"),
            text=_as_text(params, "text"),
            parameters={},
            fault=fault,
            params=params,
            monotonic=started,
        )
        with self._lock:
            self.refused.append(refusal)
        log.info("fault %s on %s%s", fault, method, self._describe(params))
        if fault == "drop":
            transport = request.scope.get("fake_telegram.transport")
            if transport is not None:
                transport.close()
                await asyncio.sleep(0)
                return Response(status_code=500)  # never sent: the connection is gone
            raise RuntimeError("fake Telegram: dropping the connection")  # uvicorn closes it
        deadline = time.monotonic() + self.hang_max
        while not self._stopping and time.monotonic() < deadline:
            if await request.is_disconnected():
                break
            assert self._stop_event is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), 0.05)
        return self._error_response(500, "Internal Server Error: the fake stopped hanging")

    # ---- Bot API methods -------------------------------------------------------------------

    async def _get_me(self, bot: _Bot, *_: Any) -> Any:
        return {
            **bot.user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _resolve_chat(self, ref: Any) -> Chat:
        if ref is None or ref == "":
            raise _bad("chat_id is empty")
        chat: Chat | None = None
        if isinstance(ref, int) and not isinstance(ref, bool):
            chat = self.chats.get(ref)
        elif isinstance(ref, str) and re.fullmatch(r"\s*-?[0-9]+\s*", ref):
            chat = self.chats.get(int(ref))
        elif isinstance(ref, str) and ref.startswith("@"):
            wanted = ref[1:].lower()
            chat = next(
                (
                    c
                    for c in self.chats.values()
                    if c.username
                    and c.username.lower() == wanted
                    and c.type in ("channel", "supergroup")
                ),
                None,
            )
        if chat is None:
            raise _bad("chat not found")
        if chat.migrated_to is not None:
            raise _bad(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    def _check_reachable(self, bot: _Bot, chat: Chat) -> None:
        if chat.id in bot.blocked:
            raise _ApiError(403, _GONE_BY_TYPE[chat.type])
        if chat.type == "private" and not chat.started:
            raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")

    def _length(self, text: str) -> int:
        return utf16_len(text) if self.length_unit == "utf16" else len(text)

    def _format(
        self, text: str, parse_mode: str | None, entities: Any
    ) -> tuple[str, list[dict[str, Any]]]:
        if parse_mode:
            mode = parse_mode.lower()
            try:
                if mode == "html":
                    plain, found = parse_html(text, strict_ampersand=self.strict_ampersand)
                elif mode == "markdownv2":
                    plain, found = parse_markdown_v2(text)
                elif mode == "markdown":
                    plain, found = parse_markdown(text)
                else:
                    raise _bad("unsupported parse_mode")
            except FormattingError as error:
                raise _bad(f"can't parse entities: {error}") from None
        else:
            plain = text
            found = list(entities) if isinstance(entities, list) else []
            total = utf16_len(text)
            for entity in found:
                if (
                    not isinstance(entity, dict)
                    or entity.get("offset", -1) < 0
                    or (entity.get("offset", 0) + entity.get("length", 0) > total)
                ):
                    raise _bad("can't parse entities: entity is out of the text")
        # Telegram trims surrounding whitespace and moves the entities with the text.
        lead = len(plain) - len(plain.lstrip())
        trimmed = plain.strip()
        shift, total = utf16_len(plain[:lead]), utf16_len(trimmed)
        moved = []
        for entity in found:
            start = max(0, entity["offset"] - shift)
            end = min(total, entity["offset"] + entity["length"] - shift)
            if end > start:
                moved.append({**entity, "offset": start, "length": end - start})
        return trimmed, moved

    def _check_flood(self, bot: _Bot, chat: Chat, now: float) -> None:
        limits = self.limits
        if not limits.enabled:
            return
        window = limits.private_window() if chat.type == "private" else limits.group
        waits = [
            self._window_wait(bot.chat_stamps.setdefault(chat.id, deque()), window, now),
            self._window_wait(bot.overall_stamps, limits.overall, now),
        ]
        wait = max(waits)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise _ApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )

    def _window_wait(self, stamps: deque[float], window: Window, now: float) -> float:
        horizon = max(0.0, window.seconds - self.limits.grace)
        while stamps and now - stamps[0] >= horizon:
            stamps.popleft()
        if len(stamps) < window.count:
            return 0.0
        return stamps[len(stamps) - window.count] + horizon - now

    def _record_sent(self, bot: _Bot, chat: Chat, now: float) -> None:
        bot.chat_stamps.setdefault(chat.id, deque()).append(now)
        bot.overall_stamps.append(now)

    def _message_json(
        self, bot: _Bot, chat: Chat, message_id: int, **content: Any
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat.to_json(),
        }
        if chat.type == "channel":
            message["sender_chat"] = chat.to_json()
        else:
            message["from"] = bot.user_json()
        message.update({k: v for k, v in content.items() if v not in (None, [])})
        return message

    def _link_preview_disabled(self, params: dict[str, Any]) -> bool:
        options = _as_json(params, "link_preview_options")
        if isinstance(options, dict) and options.get("is_disabled"):
            return True
        return _as_bool(params, "disable_web_page_preview")

    async def _send_message(
        self,
        bot: _Bot,
        params: dict[str, Any],
        files: dict[str, Any],
        received: dt.datetime,
        started: float,
    ) -> Any:
        with self._lock:
            chat = self._resolve_chat(params.get("chat_id"))
            self._check_reachable(bot, chat)
            text = _as_text(params, "text")
            if text is None or text == "":
                raise _bad("message text is empty")
            parse_mode = _as_text(params, "parse_mode")
            plain, entities = self._format(text, parse_mode, _as_json(params, "entities"))
            if not plain:
                raise _bad("message text is empty")
            if self._length(plain) > TEXT_LIMIT:
                raise _bad("message is too long")
            preview_off = self._link_preview_disabled(params)
            self._check_flood(bot, chat, started)
            self._record_sent(bot, chat, started)
            message_id = self._next_message_id(chat.id)
            result = self._message_json(bot, chat, message_id, text=plain, entities=entities)
            sent = SentMessage(
                method="sendMessage",
                chat_id=chat.id,
                text=text,
                parse_mode=parse_mode,
                received_at=received,
                message_id=message_id,
                chat_ref=_chat_ref(params["chat_id"]),
                plain_text=plain,
                entities=entities,
                link_preview_disabled=preview_off,
                photo=None,
                photo_upload=None,
                params=params,
                monotonic=started,
                bot_id=bot.id,
                result=result,
            )
            self.accepted.append(sent)
        return result

    async def _send_photo(
        self,
        bot: _Bot,
        params: dict[str, Any],
        files: dict[str, Any],
        received: dt.datetime,
        started: float,
    ) -> Any:
        with self._lock:
            chat = self._resolve_chat(params.get("chat_id"))
            self._check_reachable(bot, chat)
            upload: tuple[str, bytes] | None = None
            photo = params.get("photo")
            if isinstance(photo, str) and photo.startswith("attach://"):
                upload = files.get(photo[len("attach://") :])
                if upload is None:
                    raise _bad("there is no photo in the request")
            elif photo is None and "photo" in files:
                upload = files["photo"]
            if upload is not None:
                filename, data = upload
                if not data or not _is_image(data):
                    raise _bad("IMAGE_PROCESS_FAILED")
                photo_ref = f"upload:{filename}"
            elif isinstance(photo, str) and photo:
                if re.match(r"https?://", photo):
                    if photo in self.bad_photo_urls:
                        raise _bad("failed to get HTTP URL content")
                elif photo not in self._file_ids:
                    raise _bad("wrong file identifier/HTTP URL specified")
                photo_ref = photo
            else:
                raise _bad("there is no photo in the request")
            caption = _as_text(params, "caption") or ""
            parse_mode = _as_text(params, "parse_mode")
            plain, entities = self._format(
                caption, parse_mode, _as_json(params, "caption_entities")
            )
            if self._length(plain) > CAPTION_LIMIT:
                raise _bad("message caption is too long")
            self._check_flood(bot, chat, started)
            self._record_sent(bot, chat, started)
            message_id = self._next_message_id(chat.id)
            file_id = (
                photo_ref
                if photo_ref in self._file_ids
                else f"AgACAgUAAxkBAAI{secrets.token_hex(12)}"
            )
            sizes = []
            for suffix, width, height in (("s", 90, 60), ("m", 320, 213), ("", 1280, 853)):
                size_id = f"{file_id}{suffix}" if suffix else file_id
                self._file_ids.add(size_id)
                sizes.append(
                    {
                        "file_id": size_id,
                        "file_unique_id": f"AQAD{abs(hash(size_id)) % 10**10}",
                        "width": width,
                        "height": height,
                        "file_size": len(upload[1])
                        if upload and not suffix
                        else width * height // 8,
                    }
                )
            result = self._message_json(
                bot, chat, message_id, photo=sizes, caption=plain or None, caption_entities=entities
            )
            sent = SentMessage(
                method="sendPhoto",
                chat_id=chat.id,
                text=caption or None,
                parse_mode=parse_mode,
                received_at=received,
                message_id=message_id,
                chat_ref=_chat_ref(params["chat_id"]),
                plain_text=plain or None,
                entities=entities,
                link_preview_disabled=False,
                photo=photo_ref,
                photo_upload=upload[1] if upload else None,
                params=params,
                monotonic=started,
                bot_id=bot.id,
                result=result,
            )
            self.accepted.append(sent)
        return result

    async def _get_chat(self, bot: _Bot, params: dict[str, Any], *_: Any) -> Any:
        with self._lock:
            chat = self._resolve_chat(params.get("chat_id"))
            if chat.id in bot.blocked and chat.type != "private":
                raise _ApiError(403, _GONE_BY_TYPE[chat.type])
            return {
                **chat.to_json(),
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }

    def _confirm(self, bot: _Bot, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset > 0:
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        else:
            bot.updates = bot.updates[offset:]

    @staticmethod
    def _allowed(update: dict[str, Any], allowed: list[str] | None) -> bool:
        if not allowed:
            return not any(
                k in update for k in ("chat_member", "message_reaction", "message_reaction_count")
            )
        return any(k in update for k in allowed)

    async def _get_updates(self, bot: _Bot, params: dict[str, Any], *_: Any) -> Any:
        with self._lock:
            if bot.webhook is not None:
                raise _ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            offset = _as_int(params, "offset")
            limit = min(100, max(1, _as_int(params, "limit") or 100))
            timeout = max(0.0, _as_float(params, "timeout") or 0.0)
            if "allowed_updates" in params:
                allowed = _as_json(params, "allowed_updates")
                bot.allowed_updates = list(allowed) if allowed else None
            self._confirm(bot, offset)
            bot.poll_generation += 1
            generation = bot.poll_generation
        self._swap_wakeup()  # an older poll of this bot ends now with 409, as on Telegram
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if bot.poll_generation != generation:
                    raise _ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                found = [u for u in bot.updates if self._allowed(u, bot.allowed_updates)][:limit]
                wakeup = self._wakeup
            remaining = deadline - time.monotonic()
            if found or remaining <= 0 or self._stopping or wakeup is None:
                return found
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), remaining)

    async def _set_my_commands(self, bot: _Bot, params: dict[str, Any], *_: Any) -> Any:
        commands = _as_json(params, "commands")
        if not isinstance(commands, list):
            raise _bad('parameter "commands" is required')
        if len(commands) > 100:
            raise _bad("too many commands specified")
        clean = []
        for item in commands:
            if not isinstance(item, dict):
                raise _bad("can't parse BotCommand")
            command = str(item.get("command", "")).removeprefix("/")
            description = str(item.get("description", ""))
            if not _COMMAND_RE.match(command):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description.strip()) <= 256:
                raise _bad(
                    "command description is empty"
                    if not description.strip()
                    else "BOT_COMMAND_DESCRIPTION_INVALID"
                )
            clean.append({"command": command, "description": description})
        key = self._commands_key(params)
        with self._lock:
            bot.commands[key] = clean
        return True

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = _as_json(params, "scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad("can't parse BotCommandScope")
        language = _as_text(params, "language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language

    async def _get_my_commands(self, bot: _Bot, params: dict[str, Any], *_: Any) -> Any:
        key = self._commands_key(params)
        with self._lock:
            return list(bot.commands.get(key, []))

    async def _delete_my_commands(self, bot: _Bot, params: dict[str, Any], *_: Any) -> Any:
        key = self._commands_key(params)
        with self._lock:
            bot.commands.pop(key, None)
        return True

    async def _set_webhook(self, bot: _Bot, params: dict[str, Any], *_: Any) -> Any:
        url = _as_text(params, "url") or ""
        if not url:
            return await self._delete_webhook(bot, params)
        parts = urlsplit(url)
        if not self.allow_http_webhook:
            if parts.scheme != "https":
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            if (parts.port or 443) not in (80, 88, 443, 8443):
                raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        elif parts.scheme not in ("http", "https"):
            raise _bad("bad webhook: An HTTP or HTTPS URL must be provided for webhook")
        if not parts.hostname:
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        secret = _as_text(params, "secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise _bad("secret token contains unallowed characters")
        max_connections = _as_int(params, "max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise _bad("bad webhook: max_connections must be between 1 and 100")
        allowed = _as_json(params, "allowed_updates")
        with self._lock:
            if _as_bool(params, "drop_pending_updates"):
                bot.updates.clear()
            same = bot.webhook is not None and bot.webhook.url == url
            bot.webhook = _Webhook(url, secret, max_connections, list(allowed) if allowed else None)
            if allowed is not None:
                bot.allowed_updates = list(allowed) or None
            bot.poll_generation += 1  # a pending long poll ends with 409
            if bot.webhook_task is None or bot.webhook_task.done():
                bot.webhook_task = asyncio.get_running_loop().create_task(self._deliver(bot))
        self._swap_wakeup()
        return _Noted(True, "Webhook is already set" if same else "Webhook was set")

    async def _delete_webhook(self, bot: _Bot, params: dict[str, Any], *_: Any) -> Any:
        with self._lock:
            had = bot.webhook is not None
            bot.webhook = None
            if _as_bool(params, "drop_pending_updates"):
                bot.updates.clear()
        self._swap_wakeup()
        return _Noted(True, "Webhook was deleted" if had else "Webhook is already deleted")

    def _webhook_info(self, bot: _Bot) -> dict[str, Any]:
        hook = bot.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if urlsplit(hook.url).hostname:
                info["ip_address"] = "127.0.0.1"
            if hook.allowed_updates:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def _get_webhook_info(self, bot: _Bot, *_: Any) -> Any:
        with self._lock:
            return self._webhook_info(bot)

    async def _deliver(self, bot: _Bot) -> None:
        """Post pending updates to the webhook one at a time, in order, as Telegram does."""
        async with httpx.AsyncClient(timeout=10.0) as client:
            while not self._stopping:
                with self._lock:
                    hook = bot.webhook
                    pending = [u for u in bot.updates if self._allowed(u, bot.allowed_updates)]
                    wakeup = self._wakeup
                if hook is None:
                    bot.webhook_task = None
                    return
                if not pending:
                    if wakeup is not None:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(wakeup.wait(), 1.0)
                    continue
                update = pending[0]
                error = await self._post_update(bot, client, hook, update)
                with self._lock:
                    if error is None:
                        bot.updates = [u for u in bot.updates if u is not update]
                        continue
                    hook.last_error_date = int(time.time())
                    hook.last_error_message = error
                log.info("webhook delivery of update %s failed: %s", update["update_id"], error)
                await asyncio.sleep(self.webhook_retry_delay)

    async def _post_update(
        self, bot: _Bot, client: httpx.AsyncClient, hook: _Webhook, update: dict[str, Any]
    ) -> str | None:
        host = urlsplit(hook.url).hostname or ""
        if not _is_loopback(host):
            return "the fake delivers webhooks to loopback addresses only"
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            response = await client.post(
                hook.url, content=json.dumps(update, ensure_ascii=False).encode(), headers=headers
            )
        except httpx.TimeoutException:
            return "Read timeout expired"
        except httpx.HTTPError as error:
            return f"Connection failed: {type(error).__name__}"
        if not 200 <= response.status_code < 300:
            return (
                f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
            )
        log.info("webhook delivered update %s", update["update_id"])
        await self._webhook_reply(bot, response)
        return None

    async def _webhook_reply(self, bot: _Bot, response: httpx.Response) -> None:
        """A webhook may answer with a method call in its body; Telegram executes it."""
        if "json" not in response.headers.get("content-type", ""):
            return
        try:
            payload = response.json()
        except ValueError:
            return
        if not isinstance(payload, dict) or "method" not in payload:
            return
        params = {k: v for k, v in payload.items() if k != "method"}
        name = str(payload["method"])
        method = _METHODS.get(name.lower())
        received, started = _now(), self.clock()
        with self._lock:
            self.calls.append((name, params))
        if method is None:
            self._refuse(name, params, _ApiError(404, "Not Found"), received, started)
            return
        try:
            result = await method[1](self, bot, params, {}, received, started)
        except _ApiError as error:
            self._refuse(method[0], params, error, received, started)
        else:
            self._log_accepted(method[0], params, result)

    # ---- admin surface for manual sessions -------------------------------------------------

    async def _admin_state(self, request: Request) -> Response:
        def plain(record: Any) -> dict[str, Any]:
            data = dataclasses.asdict(record)
            data.pop("photo_upload", None)
            data.pop("result", None)
            data["received_at"] = record.received_at.isoformat()
            return data

        with self._lock:
            state = {
                "base_url": self.url,  # what config.toml takes, as printed at start
                "tokens": list(self._bots),
                "chats": [dataclasses.asdict(c) for c in self.chats.values()],
                "accepted": [plain(m) for m in self.accepted],
                "refused": [plain(r) for r in self.refused],
                "pending_updates": {t: len(b.updates) for t, b in self._bots.items()},
            }
        return JSONResponse(state)

    async def _admin_action(self, request: Request) -> Response:
        action = request.path_params["action"]
        try:
            data = await request.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        try:
            result: Any
            if action == "chats":
                result = dataclasses.asdict(
                    self.add_chat(
                        int(data["id"]),
                        data.get("type", "private"),
                        title=data.get("title"),
                        username=data.get("username"),
                        first_name=data.get("first_name"),
                        started=bool(data.get("started", True)),
                    )
                )
            elif action == "updates":
                if "update" in data:
                    result = self.queue_update(data["update"], data.get("token"))
                else:
                    result = self.queue_message(
                        int(data["chat_id"]), str(data["text"]), token=data.get("token")
                    )
            elif action == "block":
                self.block(int(data["chat_id"]), data.get("token"))
                result = True
            elif action == "unblock":
                self.unblock(int(data["chat_id"]), data.get("token"))
                result = True
            elif action == "migrate":
                result = self.migrate(int(data["chat_id"]), data.get("new_chat_id"))
            elif action == "fail_next":
                self.fail_next(
                    int(data.get("count", 1)), str(data.get("fault", "500")), data.get("methods")
                )
                result = True
            elif action == "faults":
                self.set_faults(
                    float(data.get("probability", 0)),
                    data.get("faults", ("500", "502")),
                    seed=int(data.get("seed", 0)),
                    methods=data.get("methods"),
                )
                result = True
            elif action == "reset":
                self.reset()
                result = True
            else:
                return self._error_response(404, "Not Found")
        except (KeyError, TypeError, ValueError) as error:
            return self._error_response(400, f"Bad Request: {error}")
        return JSONResponse({"ok": True, "result": result})


_Handler = Callable[..., Any]
_METHODS: dict[str, tuple[str, _Handler]] = {
    name.lower(): (name, handler)
    for name, handler in (
        ("getMe", FakeTelegram._get_me),
        ("sendMessage", FakeTelegram._send_message),
        ("sendPhoto", FakeTelegram._send_photo),
        ("getChat", FakeTelegram._get_chat),
        ("getUpdates", FakeTelegram._get_updates),
        ("setMyCommands", FakeTelegram._set_my_commands),
        ("getMyCommands", FakeTelegram._get_my_commands),
        ("deleteMyCommands", FakeTelegram._delete_my_commands),
        ("setWebhook", FakeTelegram._set_webhook),
        ("deleteWebhook", FakeTelegram._delete_webhook),
        ("getWebhookInfo", FakeTelegram._get_webhook_info),
    )
}
"""Bot API method names are case-insensitive; the value keeps the documented spelling."""


# --------------------------------------------------------------------------------------------
# Command line


def _parse_chat(spec: str) -> tuple[int, ChatType, str | None, str | None]:
    """private:ID[:name] | group:ID[:title] | supergroup:ID[:title] | channel:@name:ID[:title]"""
    kind, _, rest = spec.partition(":")
    if kind not in ("private", "group", "supergroup", "channel"):
        raise argparse.ArgumentTypeError(f"unknown chat type in {spec!r}")
    username = None
    if rest.startswith("@"):
        username, _, rest = rest.partition(":")
    number, _, name = rest.partition(":")
    try:
        chat_id = int(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"chat id missing in {spec!r}") from None
    return chat_id, kind, username, name or None  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.telegram",
        description="A strict local fake of the Telegram Bot API for trying loa by hand.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "A chat member writes to the bot (chat -2001 is one of the chats printed at start):\n"
            "  curl -s http://127.0.0.1:8081/_fake/updates -H 'Content-Type: application/json' \\\n"
            '    -d \'{"chat_id": -2001, "text": "/upcoming"}\'\n'
            "What was sent and answered: curl -s http://127.0.0.1:8081/_fake/state\n"
            "Every admin action: python -m pydoc tests.fakes.telegram"
        ),
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument(
        "--token", action="append", help=f"a valid bot token (repeatable; default {DEFAULT_TOKEN})"
    )
    parser.add_argument(
        "--chat",
        action="append",
        type=_parse_chat,
        default=[],
        help="private:ID[:name] | group:ID[:title] | supergroup:ID[:title] | channel:@name:ID[:title]",
    )
    parser.add_argument(
        "--private-burst", type=int, default=0, help="extra back-to-back messages per private chat"
    )
    parser.add_argument("--no-limits", action="store_true", help="do not enforce flood limits")
    parser.add_argument(
        "--allow-http-webhook", action="store_true", help="accept http:// webhooks on any port"
    )
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="probability of a 500/502 answer"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--echo-url", action="store_true", help="error descriptions end with the request URL"
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    limits = RateLimits(enabled=not args.no_limits, private_burst=args.private_burst)
    fake = FakeTelegram(
        args.token or [DEFAULT_TOKEN],
        host=args.host,
        port=args.port,
        limits=limits,
        allow_http_webhook=args.allow_http_webhook,
        echo_request_url=args.echo_url,
    )
    chats = args.chat or [
        (1001, "private", None, "Lan"),
        (-2001, "group", None, "Nhóm Văn phòng"),
        (-1001000000001, "supergroup", None, "Nhóm Sở"),
        (-1001000000002, "channel", "loa_kenh_thu", "Kênh tỉnh"),
    ]
    for chat_id, kind, username, name in chats:
        if kind == "private":
            fake.add_chat(chat_id, kind, first_name=name, username=username)
        else:
            fake.add_chat(chat_id, kind, title=name, username=username)
    if args.fault_rate:
        fake.set_faults(args.fault_rate, seed=args.seed)

    async def run() -> None:
        await fake.start(handle_signals=True)
        # what config.toml's base_url takes: loa adds /bot<token>/<method> itself
        print(f'Fake Telegram Bot API: base_url = "{fake.url}"', flush=True)
        for token in fake._bots:
            print(f"  token {token}", flush=True)
        for chat in fake.chats.values():
            at = f" @{chat.username}" if chat.username else ""
            print(
                f"  chat {chat.id} {chat.type}{at} {chat.title or chat.first_name or ''}",
                flush=True,
            )
        print(f"  admin: GET {fake.url}/_fake/state, POST {fake.url}/_fake/updates ...", flush=True)
        await fake.serve_until_stopped()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
