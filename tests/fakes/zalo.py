"""Strict local fakes of the Zalo platforms loa publishes to.

Three servers, each on its own port of 127.0.0.1, like the three real hosts (so a client that
mixes up its base URLs fails here as it would in production):

- ``FakeZalo.base_url``: the Zalo Official Account Open API (``openapi.zalo.me``):
  ``POST /v3.0/oa/message/cs``, ``/v3.0/oa/message/transaction``, ``/v3.0/oa/message/promotion``,
  ``POST /v2.0/oa/upload/image``, ``GET /v2.0/oa/getoa``.
- ``FakeZalo.oauth_url``: Zalo OAuth v4 (``oauth.zaloapp.com``): ``POST /v4/oa/access_token``
  with ``grant_type=refresh_token``.
- ``FakeZalo.bot_base_url``: the Zalo Bot API (``bot-api.zaloplatforms.com``, formerly
  ``bot-api.zapps.me``): ``/bot<TOKEN>/<method>``.

Use it from async tests::

    async with FakeZalo(clock=FakeClock()) as fake:
        fake.add_follower("2512523625412515", last_interaction=timedelta(hours=1))
        refresh_token = fake.issue_refresh_token()
        ...  # point the client at fake.base_url / fake.oauth_url / fake.bot_base_url
        assert fake.accepted[0].text == "..."

from sync tests (a daemon under test running as a subprocess) with ``with fake.in_thread():``,
and alone with ``python -m tests.fakes.zalo --port 8700``. Run alone, the fake is driven through
``/__fake__/<action>`` on the OA port (JSON bodies), so a person can play the users:

- ``GET /__fake__/state``: what was accepted and refused, renewals, usage;
- ``POST /__fake__/bot-update`` ``{"chat_id": "6ede9afa66b88fe6d6a9", "text": "/upcoming"}``:
  a user writes to the Zalo bot (taken by getUpdates, or sent to its webhook if one is set)::

      curl -s http://127.0.0.1:8700/__fake__/bot-update -H 'Content-Type: application/json' \\
        -d '{"chat_id": "6ede9afa66b88fe6d6a9", "text": "/upcoming"}'

- ``POST /__fake__/user`` ``{"user_id": "...", "follower": true, "last_interaction_seconds_ago":
  60}``: an OA follower; ``/__fake__/chat`` ``{"chat_id": "..."}``: a bot chat;
- ``POST /__fake__/expire-access-token``, ``/__fake__/faults`` ``{"rate": 0.2, "seed": 1}``.

What the fake does and where each behaviour comes from
--------------------------------------------------------
[doc]  read in Zalo's documentation or in public copies of it (docs.zaloplatforms.com /
       developers.zalo.me, quoted by several projects); [seen] reported from the live
       platform by at least one public project; [assumed] not found anywhere: a plausible
       choice, made configurable where a client could depend on it.

Official Account API
- Every answer is HTTP 200 with an envelope ``{"error": 0, "message": "Success", "data": ...}``
  or ``{"error": <negative>, "message": ...}`` [doc]. The token is the ``access_token`` header
  [doc]; this fake does not accept it in the query string.
- -216 "Access token is invalid" for an unknown, revoked or missing token [doc]; an expired one
  also answers -216 ("Access token has expired" [seen]); ``expired_token_error=-220``
  ("access_token is expired or removed", also in the code table [doc]) switches that.
- Access tokens live 25 h (``expires_in: "90000"``, a string) [doc]; refresh tokens 3 months and
  single-use: using one invalidates it and returns a new pair [doc]; the previous access token
  stops working when a new one is minted [seen, reported as documented]
  (``revoke_old_access_token``).
- ``message/cs`` text up to 2,000 characters [doc]; this fake counts UTF-16 code units, like
  Zalo's own Bot docs do for styles [assumed]. Over the limit answers -210 "Parameter exceeds
  allowable limit", an empty or malformed field -201 "<field> is invalid!" [code texts doc,
  which code Zalo uses for the length: assumed].
- The consultation (``cs``) window: free within 48 h of the user's last interaction [doc]; since
  2026 Zalo no longer blocks replies after 48 h, it bills them [doc, per a public report], and the
  hard limit is 7 days: -230 "User has not interacted with the OA in the past 7 days" [doc];
  -232 when the user never interacted [assumed; the text is in the code table]. Here a ``cs``
  sent between 48 h and ``cs_window`` (default 7 days) counts against the OA's quotas; set
  ``cs_window=timedelta(hours=48)`` to refuse everything after 48 h with -230.
- ``transaction`` and ``promotion`` need a follower: -213 "User has not followed OA" [code doc,
  rule assumed]. They and paid ``cs`` count against ``monthly_quota`` / ``daily_quota`` (reset at
  00:00 Asia/Ho_Chi_Minh, monthly on the 1st [doc: 1,000 free proactive messages a month for a
  verified OA]); over quota answers -211 "Out of quota" [code doc, use assumed].
  ``promotion_per_user_daily`` / ``_monthly`` cap what one follower receives: -218 "Out of quota
  receive" [code doc, use assumed].
- Real ``transaction`` / ``promotion`` messages are templates (``template_type``
  ``transaction_*`` / ``promotion`` with header/text/table/banner elements) [doc]; this fake also
  accepts plain text and ``media`` there unless ``strict_templates=True`` (then -233 "message type
  is invalid or not support") [assumed].
- A banned/inactive user answers -227, a user who restricted a message type -244, a night-banned
  type (``night_ban_apis``, 22:00-06:00) -234, an app over ``oa_rate_limit_per_minute`` -32
  [code texts doc, triggers assumed]. User ids are digit strings [doc examples]; anything else is
  -201 "user_id is invalid!"; a well-formed id the OA has never seen answers like a user who never
  interacted (-232 for ``cs``, -213 otherwise) [assumed].
- ``upload/image``: multipart field ``file``, JPG or PNG up to 1 MB, kept 7 days [doc, via an SDK];
  the ``attachment_id`` goes in ``{"attachment": {"type": "template", "payload":
  {"template_type": "media", "elements": [{"media_type": "image", "attachment_id": ...}]}}}``
  [doc]; an expired id answers -100 "attachment_id was expired" [code doc].
- An unknown path answers ``{"error": 404, "message": "You are accessing an empty or invalid
  API"}`` [seen; status 200 assumed].
- Webhook events (what Zalo POSTs to the OA's webhook URL; ``FakeZalo.oa_webhook_event``):
  JSON with ``app_id``, ``event_name`` (``user_send_text``, ``user_send_image``, ``follow``...),
  ``sender``/``recipient`` (or ``follower`` for ``follow``), ``message`` and ``timestamp`` (ms,
  a string) [doc examples], signed ``X-ZEvent-Signature: mac=<sha256 hex of app_id + raw body +
  timestamp + OA secret key>`` [doc]; the OA secret key is not the app's secret key [doc].

OAuth v4
- ``POST /v4/oa/access_token``, form fields ``refresh_token``, ``app_id``,
  ``grant_type=refresh_token``, header ``secret_key`` [doc]; parameters in the query string are
  accepted too [assumed]. Success: ``{"access_token", "refresh_token", "expires_in": "90000"}``
  [doc]; ``expires_in_type="number"`` answers a number instead.
- Errors are HTTP 200 with ``{"error", "error_name", "error_description", "error_reason",
  "ref_doc"}`` [seen]: -14002 "Invalid appId" [seen], -14004 secret key [seen], -14018 grant type
  [seen], -14014 "Invalid refresh token" for an unknown, expired or already used refresh token
  [seen in many integrations; no official table found]. One project saw an EMPTY HTTP 200 body for
  an already used refresh token: ``reused_refresh_answer="empty"``.

Zalo Bot API
- ``/bot<TOKEN>/<method>``, JSON (or form/query) parameters, answers ``{"ok": true, "result"}`` or
  ``{"ok": false, "error_code", "description"}`` [doc]. ``getUpdates`` with nothing to return
  answers ``{"ok": false, "error_code": 408, "description": "Request timeout"}`` with HTTP 200
  after the ``timeout`` asked for [seen, measured]. Whether other errors come with HTTP 200 or with
  their status was not found: ``bot_error_status="200"`` (default; clients must check ``ok``) or
  ``"mirror"`` (HTTP status = error_code).
- ``getUpdates`` has NO ``offset``: each call takes ONE update (an object, not a list) off the
  server's queue, and reading it consumes it [doc]; ``offset`` is ignored here. It does not work
  while a webhook is set [doc]: 409 here [code assumed].
- ``sendMessage`` text 1..2,000 characters [doc]: otherwise 400 [assumed]. ``sendPhoto`` takes a
  public http(s) URL: "The photo must not be empty" / "The photo must start with http:// or
  https://" [seen]. ``setWebhook`` needs an HTTPS url and a ``secret_token`` of 8..256 characters,
  sent back in ``X-Bot-Api-Secret-Token`` on every delivery of ``{"ok": true, "result": update}``
  [doc]. An unknown token: 401 "Unauthorized" [assumed; one project saw a non-JSON answer:
  ``bot_unknown_token="html"``]. Rate limiting: 429 with ``parameters.retry_after`` [assumed,
  Telegram-like; Zalo's limits are not published].
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import hashlib
import json
import logging
import math
import random
import re
import secrets
import signal
import socket
import sys
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HOST = "127.0.0.1"

TEXT_LIMIT = 2000
IMAGE_LIMIT = 1024 * 1024
UPLOAD_TTL = timedelta(days=7)

# Official Account API codes (texts as in Zalo's code table; see the module docstring).
OA_RATE_LIMITED = -32
OA_ATTACHMENT_EXPIRED = -100
OA_INVALID_PARAM = -201
OA_PARAM_TOO_LONG = -210
OA_OUT_OF_QUOTA = -211
OA_NOT_FOLLOWER = -213
OA_TOKEN_INVALID = -216
OA_OUT_OF_QUOTA_RECEIVE = -218
OA_TOKEN_EXPIRED = -220
OA_USER_BANNED = -227
OA_NO_INTERACTION_7_DAYS = -230
OA_NO_INTERACTION = -232
OA_MESSAGE_TYPE_INVALID = -233
OA_NIGHT_BAN = -234
OA_USER_RESTRICTED = -244

OA_MESSAGES: dict[int, str] = {
    OA_RATE_LIMITED: "Your application reached limit call api",
    OA_ATTACHMENT_EXPIRED: "attachment_id was expired",
    OA_PARAM_TOO_LONG: "Parameter exceeds allowable limit",
    OA_OUT_OF_QUOTA: "Out of quota",
    OA_NOT_FOLLOWER: "User has not followed OA",
    OA_TOKEN_INVALID: "Access token is invalid",
    OA_OUT_OF_QUOTA_RECEIVE: "Out of quota receive",
    OA_TOKEN_EXPIRED: "access_token is expired or removed",
    OA_USER_BANNED: "User is banned or has been inactive for more than 45 days",
    OA_NO_INTERACTION_7_DAYS: "User has not interacted with the OA in the past 7 days",
    OA_NO_INTERACTION: "User has not interacted with the OA, or the last interaction has expired",
    OA_MESSAGE_TYPE_INVALID: "message type is invalid or not support",
    OA_NIGHT_BAN: "This message cannot be sent at night (10:00PM - 6:00AM)",
    OA_USER_RESTRICTED: "User has restricted this message type from your OA",
}

# OAuth v4 codes.
OAUTH_INVALID_APP_ID = -14002
OAUTH_INVALID_SECRET_KEY = -14004
OAUTH_INVALID_REFRESH_TOKEN = -14014
OAUTH_INVALID_GRANT_TYPE = -14018

OAUTH_NAMES: dict[int, str] = {
    OAUTH_INVALID_APP_ID: "Invalid appId",
    OAUTH_INVALID_SECRET_KEY: "Invalid secret key",
    OAUTH_INVALID_REFRESH_TOKEN: "Invalid refresh token",
    OAUTH_INVALID_GRANT_TYPE: "Invalid grant type",
}

# Zalo Bot API codes.
BOT_BAD_REQUEST = 400
BOT_UNAUTHORIZED = 401
BOT_NOT_FOUND = 404
BOT_POLL_TIMEOUT = 408
BOT_CONFLICT = 409
BOT_TOO_MANY_REQUESTS = 429

OA_APIS = ("cs", "transaction", "promotion")
FAULT_KINDS = ("500", "502", "503", "504", "hang", "drop", "drop_after", "delay")
SERVICES = ("oa", "oauth", "bot")
ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

_DIGITS = re.compile(r"^\d{1,24}$")
_GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n"
    "<center><h1>{status}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_STATUS_TEXT = {
    "500": "500 Internal Server Error",
    "502": "502 Bad Gateway",
    "503": "503 Service Temporarily Unavailable",
    "504": "504 Gateway Time-out",
}


# --------------------------------------------------------------------------------------------
# Clock and records
# --------------------------------------------------------------------------------------------


class FakeClock:
    """The fake's notion of now (aware, UTC). Ticks with real time plus an offset by default;
    ``tick=False`` freezes it. ``advance()`` moves it forward, ``set()`` jumps to an instant."""

    def __init__(self, start: datetime | None = None, *, tick: bool = True) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._lock = threading.Lock()
        self._tick = tick
        real = datetime.now(UTC)
        self._offset = (start - real) if start is not None else timedelta(0)
        self._frozen = (start or real).astimezone(UTC)

    def now(self) -> datetime:
        with self._lock:
            if self._tick:
                return datetime.now(UTC) + self._offset
            return self._frozen

    __call__ = now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._offset += delta
            self._frozen += delta
        return self.now()

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        with self._lock:
            self._offset = when - datetime.now(UTC)
            self._frozen = when.astimezone(UTC)


@dataclass
class Delivery:
    """A message the fake accepted."""

    platform: str  # "oa" | "bot"
    api: str  # "cs" | "transaction" | "promotion" | "sendMessage" | "sendPhoto" | ...
    recipient: str  # OA user_id or bot chat_id
    text: str | None  # the text, the caption, or the header/text elements of a template
    time: datetime
    message_id: str
    attachment: dict[str, Any] | None = None
    quota_type: str | None = None  # OA: "reply" (free) or "sub_quota" (counted)
    payload: Any = None  # the request body as received
    response_lost: bool = False  # accepted, but the answer was dropped (fault "drop_after")


@dataclass
class Refusal:
    """A request the fake answered with an error (faults are in ``.faults``)."""

    platform: str  # "oa" | "oauth" | "bot"
    api: str
    recipient: str | None
    text: str | None
    time: datetime
    error: int
    message: str
    http_status: int = 200


@dataclass
class Renewal:
    """A successful ``/v4/oa/access_token`` call."""

    time: datetime
    used_refresh_token: str
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass
class FaultEvent:
    time: datetime
    service: str
    path: str
    kind: str


@dataclass
class WebhookDelivery:
    time: datetime
    url: str
    body: dict[str, Any]
    status: int | None
    error: str | None


@dataclass
class _AccessToken:
    value: str
    issued_at: datetime
    expires_at: datetime
    revoked: bool = False


@dataclass
class _RefreshToken:
    value: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass
class _User:
    user_id: str
    follower: bool
    last_interaction: datetime | None
    display_name: str
    banned: bool = False
    restricted: set[str] = field(default_factory=set)


@dataclass
class _Upload:
    attachment_id: str
    uploaded_at: datetime
    content_type: str
    size: int
    filename: str


@dataclass
class _Chat:
    chat_id: str
    chat_type: str
    display_name: str


@dataclass
class _Bot:
    token: str
    bot_id: str
    name: str
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_updated_at: int = 0
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    changed: asyncio.Event | None = None
    forced_429: list[int] = field(default_factory=list)


@dataclass
class _FaultPlan:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    services: tuple[str, ...]


class _Refused(Exception):
    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message if message is not None else OA_MESSAGES.get(code, "Error")


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def oa_event_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """``X-ZEvent-Signature`` of an OA webhook event, as Zalo computes it [doc]."""
    raw = app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()
    return "mac=" + hashlib.sha256(raw).hexdigest()


def _when(clock_now: datetime, value: datetime | timedelta | None) -> datetime | None:
    """A datetime as is; a timedelta as "that long ago"; None as never."""
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("use aware datetimes")
        return value
    return clock_now - value


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def _parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, str, bytes]]:
    """Fields of a multipart/form-data body: name -> (filename, content type, bytes)."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.lower().startswith("multipart/form-data") or not found:
        return {}
    delimiter = b"--" + found.group(1).encode("latin-1")
    fields: dict[str, tuple[str | None, str, bytes]] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        data = data.removesuffix(b"\r\n")
        headers = head.decode("utf-8", "replace")
        name = re.search(r'name="([^"]*)"', headers)
        if not name:
            continue
        filename = re.search(r'filename="([^"]*)"', headers)
        ctype = re.search(r"(?im)^content-type:\s*([^\r\n;]+)", headers)
        fields[name.group(1)] = (
            filename.group(1) if filename else None,
            ctype.group(1).strip() if ctype else "",
            data,
        )
    return fields


_DROPPING: contextvars.ContextVar[bool] = contextvars.ContextVar("fake_zalo_drop", default=False)


class _DropNoiseFilter(logging.Filter):
    """Silences uvicorn's complaint about the responses this fake cuts on purpose (only those:
    the flag lives in the context of the request being cut)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_DROPPING.get() and "without completing response" in record.getMessage())


def _install_drop_filter() -> None:
    target = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropNoiseFilter) for f in target.filters):
        target.addFilter(_DropNoiseFilter())


class _BrokenResponse(Response):
    """Starts an answer and cuts the connection: the client sees a network error."""

    def __init__(self, wait: Callable[[], Awaitable[None]] | None = None) -> None:
        super().__init__(b"", status_code=200)
        self._wait = wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._wait is not None:
            await self._wait()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"error":', "more_body": True})
        _DROPPING.set(True)
        # Returning now makes uvicorn close the socket mid-body.


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers: the fake runs inside someone else's process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LocalServer:
    """One ASGI app served by uvicorn on 127.0.0.1 inside the running event loop.

    Also handy for a test's own webhook receiver: ``url = await LocalServer(app).start()``."""

    def __init__(self, app: ASGIApp, *, port: int = 0, graceful_seconds: float = 2.0) -> None:
        self.app = app
        self.port = port
        self._graceful = graceful_seconds
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def start(self) -> str:
        _install_drop_filter()
        # IPPROTO_TCP explicitly: asyncio then sets TCP_NODELAY on accepted connections (with
        # proto 0 it does not, and every answer waits ~40 ms for a delayed ACK).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            timeout_graceful_shutdown=max(1, math.ceil(self._graceful)),
        )
        self._server = _QuietServer(config)
        self._task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the fake server stopped while starting")
            await asyncio.sleep(0.005)
        return self.url

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self._graceful + 3)
        except TimeoutError:
            self._server.force_exit = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._server = None
        self._task = None


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


_UNSET: Any = object()


class FakeZalo:
    """Local fakes of Zalo OA Open API, OAuth v4 and the Zalo Bot API (see the module docstring).

    Test hooks: ``accepted``, ``refused``, ``renewals``, ``faults``, ``webhook_deliveries``
    (lists, oldest first); ``clock``; methods to add users and chats, set interactions, issue
    and expire tokens, set quotas, push bot updates and inject faults."""

    def __init__(
        self,
        *,
        clock: FakeClock | Callable[[], datetime] | None = None,
        oa_id: str = "1763498243871352906",
        oa_name: str = "Văn phòng UBND tỉnh (thử nghiệm)",
        app_id: str = "4318720573429481302",
        secret_key: str | None = None,
        oa_secret_key: str | None = None,
        access_token_lifetime: timedelta = timedelta(hours=25),
        refresh_token_lifetime: timedelta = timedelta(days=90),
        expires_in_type: Literal["string", "number"] = "string",
        revoke_old_access_token: bool = True,
        reused_refresh_answer: Literal["error", "empty"] = "error",
        expired_token_error: int = OA_TOKEN_INVALID,
        cs_free_window: timedelta = timedelta(hours=48),
        cs_window: timedelta = timedelta(days=7),
        monthly_quota: int | None = None,
        daily_quota: int | None = None,
        promotion_per_user_daily: int | None = None,
        promotion_per_user_monthly: int | None = None,
        night_ban_apis: Sequence[str] = (),
        strict_templates: bool = False,
        oa_rate_limit_per_minute: int | None = None,
        bot_token: str | None = None,
        bot_name: str = "Bot Loa Thử Nghiệm",
        bot_error_status: Literal["200", "mirror"] = "200",
        bot_unknown_token: Literal["json", "html"] = "json",
        bot_rate_limit: tuple[int, float] | None = None,
        allow_http_webhooks: bool = False,
        max_poll_seconds: float = 60.0,
        hang_seconds: float = 300.0,
        delay_seconds: float = 2.0,
        oa_port: int = 0,
        oauth_port: int = 0,
        bot_port: int = 0,
        echo_request: bool = False,
    ) -> None:
        if isinstance(clock, FakeClock):
            self.clock: FakeClock | None = clock
            self._now: Callable[[], datetime] = clock.now
        elif clock is not None:
            self.clock = None
            self._now = clock
        else:
            self.clock = FakeClock()
            self._now = self.clock.now
        self.oa_id = oa_id
        self.oa_name = oa_name
        self.app_id = app_id
        self.secret_key = secret_key or secrets.token_urlsafe(15)
        self.oa_secret_key = oa_secret_key or secrets.token_urlsafe(15)  # signs webhook events
        self.access_token_lifetime = access_token_lifetime
        self.refresh_token_lifetime = refresh_token_lifetime
        self.expires_in_type = expires_in_type
        self.revoke_old_access_token = revoke_old_access_token
        self.reused_refresh_answer = reused_refresh_answer
        self.expired_token_error = expired_token_error
        self.cs_free_window = cs_free_window
        self.cs_window = cs_window
        self.monthly_quota = monthly_quota
        self.daily_quota = daily_quota
        self.promotion_per_user_daily = promotion_per_user_daily
        self.promotion_per_user_monthly = promotion_per_user_monthly
        self.night_ban_apis = tuple(night_ban_apis)
        self.strict_templates = strict_templates
        self.oa_rate_limit_per_minute = oa_rate_limit_per_minute
        self.bot_error_status = bot_error_status
        self.bot_unknown_token = bot_unknown_token
        self.bot_rate_limit = bot_rate_limit
        self.allow_http_webhooks = allow_http_webhooks
        self.max_poll_seconds = max_poll_seconds
        self.hang_seconds = hang_seconds
        self.delay_seconds = delay_seconds
        self.echo_request = echo_request
        """Every error answer ends with the request's method, URL and access_token header (the
        header lowercased), as a careless gateway would; may be switched at any time."""

        self.accepted: list[Delivery] = []
        self.refused: list[Refusal] = []
        self.renewals: list[Renewal] = []
        self.faults: list[FaultEvent] = []
        self.webhook_deliveries: list[WebhookDelivery] = []

        self._lock = threading.RLock()
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, _RefreshToken] = {}
        self._users: dict[str, _User] = {}
        self._uploads: dict[str, _Upload] = {}
        self._usage: dict[tuple[str, ...], int] = {}
        self._oa_calls: deque[datetime] = deque()
        self._bots: dict[str, _Bot] = {}
        self._chats: dict[str, _Chat] = {}
        self._bot_sends: dict[tuple[str, str], deque[datetime]] = {}
        self._fault_plan: _FaultPlan | None = None
        self._scripted: list[list[Any]] = []  # [kind, remaining, service or None]

        self._ports = {"oa": oa_port, "oauth": oauth_port, "bot": bot_port}
        self._servers: dict[str, LocalServer] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._thread: threading.Thread | None = None
        self._thread_stop: asyncio.Event | None = None

        self.bot_token = self.add_bot(bot_token, name=bot_name)

    # ---------------------------------------------------------------- lifecycle and URLs

    @property
    def base_url(self) -> str:
        """Root of the OA Open API (like https://openapi.zalo.me)."""
        return self._url("oa")

    @property
    def oauth_url(self) -> str:
        """Root of OAuth v4 (like https://oauth.zaloapp.com)."""
        return self._url("oauth")

    @property
    def access_token_url(self) -> str:
        return self.oauth_url + "/v4/oa/access_token"

    @property
    def bot_base_url(self) -> str:
        """Root of the Zalo Bot API (like https://bot-api.zaloplatforms.com)."""
        return self._url("bot")

    def bot_url(self, method: str, token: str | None = None) -> str:
        return f"{self.bot_base_url}/bot{token or self.bot_token}/{method}"

    def _url(self, service: str) -> str:
        server = self._servers.get(service)
        if server is None:
            raise RuntimeError("FakeZalo is not started")
        return server.url

    async def start(self) -> FakeZalo:
        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        apps = {"oa": self._oa_app(), "oauth": self._oauth_app(), "bot": self._bot_app()}
        try:
            for service, app in apps.items():
                server = LocalServer(app, port=self._ports[service])
                await server.start()
                self._servers[service] = server
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self) -> None:
        if self._closing is not None:
            self._closing.set()
        with self._lock:
            for bot in self._bots.values():
                if bot.changed is not None:
                    bot.changed.set()
        await asyncio.gather(*(server.stop() for server in self._servers.values()))
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def __aenter__(self) -> FakeZalo:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_in_thread(self) -> FakeZalo:
        """Run the servers on an event loop of their own in a daemon thread (for sync tests)."""
        ready = threading.Event()
        errors: list[BaseException] = []

        async def main() -> None:
            self._thread_stop = asyncio.Event()
            try:
                await self.start()
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            await self._thread_stop.wait()
            await self.stop()

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        self._thread.start()
        if not ready.wait(15):
            raise RuntimeError("FakeZalo did not start")
        if errors:
            raise errors[0]
        return self

    def stop_thread(self) -> None:
        if self._thread is None or self._loop is None or self._thread_stop is None:
            return
        self._loop.call_soon_threadsafe(self._thread_stop.set)
        self._thread.join(15)
        self._thread = None

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[FakeZalo]:
        self.start_in_thread()
        try:
            yield self
        finally:
            self.stop_thread()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        loop = self._loop
        if loop is None:
            raise RuntimeError("FakeZalo is not started")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task: asyncio.Future[Any] = loop.create_task(coro)
        else:
            task = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop), loop=loop)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _wake(self, bot: _Bot) -> None:
        event, loop = bot.changed, self._loop
        if event is None or loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)

    def now(self) -> datetime:
        return self._now()

    # ---------------------------------------------------------------- test hooks: OA side

    def add_user(
        self,
        user_id: str | int,
        *,
        follower: bool = True,
        last_interaction: datetime | timedelta | None = None,
        display_name: str = "Người dùng thử",
    ) -> str:
        """A user the OA knows. ``last_interaction``: when the user last messaged/tapped the OA
        (a timedelta means "that long ago"; None: never)."""
        uid = str(user_id)
        with self._lock:
            self._users[uid] = _User(
                uid, follower, _when(self._now(), last_interaction), display_name
            )
        return uid

    def add_follower(
        self, user_id: str | int, *, last_interaction: datetime | timedelta | None = None
    ) -> str:
        return self.add_user(user_id, follower=True, last_interaction=last_interaction)

    def set_last_interaction(self, user_id: str | int, when: datetime | timedelta | None) -> None:
        with self._lock:
            self._user(user_id).last_interaction = _when(self._now(), when)

    def user_interacts(self, user_id: str | int) -> None:
        """The user just sent the OA a message."""
        self.set_last_interaction(user_id, timedelta(0))

    def unfollow(self, user_id: str | int) -> None:
        with self._lock:
            self._user(user_id).follower = False

    def follow(self, user_id: str | int) -> None:
        with self._lock:
            self._user(user_id).follower = True

    def ban(self, user_id: str | int, banned: bool = True) -> None:
        """The user's account is banned or inactive: every send answers -227."""
        with self._lock:
            self._user(user_id).banned = banned

    def restrict(self, user_id: str | int, *apis: str) -> None:
        """The user refuses these message types (``cs``, ``transaction``, ``promotion``): -244."""
        with self._lock:
            self._user(user_id).restricted.update(apis or OA_APIS)

    def _user(self, user_id: str | int) -> _User:
        try:
            return self._users[str(user_id)]
        except KeyError:
            raise KeyError(f"unknown user {user_id!r}: add_user() first") from None

    def set_quota(
        self,
        *,
        monthly: int | None = _UNSET,
        daily: int | None = _UNSET,
        promotion_per_user_daily: int | None = _UNSET,
        promotion_per_user_monthly: int | None = _UNSET,
    ) -> None:
        """Quotas of counted messages (None: unlimited); arguments left out stay as they are."""
        with self._lock:
            if monthly is not _UNSET:
                self.monthly_quota = monthly
            if daily is not _UNSET:
                self.daily_quota = daily
            if promotion_per_user_daily is not _UNSET:
                self.promotion_per_user_daily = promotion_per_user_daily
            if promotion_per_user_monthly is not _UNSET:
                self.promotion_per_user_monthly = promotion_per_user_monthly

    def usage(self) -> dict[str, int]:
        """Counted (billable) OA messages this VN month and day."""
        local = self._now().astimezone(VN)
        with self._lock:
            return {
                "month": self._usage.get(("m", local.strftime("%Y-%m")), 0),
                "day": self._usage.get(("d", local.strftime("%Y-%m-%d")), 0),
            }

    def issue_refresh_token(self) -> str:
        """A fresh refresh token, as an OA admin's authorization gives (the first one)."""
        with self._lock:
            return self._new_refresh(self._now()).value

    def issue_token_pair(self) -> tuple[str, str]:
        """(access_token, refresh_token) without going through OAuth (not recorded as renewal)."""
        with self._lock:
            now = self._now()
            return self._new_access(now).value, self._new_refresh(now).value

    @property
    def current_access_token(self) -> str | None:
        with self._lock:
            now = self._now()
            live = [t for t in self._access.values() if not t.revoked and t.expires_at > now]
            return max(live, key=lambda t: t.issued_at).value if live else None

    @property
    def current_refresh_token(self) -> str | None:
        with self._lock:
            now = self._now()
            live = [t for t in self._refresh.values() if t.used_at is None and t.expires_at > now]
            return max(live, key=lambda t: t.issued_at).value if live else None

    def expire_access_token(self, token: str | None = None) -> None:
        """Make this access token (default: every one) expire now."""
        with self._lock:
            now = self._now() - timedelta(microseconds=1)
            for record in self._access.values():
                if token is None or record.value == token:
                    record.expires_at = min(record.expires_at, now)

    def revoke_access_token(self, token: str | None = None) -> None:
        with self._lock:
            for record in self._access.values():
                if token is None or record.value == token:
                    record.revoked = True

    def expire_refresh_token(self, token: str | None = None) -> None:
        with self._lock:
            now = self._now() - timedelta(microseconds=1)
            for record in self._refresh.values():
                if token is None or record.value == token:
                    record.expires_at = min(record.expires_at, now)

    def _new_access(self, now: datetime) -> _AccessToken:
        token = _AccessToken(secrets.token_urlsafe(150), now, now + self.access_token_lifetime)
        self._access[token.value] = token
        return token

    def _new_refresh(self, now: datetime) -> _RefreshToken:
        token = _RefreshToken(secrets.token_urlsafe(150), now, now + self.refresh_token_lifetime)
        self._refresh[token.value] = token
        return token

    def oa_webhook_event(
        self,
        user_id: str | int,
        text: str | None = None,
        *,
        event_name: str = "user_send_text",
        timestamp: datetime | None = None,
        oa_secret_key: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """What Zalo POSTs to the OA's webhook when a user acts: (raw body, headers), signed
        with ``oa_secret_key`` (default: this OA's) at ``timestamp`` (default: now). A
        ``user_send_*`` event is also the user's interaction with the OA (it opens the
        consultation window), when the fake knows the user."""
        uid = str(user_id)
        now = self._now()
        when = timestamp or now
        stamp = str(_ms(when))
        event: dict[str, Any] = {"app_id": self.app_id, "event_name": event_name}
        if event_name == "follow" or event_name == "unfollow":
            event |= {"oa_id": self.oa_id, "follower": {"id": uid}, "source": "oa_profile"}
        else:
            event |= {"sender": {"id": uid}, "recipient": {"id": self.oa_id}}
            message: dict[str, Any] = {"msg_id": secrets.token_hex(16)}
            if text is not None:
                message["text"] = text
            if event_name == "user_send_image":
                image = {"url": "https://photo.example.vn/a.jpg", "thumbnail": ""}
                message["attachments"] = [{"type": "image", "payload": image}]
            event["message"] = message
        event |= {"user_id_by_app": uid[::-1], "timestamp": stamp}
        body = json.dumps(event, ensure_ascii=False).encode()
        key = self.oa_secret_key if oa_secret_key is None else oa_secret_key
        headers = {
            "Content-Type": "application/json",
            "X-ZEvent-Signature": oa_event_signature(self.app_id, body, stamp, key),
        }
        with self._lock:
            user = self._users.get(uid)
            if user is not None and event_name.startswith("user_send_"):
                user.last_interaction = max(now, user.last_interaction or now)
        return body, headers

    # ---------------------------------------------------------------- test hooks: Bot side

    def add_bot(self, token: str | None = None, *, name: str = "Bot Loa") -> str:
        bot_id = str(random.randint(10**8, 10**10 - 1))
        token = token or f"{bot_id}:{secrets.token_urlsafe(36)}"
        with self._lock:
            self._bots[token] = _Bot(token, token.split(":", 1)[0], name)
        return token

    def add_chat(
        self, chat_id: str | int, *, chat_type: str = "PRIVATE", display_name: str = "Người dùng"
    ) -> str:
        cid = str(chat_id)
        with self._lock:
            self._chats[cid] = _Chat(cid, chat_type, display_name)
        return cid

    def push_update(
        self,
        chat_id: str | int,
        text: str | None = None,
        *,
        from_id: str | None = None,
        display_name: str | None = None,
        chat_type: str | None = None,
        event_name: str = "message.text.received",
        bot_token: str | None = None,
    ) -> dict[str, Any]:
        """A user writes to the bot. Queued for getUpdates, or POSTed to the webhook if one is
        set. Returns the update (the ``result`` of getUpdates / of the webhook body)."""
        cid = str(chat_id)
        with self._lock:
            chat = self._chats.get(cid) or _Chat(
                cid, chat_type or "PRIVATE", display_name or "Người dùng"
            )
            self._chats.setdefault(cid, chat)
            message: dict[str, Any] = {
                "from": {
                    "id": from_id or cid,
                    "display_name": display_name or chat.display_name,
                    "is_bot": False,
                },
                "chat": {"id": cid, "chat_type": chat_type or chat.chat_type},
                "message_id": secrets.token_hex(10),
                "date": _ms(self._now()),
            }
            if text is not None:
                message["text"] = text
            update = {"event_name": event_name, "message": message}
            self.push_raw_update(update, bot_token=bot_token)
        return update

    def push_raw_update(self, update: dict[str, Any], *, bot_token: str | None = None) -> None:
        with self._lock:
            bot = self._bots[bot_token or self.bot_token]
            if bot.webhook_url:
                self._spawn(self._deliver_webhook(bot.webhook_url, bot.webhook_secret, update))
            else:
                bot.updates.append(update)
                self._wake(bot)

    def pending_updates(self, bot_token: str | None = None) -> int:
        with self._lock:
            return len(self._bots[bot_token or self.bot_token].updates)

    def webhook_of(self, bot_token: str | None = None) -> tuple[str, str]:
        """(url, secret_token) the bot's webhook is set to ("" when none)."""
        with self._lock:
            bot = self._bots[bot_token or self.bot_token]
            return bot.webhook_url, bot.webhook_secret

    def bot_force_429(self, retry_after: int = 5, times: int = 1) -> None:
        """The next ``times`` sends answer 429 with ``parameters.retry_after``."""
        with self._lock:
            self._bots[self.bot_token].forced_429.extend([retry_after] * times)

    async def wait_webhook_deliveries(self, count: int, timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.webhook_deliveries) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(
                    f"{len(self.webhook_deliveries)} webhook deliveries, not {count}"
                )
            await asyncio.sleep(0.01)

    async def _deliver_webhook(self, url: str, secret: str, update: dict[str, Any]) -> None:
        body = {"ok": True, "result": update}
        status: int | None = None
        error: str | None = None
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.post(
                    url, json=body, headers={"X-Bot-Api-Secret-Token": secret}
                )
                status = answer.status_code
        except Exception as exc:  # recorded, never raised: the test reads webhook_deliveries
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self.webhook_deliveries.append(WebhookDelivery(self._now(), url, body, status, error))

    # ---------------------------------------------------------------- test hooks: faults

    def set_faults(
        self,
        rate: float,
        kinds: Sequence[str] = ("503", "drop", "hang"),
        *,
        seed: int = 0,
        services: Sequence[str] = SERVICES,
    ) -> None:
        """A flaky network: each request to ``services`` fails with probability ``rate``, with a
        kind drawn from ``kinds``, from a ``random.Random(seed)`` (same seed and requests, same
        faults). Kinds: "500"/"502"/"503"/"504" (an HTML error page), "hang" (no answer until
        ``hang_seconds`` or stop, then a cut connection), "drop" (connection cut, request not
        processed), "drop_after" (processed, e.g. the message accepted, then the connection cut),
        "delay" (answered normally after ``delay_seconds``)."""
        bad = [k for k in kinds if k not in FAULT_KINDS]
        if bad or not 0 <= rate <= 1:
            raise ValueError(f"bad fault plan: rate={rate}, kinds={bad}")
        with self._lock:
            self._fault_plan = _FaultPlan(rate, tuple(kinds), random.Random(seed), tuple(services))

    def fail_next(self, kind: str, times: int = 1, *, service: str | None = None) -> None:
        """The next ``times`` requests (to ``service``, or to any) fail with ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(kind)
        with self._lock:
            self._scripted.append([kind, times, service])

    def clear_faults(self) -> None:
        with self._lock:
            self._fault_plan = None
            self._scripted.clear()

    def _draw_fault(self, service: str, path: str) -> str | None:
        with self._lock:
            kind: str | None = None
            for entry in self._scripted:
                if entry[2] in (None, service) and entry[1] > 0:
                    entry[1] -= 1
                    kind = entry[0]
                    break
            self._scripted = [e for e in self._scripted if e[1] > 0]
            plan = self._fault_plan
            if (
                kind is None
                and plan is not None
                and service in plan.services
                and plan.rng.random() < plan.rate
            ):
                kind = plan.rng.choice(plan.kinds)
            if kind is not None:
                self.faults.append(FaultEvent(self._now(), service, path, kind))
            return kind

    def _guard(
        self, service: str, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            kind = self._draw_fault(service, request.url.path)
            if kind is None:
                return self._echoed(request, await handler(request))
            if kind in _STATUS_TEXT:
                page = _GATEWAY_PAGE.format(status=_STATUS_TEXT[kind])
                return Response(page, status_code=int(kind), media_type="text/html")
            if kind == "delay":
                await self._sleep_or_close(self.delay_seconds)
                return await handler(request)
            if kind == "drop":
                return _BrokenResponse()
            if kind == "hang":
                return _BrokenResponse(lambda: self._sleep_or_close(self.hang_seconds))
            with self._lock:  # drop_after
                before = len(self.accepted)
            await handler(request)
            with self._lock:
                for delivery in self.accepted[before:]:
                    delivery.response_lost = True
            return _BrokenResponse()

        return guarded

    def _echoed(self, request: Request, response: Response) -> Response:
        """The answer, with the request echoed into its error text when ``echo_request``."""
        if not self.echo_request:
            return response
        try:
            body = json.loads(bytes(response.body))
        except ValueError:
            return response
        if not isinstance(body, dict) or (
            body.get("error", 0) == 0 and body.get("ok") is not False
        ):
            return response
        token = request.headers.get("access_token", "").lower()
        echo = f" ({request.method} {request.url} access_token={token})"
        for field_name in ("message", "description", "error_description"):
            if isinstance(body.get(field_name), str):
                body[field_name] += echo
                break
        return JSONResponse(body, status_code=response.status_code)

    async def _sleep_or_close(self, seconds: float) -> None:
        if self._closing is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    # ---------------------------------------------------------------- OA Open API

    def _oa_app(self) -> Starlette:
        def send_route(api: str) -> Route:
            async def endpoint(request: Request) -> Response:
                return await self._oa_send(request, api)

            return Route(f"/v3.0/oa/message/{api}", self._guard("oa", endpoint), methods=["POST"])

        routes = [
            *(send_route(api) for api in OA_APIS),
            Route("/v2.0/oa/upload/image", self._guard("oa", self._oa_upload), methods=["POST"]),
            Route("/v2.0/oa/getoa", self._guard("oa", self._oa_getoa), methods=["GET"]),
            Route("/__fake__/{action}", self._control, methods=["GET", "POST"]),
            Route("/{path:path}", self._guard("oa", self._oa_not_found), methods=ANY_METHOD),
        ]
        return Starlette(routes=routes)

    def _oa_error(
        self, api: str, code: int, message: str, recipient: str | None = None, text: Any = None
    ) -> JSONResponse:
        self.refused.append(
            Refusal(
                "oa",
                api,
                recipient,
                text if isinstance(text, str) else None,
                self._now(),
                code,
                message,
            )
        )
        return JSONResponse({"error": code, "message": message})

    def _oa_check_token(self, request: Request, now: datetime) -> None:
        """Raises _Refused when the access_token header is not a live token; counts the call."""
        value = request.headers.get("access_token", "")
        token = self._access.get(value)
        if token is None or token.revoked:
            raise _Refused(OA_TOKEN_INVALID)
        if token.expires_at <= now:
            if self.expired_token_error == OA_TOKEN_INVALID:
                raise _Refused(OA_TOKEN_INVALID, "Access token has expired")
            raise _Refused(self.expired_token_error)
        limit = self.oa_rate_limit_per_minute
        calls = self._oa_calls
        while calls and calls[0] <= now - timedelta(minutes=1):
            calls.popleft()
        if limit is not None and len(calls) >= limit:
            raise _Refused(OA_RATE_LIMITED)
        calls.append(now)

    async def _oa_send(self, request: Request, api: str) -> Response:
        raw = await request.body()
        with self._lock:
            now = self._now()
            recipient: str | None = None
            text: Any = None
            try:
                self._oa_check_token(request, now)
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise _Refused(OA_INVALID_PARAM, "body is invalid!") from None
                if not isinstance(body, dict):
                    raise _Refused(OA_INVALID_PARAM, "body is invalid!")
                recipient_field = body.get("recipient")
                if not isinstance(recipient_field, dict):
                    raise _Refused(OA_INVALID_PARAM, "recipient is invalid!")
                user_id = recipient_field.get("user_id")
                if isinstance(user_id, int) and not isinstance(user_id, bool):
                    user_id = str(user_id)
                if not isinstance(user_id, str) or not _DIGITS.match(user_id):
                    raise _Refused(OA_INVALID_PARAM, "user_id is invalid!")
                recipient = user_id
                message = body.get("message")
                if not isinstance(message, dict):
                    raise _Refused(OA_INVALID_PARAM, "message is invalid!")
                text = message.get("text")
                attachment, shown = self._oa_check_message(api, message, now)
                quota_type = self._oa_check_recipient(api, user_id, now)
                return self._oa_accept(api, user_id, shown, attachment, quota_type, body, now)
            except _Refused as refused:
                return self._oa_error(api, refused.code, refused.message, recipient, text)

    def _oa_check_message(
        self, api: str, message: dict[str, Any], now: datetime
    ) -> tuple[dict[str, Any] | None, str | None]:
        """(attachment, text to record) of a valid message; raises _Refused otherwise."""
        text = message.get("text")
        attachment = message.get("attachment")
        if text is None and attachment is None:
            raise _Refused(OA_INVALID_PARAM, "message is invalid!")
        if text is not None:
            if not isinstance(text, str) or not text:
                raise _Refused(OA_INVALID_PARAM, "text is invalid!")
            if _utf16_len(text) > TEXT_LIMIT:
                raise _Refused(OA_PARAM_TOO_LONG)
        if attachment is None:
            if self.strict_templates and api != "cs":
                raise _Refused(OA_MESSAGE_TYPE_INVALID)
            return None, text
        if not isinstance(attachment, dict) or attachment.get("type") != "template":
            raise _Refused(OA_INVALID_PARAM, "attachment is invalid!")
        payload = attachment.get("payload")
        if not isinstance(payload, dict):
            raise _Refused(OA_INVALID_PARAM, "payload is invalid!")
        template_type = payload.get("template_type")
        elements = payload.get("elements")
        if template_type == "media":
            if self.strict_templates and api != "cs":
                raise _Refused(OA_MESSAGE_TYPE_INVALID)
            self._oa_check_media(elements, now)
            return attachment, text
        if api == "cs":
            # Other consultation templates (forms, lists, button rows) pass unchecked.
            if template_type in ("request_user_info", "list") or (
                template_type is None and "buttons" in payload
            ):
                return attachment, text
            raise _Refused(OA_MESSAGE_TYPE_INVALID)
        if api == "promotion":
            allowed = template_type == "promotion"
        else:
            allowed = isinstance(template_type, str) and template_type.startswith("transaction_")
        if not allowed:
            raise _Refused(OA_MESSAGE_TYPE_INVALID)
        if not isinstance(elements, list) or not elements:
            raise _Refused(OA_INVALID_PARAM, "elements is invalid!")
        shown = [
            e.get("content")
            for e in elements
            if isinstance(e, dict) and e.get("type") in ("header", "text")
        ]
        joined = "\n".join(s for s in shown if isinstance(s, str))
        if _utf16_len(joined) > TEXT_LIMIT:
            raise _Refused(OA_PARAM_TOO_LONG)
        return attachment, text or joined or None

    def _oa_check_media(self, elements: Any, now: datetime) -> None:
        if not isinstance(elements, list) or len(elements) != 1:
            raise _Refused(OA_INVALID_PARAM, "elements is invalid!")
        element = elements[0]
        if not isinstance(element, dict) or element.get("media_type") not in ("image", "gif"):
            raise _Refused(OA_INVALID_PARAM, "media_type is invalid!")
        attachment_id = element.get("attachment_id")
        url = element.get("url")
        if attachment_id is not None:
            upload = self._uploads.get(attachment_id) if isinstance(attachment_id, str) else None
            if upload is None:
                raise _Refused(OA_INVALID_PARAM, "attachment_id is invalid!")
            if upload.uploaded_at + UPLOAD_TTL <= now:
                raise _Refused(OA_ATTACHMENT_EXPIRED)
        elif not (isinstance(url, str) and re.match(r"^https?://[^\s/]+", url)):
            raise _Refused(OA_INVALID_PARAM, "url is invalid!")

    def _oa_check_recipient(self, api: str, user_id: str, now: datetime) -> str:
        """The quota type of a message this user may receive now; raises _Refused otherwise."""
        user = self._users.get(user_id)
        if user is None:
            raise _Refused(OA_NO_INTERACTION if api == "cs" else OA_NOT_FOLLOWER)
        if user.banned:
            raise _Refused(OA_USER_BANNED)
        if api in user.restricted:
            raise _Refused(OA_USER_RESTRICTED)
        local = now.astimezone(VN)
        if api in self.night_ban_apis and (local.hour >= 22 or local.hour < 6):
            raise _Refused(OA_NIGHT_BAN)
        if api == "cs":
            if user.last_interaction is None:
                raise _Refused(OA_NO_INTERACTION)
            age = now - user.last_interaction
            if age > self.cs_window:
                raise _Refused(OA_NO_INTERACTION_7_DAYS)
            if age <= self.cs_free_window:
                return "reply"
        elif not user.follower:
            raise _Refused(OA_NOT_FOLLOWER)
        month, day = local.strftime("%Y-%m"), local.strftime("%Y-%m-%d")
        if (
            self.monthly_quota is not None
            and self._usage.get(("m", month), 0) >= self.monthly_quota
        ):
            raise _Refused(OA_OUT_OF_QUOTA)
        if self.daily_quota is not None and self._usage.get(("d", day), 0) >= self.daily_quota:
            raise _Refused(OA_OUT_OF_QUOTA)
        if api == "promotion":
            caps = (
                (("pm", user_id, month), self.promotion_per_user_monthly),
                (("pd", user_id, day), self.promotion_per_user_daily),
            )
            for key, cap in caps:
                if cap is not None and self._usage.get(key, 0) >= cap:
                    raise _Refused(OA_OUT_OF_QUOTA_RECEIVE)
        return "sub_quota"

    def _oa_accept(
        self,
        api: str,
        user_id: str,
        text: str | None,
        attachment: dict[str, Any] | None,
        quota_type: str,
        body: dict[str, Any],
        now: datetime,
    ) -> JSONResponse:
        local = now.astimezone(VN)
        month, day = local.strftime("%Y-%m"), local.strftime("%Y-%m-%d")
        quota: dict[str, str] = {"quota_type": quota_type}
        if quota_type == "sub_quota":
            keys: list[tuple[str, ...]] = [("m", month), ("d", day)]
            if api == "promotion":
                keys += [("pm", user_id, month), ("pd", user_id, day)]
            for key in keys:
                self._usage[key] = self._usage.get(key, 0) + 1
            if self.monthly_quota is not None:
                quota["remain"] = str(self.monthly_quota - self._usage[("m", month)])
                quota["total"] = str(self.monthly_quota)
        message_id = secrets.token_hex(10)
        self.accepted.append(
            Delivery("oa", api, user_id, text, now, message_id, attachment, quota_type, body)
        )
        data: dict[str, Any] = {
            "message_id": message_id,
            "user_id": user_id,
            "sent_time": str(_ms(now)),
        }
        if api == "cs":
            data["quota"] = quota
        return JSONResponse({"data": data, "error": 0, "message": "Success"})

    async def _oa_upload(self, request: Request) -> Response:
        raw = await request.body()
        with self._lock:
            now = self._now()
            try:
                self._oa_check_token(request, now)
                fields = _parse_multipart(raw, request.headers.get("content-type", ""))
                if "file" not in fields:
                    raise _Refused(OA_INVALID_PARAM, "file is invalid!")
                filename, _, data = fields["file"]
                if len(data) > IMAGE_LIMIT:
                    raise _Refused(OA_PARAM_TOO_LONG)
                if data.startswith(b"\xff\xd8\xff"):
                    kind = "image/jpeg"
                elif data.startswith(b"\x89PNG\r\n\x1a\n"):
                    kind = "image/png"
                else:
                    raise _Refused(OA_INVALID_PARAM, "file is invalid!")
                upload = _Upload(secrets.token_urlsafe(66), now, kind, len(data), filename or "")
                self._uploads[upload.attachment_id] = upload
                data_out = {"attachment_id": upload.attachment_id}
                return JSONResponse({"data": data_out, "error": 0, "message": "Success"})
            except _Refused as refused:
                return self._oa_error("upload/image", refused.code, refused.message)

    async def _oa_getoa(self, request: Request) -> Response:
        with self._lock:
            now = self._now()
            try:
                self._oa_check_token(request, now)
            except _Refused as refused:
                return self._oa_error("getoa", refused.code, refused.message)
            followers = sum(1 for u in self._users.values() if u.follower)
            data = {
                "oa_id": self.oa_id,
                "name": self.oa_name,
                "description": "Trang thông tin chính thức (giả lập cho kiểm thử)",
                "oa_alias": "loa-thu-nghiem",
                "oa_type": 2,
                "is_verified": True,
                "num_follower": followers,
                "avatar": "https://s160-ava-talk.zadn.vn/fake/avatar.jpg",
                "cover": "https://cover-talk.zadn.vn/fake/cover.jpg",
                "package_name": "Gói Nâng cao",
                "package_valid_through_date": (now + timedelta(days=365)).strftime("%d/%m/%Y"),
                "linked_ZCA": "",
            }
            return JSONResponse({"data": data, "error": 0, "message": "Success"})

    async def _oa_not_found(self, request: Request) -> Response:
        message = "You are accessing an empty or invalid API. Please check your API again!"
        return JSONResponse({"error": 404, "message": message})

    # ---------------------------------------------------------------- OAuth v4

    def _oauth_app(self) -> Starlette:
        async def not_found(request: Request) -> Response:
            message = "You currently access to an empty api. Please check your request again!"
            return JSONResponse({"error": "404", "message": message})

        return Starlette(
            routes=[
                Route(
                    "/v4/oa/access_token", self._guard("oauth", self._oauth_token), methods=["POST"]
                ),
                Route("/{path:path}", self._guard("oauth", not_found), methods=ANY_METHOD),
            ]
        )

    def _oauth_error(self, code: int, detail: str) -> JSONResponse:
        name = OAUTH_NAMES[code]
        self.refused.append(Refusal("oauth", "access_token", None, None, self._now(), code, name))
        return JSONResponse(
            {
                "error": code,
                "error_name": name,
                "error_reason": "",
                "ref_doc": "https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new",
                "error_description": detail,
            }
        )

    async def _oauth_token(self, request: Request) -> Response:
        raw = await request.body()
        params = dict(parse_qsl(request.url.query, keep_blank_values=True))
        ctype = request.headers.get("content-type", "").lower()
        if ctype.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        with self._lock:
            now = self._now()
            if params.get("app_id") != self.app_id:
                return self._oauth_error(OAUTH_INVALID_APP_ID, "app_id is missing or unknown")
            if request.headers.get("secret_key") != self.secret_key:
                return self._oauth_error(OAUTH_INVALID_SECRET_KEY, "secret_key header is wrong")
            if params.get("grant_type") != "refresh_token":
                return self._oauth_error(OAUTH_INVALID_GRANT_TYPE, "grant_type is not supported")
            used = params.get("refresh_token", "")
            record = self._refresh.get(used)
            if record is None or record.expires_at <= now:
                return self._oauth_error(
                    OAUTH_INVALID_REFRESH_TOKEN, "refresh_token is invalid or expired"
                )
            if record.used_at is not None:
                if self.reused_refresh_answer == "empty":
                    self.refused.append(
                        Refusal(
                            "oauth",
                            "access_token",
                            None,
                            None,
                            now,
                            OAUTH_INVALID_REFRESH_TOKEN,
                            "(empty answer)",
                        )
                    )
                    return Response(b"", status_code=200, media_type="application/json")
                return self._oauth_error(
                    OAUTH_INVALID_REFRESH_TOKEN, "refresh_token has already been used"
                )
            record.used_at = now
            if self.revoke_old_access_token:
                for token in self._access.values():
                    token.revoked = True
            access = self._new_access(now)
            refresh = self._new_refresh(now)
            seconds = int(self.access_token_lifetime.total_seconds())
            self.renewals.append(Renewal(now, used, access.value, refresh.value, seconds))
            expires_in: str | int = str(seconds) if self.expires_in_type == "string" else seconds
            return JSONResponse(
                {
                    "access_token": access.value,
                    "refresh_token": refresh.value,
                    "expires_in": expires_in,
                }
            )

    # ---------------------------------------------------------------- Zalo Bot API

    def _bot_app(self) -> Starlette:
        async def not_found(request: Request) -> Response:
            return self._bot_error("", None, None, BOT_NOT_FOUND, "Not Found")

        return Starlette(
            routes=[
                Route(
                    "/bot{token}/{method}",
                    self._guard("bot", self._bot_call),
                    methods=["GET", "POST"],
                ),
                Route("/{path:path}", self._guard("bot", not_found), methods=ANY_METHOD),
            ]
        )

    def _bot_error(
        self,
        api: str,
        chat_id: str | None,
        text: Any,
        code: int,
        description: str,
        parameters: dict[str, Any] | None = None,
        *,
        record: bool = True,
    ) -> JSONResponse:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        status = 200
        if self.bot_error_status == "mirror" and code != BOT_POLL_TIMEOUT and 400 <= code < 600:
            status = code
        if record:
            self.refused.append(
                Refusal(
                    "bot",
                    api,
                    chat_id,
                    text if isinstance(text, str) else None,
                    self._now(),
                    code,
                    description,
                    status,
                )
            )
        return JSONResponse(body, status_code=status)

    @staticmethod
    async def _bot_params(request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        raw = await request.body()
        ctype = request.headers.get("content-type", "").lower()
        if not raw.strip():
            return params
        if ctype.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif ctype.startswith("multipart/form-data"):
            for name, (_, _, data) in _parse_multipart(raw, ctype).items():
                params[name] = data.decode("utf-8", "replace")
        else:
            try:
                body = json.loads(raw)
            except ValueError:
                return params
            if isinstance(body, dict):
                params.update(body)
        return params

    async def _bot_call(self, request: Request) -> Response:
        token = request.path_params["token"]
        method = request.path_params["method"]
        params = await self._bot_params(request)
        with self._lock:
            bot = self._bots.get(token)
            if bot is None:
                if self.bot_unknown_token == "html":
                    page = _GATEWAY_PAGE.format(status="404 Not Found")
                    return Response(page, status_code=404, media_type="text/html")
                return self._bot_error(method, None, None, BOT_UNAUTHORIZED, "Unauthorized")
            if method == "getUpdates":
                pass
            elif method in ("sendMessage", "sendPhoto", "sendSticker"):
                return self._bot_send(bot, method, params)
            elif method == "getMe":
                result = {
                    "id": bot.bot_id,
                    "account_name": bot.name,
                    "account_type": "BASIC",
                    "can_join_groups": False,
                }
                return JSONResponse({"ok": True, "result": result})
            elif method == "setWebhook":
                return self._bot_set_webhook(bot, params)
            elif method == "deleteWebhook":
                bot.webhook_url, bot.webhook_secret = "", ""
                bot.webhook_updated_at = _ms(self._now())
                return JSONResponse(
                    {"ok": True, "result": {"url": "", "updated_at": bot.webhook_updated_at}}
                )
            elif method == "getWebhookInfo":
                result = {"url": bot.webhook_url, "updated_at": bot.webhook_updated_at}
                return JSONResponse({"ok": True, "result": result})
            elif method == "sendChatAction":
                if str(params.get("chat_id", "")) not in self._chats:
                    return self._bot_error(method, None, None, BOT_BAD_REQUEST, "Chat not found")
                return JSONResponse({"ok": True})
            else:
                return self._bot_error(method, None, None, BOT_NOT_FOUND, "Not Found")
        return await self._bot_get_updates(bot, params)

    def _bot_send(self, bot: _Bot, method: str, params: dict[str, Any]) -> JSONResponse:
        now = self._now()
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and not isinstance(chat_id, bool):
            chat_id = str(chat_id)
        text = params.get("text") if method == "sendMessage" else params.get("caption")
        if not isinstance(chat_id, str) or not chat_id:
            return self._bot_error(method, None, text, BOT_BAD_REQUEST, "chat_id is required")
        photo: str | None = None
        sticker: str | None = None
        if method == "sendMessage":
            if not isinstance(text, str) or not text:
                return self._bot_error(method, chat_id, text, BOT_BAD_REQUEST, "text is required")
            if _utf16_len(text) > TEXT_LIMIT:
                description = f"text must be 1-{TEXT_LIMIT} characters"
                return self._bot_error(method, chat_id, text, BOT_BAD_REQUEST, description)
            if params.get("parse_mode") not in (None, "markdown", "html"):
                description = "parse_mode must be markdown or html"
                return self._bot_error(method, chat_id, text, BOT_BAD_REQUEST, description)
        elif method == "sendPhoto":
            photo = params.get("photo")
            if not isinstance(photo, str) or not photo:
                description = "The photo must not be empty"
                return self._bot_error(method, chat_id, text, BOT_BAD_REQUEST, description)
            if not photo.startswith(("http://", "https://")):
                description = "The photo must start with http:// or https://"
                return self._bot_error(method, chat_id, text, BOT_BAD_REQUEST, description)
            if text is not None and (
                not isinstance(text, str) or not text or _utf16_len(text) > TEXT_LIMIT
            ):
                description = f"caption must be 1-{TEXT_LIMIT} characters"
                return self._bot_error(method, chat_id, text, BOT_BAD_REQUEST, description)
        else:
            sticker = params.get("sticker")
            if not isinstance(sticker, str) or not sticker:
                return self._bot_error(
                    method, chat_id, None, BOT_BAD_REQUEST, "sticker is required"
                )
        if chat_id not in self._chats:
            return self._bot_error(method, chat_id, text, BOT_BAD_REQUEST, "Chat not found")
        retry_after = self._bot_retry_after(bot, chat_id, now)
        if retry_after is not None:
            description = f"Too Many Requests: retry after {retry_after}"
            return self._bot_error(
                method,
                chat_id,
                text,
                BOT_TOO_MANY_REQUESTS,
                description,
                {"retry_after": retry_after},
            )
        message_id = secrets.token_hex(10)
        attachment: dict[str, Any] | None = None
        if photo is not None:
            attachment = {"photo": photo}
        elif sticker is not None:
            attachment = {"sticker": sticker}
        self.accepted.append(
            Delivery(
                "bot",
                method,
                chat_id,
                text if isinstance(text, str) else None,
                now,
                message_id,
                attachment,
                None,
                params,
            )
        )
        return JSONResponse({"ok": True, "result": {"message_id": message_id, "date": _ms(now)}})

    def _bot_retry_after(self, bot: _Bot, chat_id: str, now: datetime) -> int | None:
        if bot.forced_429:
            return bot.forced_429.pop(0)
        if self.bot_rate_limit is None:
            return None
        count, per_seconds = self.bot_rate_limit
        window = timedelta(seconds=per_seconds)
        sent = self._bot_sends.setdefault((bot.token, chat_id), deque())
        while sent and sent[0] <= now - window:
            sent.popleft()
        if len(sent) >= count:
            return max(1, math.ceil((sent[0] + window - now).total_seconds()))
        sent.append(now)
        return None

    def _bot_set_webhook(self, bot: _Bot, params: dict[str, Any]) -> JSONResponse:
        url = params.get("url")
        secret = params.get("secret_token")
        schemes = ("https://", "http://") if self.allow_http_webhooks else ("https://",)
        if not isinstance(url, str) or not url.startswith(schemes):
            return self._bot_error("setWebhook", None, None, BOT_BAD_REQUEST, "url must be HTTPS")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256 or not secret.isascii():
            description = "secret_token must be 8-256 characters"
            return self._bot_error("setWebhook", None, None, BOT_BAD_REQUEST, description)
        bot.webhook_url, bot.webhook_secret = url, secret
        bot.webhook_updated_at = _ms(self._now())
        return JSONResponse(
            {"ok": True, "result": {"url": url, "updated_at": bot.webhook_updated_at}}
        )

    async def _bot_get_updates(self, bot: _Bot, params: dict[str, Any]) -> Response:
        try:
            timeout = float(params.get("timeout", 30))
        except (TypeError, ValueError):
            return self._bot_error("getUpdates", None, None, BOT_BAD_REQUEST, "timeout is invalid")
        timeout = min(max(timeout, 0.0), self.max_poll_seconds)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with self._lock:
                if bot.webhook_url:
                    description = "Conflict: getUpdates does not work while a webhook is set"
                    return self._bot_error("getUpdates", None, None, BOT_CONFLICT, description)
                if bot.updates:
                    return JSONResponse({"ok": True, "result": bot.updates.popleft()})
                if bot.changed is None:
                    bot.changed = asyncio.Event()
                event = bot.changed
                event.clear()
            remaining = deadline - loop.time()
            if remaining <= 0 or (self._closing is not None and self._closing.is_set()):
                return self._bot_error(
                    "getUpdates", None, None, BOT_POLL_TIMEOUT, "Request timeout", record=False
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # ---------------------------------------------------------------- control API (standalone)

    async def _control(self, request: Request) -> Response:
        """``/__fake__/<action>`` on the OA port, for a fake run as its own process."""
        action = request.path_params["action"]
        params: dict[str, Any] = {}
        if request.method == "POST":
            raw = await request.body()
            with contextlib.suppress(ValueError):
                loaded = json.loads(raw or b"{}")
                params = loaded if isinstance(loaded, dict) else {}
        if action == "state":
            return JSONResponse(self.state())
        if action == "user":
            ago = params.get("last_interaction_seconds_ago")
            self.add_user(
                str(params["user_id"]),
                follower=bool(params.get("follower", True)),
                last_interaction=None if ago is None else timedelta(seconds=float(ago)),
            )
        elif action == "chat":
            self.add_chat(str(params["chat_id"]))
        elif action == "bot-update":
            return JSONResponse(self.push_update(str(params["chat_id"]), params.get("text")))
        elif action == "expire-access-token":
            self.expire_access_token()
        elif action == "advance":
            if self.clock is None:
                return JSONResponse({"ok": False, "description": "no FakeClock"}, 400)
            self.clock.advance(timedelta(seconds=float(params.get("seconds", 0))))
        elif action == "faults":
            self.set_faults(
                float(params.get("rate", 0)),
                tuple(params.get("kinds", ("503", "drop", "hang"))),
                seed=int(params.get("seed", 0)),
            )
        else:
            return JSONResponse({"ok": False, "description": "unknown action"}, 404)
        return JSONResponse({"ok": True})

    def state(self) -> dict[str, Any]:
        """Everything a test may want to look at, as JSON-ready data."""
        with self._lock:
            state: dict[str, Any] = _jsonable(
                {
                    "now": self._now(),
                    "accepted": [asdict(d) for d in self.accepted],
                    "refused": [asdict(r) for r in self.refused],
                    "renewals": [asdict(r) for r in self.renewals],
                    "faults": [asdict(f) for f in self.faults],
                    "webhook_deliveries": [asdict(w) for w in self.webhook_deliveries],
                    "current_refresh_token": self.current_refresh_token,
                    "usage": self.usage(),
                }
            )
            return state


# --------------------------------------------------------------------------------------------
# Standalone: python -m tests.fakes.zalo --port N
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.zalo",
        description="Local fake Zalo OA API, OAuth v4 and Zalo Bot API on 127.0.0.1.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "A user writes to the Zalo bot (8700: the OA port; the chat is one printed at start):\n"
            "  curl -s http://127.0.0.1:8700/__fake__/bot-update -H 'Content-Type: application/json' \\\n"
            '    -d \'{"chat_id": "6ede9afa66b88fe6d6a9", "text": "/upcoming"}\'\n'
            "What was sent: curl -s http://127.0.0.1:8700/__fake__/state\n"
            "Every control action: python -m pydoc tests.fakes.zalo"
        ),
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="port of the OA API (0: a free one); OAuth and Bot take the next two by default",
    )
    parser.add_argument("--oauth-port", type=int, default=None)
    parser.add_argument("--bot-port", type=int, default=None)
    parser.add_argument("--app-id", default="4318720573429481302")
    parser.add_argument("--secret-key", default=None)
    parser.add_argument("--bot-token", default=None)
    parser.add_argument(
        "--follower",
        action="append",
        default=[],
        help="user id of a follower who interacted just now (repeatable)",
    )
    parser.add_argument("--chat", action="append", default=[], help="bot chat id (repeatable)")
    parser.add_argument("--monthly-quota", type=int, default=None)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-kinds", default="503,drop,hang")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--allow-http-webhooks", action="store_true")
    parser.add_argument(
        "--echo-request", action="store_true", help="error texts end with the request URL"
    )
    args = parser.parse_args(argv)

    def follow(port: int | None, offset: int) -> int:
        if port is not None:
            return port
        return args.port + offset if args.port else 0

    async def run() -> None:
        fake = FakeZalo(
            app_id=args.app_id,
            secret_key=args.secret_key,
            bot_token=args.bot_token,
            monthly_quota=args.monthly_quota,
            allow_http_webhooks=args.allow_http_webhooks,
            oa_port=args.port,
            oauth_port=follow(args.oauth_port, 1),
            bot_port=follow(args.bot_port, 2),
            echo_request=args.echo_request,
        )
        for user_id in args.follower or ["2512523625412515"]:
            fake.add_follower(user_id, last_interaction=timedelta(0))
        for chat_id in args.chat or ["6ede9afa66b88fe6d6a9"]:
            fake.add_chat(chat_id)
        if args.fault_rate:
            fake.set_faults(args.fault_rate, args.fault_kinds.split(","), seed=args.seed)
        await fake.start()
        refresh_token = fake.issue_refresh_token()
        lines = [
            f"oa_url={fake.base_url}",
            f"oauth_url={fake.oauth_url}",
            f"bot_url={fake.bot_base_url}",
            f"app_id={fake.app_id}",
            f"secret_key={fake.secret_key}",
            f"oa_secret_key={fake.oa_secret_key}",
            f"bot_token={fake.bot_token}",
            f"followers={','.join(args.follower or ['2512523625412515'])}",
            f"chats={','.join(args.chat or ['6ede9afa66b88fe6d6a9'])}",
            f"control={fake.base_url}/__fake__/state",
            f"refresh_token={refresh_token}",
        ]
        print("\n".join(lines), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await fake.stop()

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
