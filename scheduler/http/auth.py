"""Sign-in for loa's pages: no page and no action without a signed-in person, every form proved
to come from loa, and each action allowed by the person's role.

Every request passes the ``Gate`` first. The public paths (``is_public``: ``/``, the page of the
public feeds, which shows what those feeds give anyone already; the feeds, which have their own
tokens; ``/healthz`` and ``/metrics`` for monitors; webhooks and events, which prove themselves
with their own secrets; the sign-in page and static assets) go through untouched.
Anything else needs the cookie of a live session (``scheduler.http.sessions``): a browser asking
for a page is sent to ``/signin?next=…`` (303), anything else gets 401. A request that changes
something (POST, PUT, PATCH, DELETE) must also carry its session's form token, in the form's
``csrf_token`` field or the ``X-CSRF-Token`` header (403 otherwise), so a page elsewhere cannot
make a signed-in browser act. The sign-in form has a token too, tied to a short-lived pre-session
cookie, so another site cannot sign a browser in under someone else's name.

What a route uses: ``requires(role)`` on its endpoint, ``csrf_field()`` in its template's forms
(``install`` adds it to a Jinja environment), and ``record`` to write its action to the audit
log that chat and CLI commands share.

Why /metrics is public: Prometheus scrapes without a cookie, and the metrics hold counts only
(deliveries by state, feed requests, send latency), never a title, name, target or text; an
office that does not want even counts seen keeps the port on a private address or a proxy.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import jinja2
from markupsafe import Markup, escape
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaigns.i18n import LANGUAGES, language, named, t
from scheduler import audit, users
from scheduler.http import sessions

SESSION_COOKIE = "loa_session"
SIGNIN_COOKIE = "loa_signin"  # the pre-session the sign-in form's token is tied to
LANG_COOKIE = "loa_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
WEB = "web"  # the audit log's channel for actions from the pages

# ``/`` is the public page of feeds: it lists only what the feeds give anyone already
PUBLIC_PATHS = frozenset({"/", "/healthz", "/metrics", "/signin", "/favicon.ico"})
PUBLIC_PREFIXES = ("/feeds/", "/hooks/", "/events/", "/static/")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM = 2_000_000  # an action's form, or a campaign file from the editor
MAX_SIGNIN_FORM = 16 * 1024
MAX_PASSWORD = 1024
VERIFYING_AT_ONCE = 2  # argon2 takes 64 MiB per check: a burst of sign-ins must not take more
_STATE_SESSION, _STATE_SETTINGS, _STATE_SIGNIN = "loa_session", "loa_auth", "loa_signin_token"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_MULTIPART_TOKEN = re.compile(rb'name="csrf_token"\r\n\r\n([A-Za-z0-9_-]{1,100})\r\n')
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class AuthSettings:
    """config.toml's ``[http]`` as sign-in needs it, and the clock (tests bring their own)."""

    idle: dt.timedelta = dt.timedelta(hours=8)
    # the proxies whose X-Forwarded-Proto and X-Forwarded-For are believed
    trusted_proxies: tuple[Network, ...] = ()
    clock: Callable[[], dt.datetime] = _now

    @classmethod
    def of(cls, idle_minutes: int, trusted_proxies: Sequence[str]) -> AuthSettings:
        nets = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)
        return cls(idle=dt.timedelta(minutes=idle_minutes), trusted_proxies=nets)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _from_trusted_proxy(scope: Scope, settings: AuthSettings) -> bool:
    client = scope.get("client")
    if not client or not settings.trusted_proxies:
        return False
    try:
        peer = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    return any(peer in net for net in settings.trusted_proxies)


def over_tls(scope: Scope, settings: AuthSettings) -> bool:
    """Whether the browser reached loa over TLS: served so, or a trusted proxy says it was."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    if not _from_trusted_proxy(scope, settings):
        return False
    forwarded = Request(scope).headers.get("x-forwarded-proto", "")
    return forwarded.split(",")[0].strip().lower() == "https"


def client_address(scope: Scope, settings: AuthSettings) -> str:
    """The browser's address: the peer's, or the one a trusted proxy saw (the last it added)."""
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    if _from_trusted_proxy(scope, settings):
        forwarded = Request(scope).headers.get("x-forwarded-for", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:100]
    return peer


def page_language(request: Request) -> str:
    """``?lang=`` when asked, then the language the browser chose before (a cookie), then the
    office's (config.toml, LOA_LANG): Vietnamese unless someone asks for English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return str(candidate)
    return language()


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site (``//evil``,
    ``/\\evil`` and ``https://evil`` all become ``/``)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(c in value for c in "\\\r\n\t") or any(ord(c) < 0x20 for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/signin", "/signout"):
        return "/"
    return value


def current_session(request: Request) -> sessions.Session | None:
    found = request.scope.get("state", {}).get(_STATE_SESSION)
    return found if isinstance(found, sessions.Session) else None


def current_user(request: Request) -> users.Account | None:
    """Who is signed in on this request (None on the public paths)."""
    session = current_session(request)
    return session.account if session is not None else None


def csrf_token(request: Request) -> str:
    """The token this request's forms must send back."""
    session = current_session(request)
    if session is not None:
        return session.csrf
    return str(request.scope.get("state", {}).get(_STATE_SIGNIN, ""))


@jinja2.pass_context
def csrf_field(context: Any) -> Markup:
    """``{{ csrf_field() }}`` inside every ``<form method="post">`` (the template's context
    must hold ``request``, as Starlette's templates do)."""
    token = csrf_token(context["request"])
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))


@jinja2.pass_context
def _signed_in(context: Any) -> users.Account | None:
    return current_user(context["request"])


def install(env: jinja2.Environment) -> None:
    """Give a Jinja environment ``csrf_field()``, ``csrf_token()`` and ``signed_in()``."""
    env.globals["csrf_field"] = csrf_field
    env.globals["csrf_token"] = jinja2.pass_context(lambda c: csrf_token(c["request"]))
    env.globals["signed_in"] = _signed_in


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _unsigned(request: Request) -> Response:
    """A browser goes to the sign-in page, and back here afterwards; a script gets 401."""
    if _wants_html(request):
        target = "/signin"
        if request.method in ("GET", "HEAD"):
            asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if safe_next(asked) != "/":
                target += "?next=" + quote(asked, safe="")
        return RedirectResponse(target, status_code=303)
    return PlainTextResponse(t("web_signin_required", page_language(request)), status_code=401)


def _refused(request: Request, code: str, status: int, **params: Any) -> Response:
    return PlainTextResponse(t(code, page_language(request), **params), status_code=status)


Endpoint = Callable[[Request], Awaitable[Response]]


def requires(role: str) -> Callable[[Endpoint], Endpoint]:
    """An endpoint only a signed-in person with at least ``role`` may use (viewer < editor <
    approver < admin); others get the sign-in page or 401, or 403 with what role it needs."""
    users.check_role(role)

    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            account = current_user(request)
            if account is None:
                return _unsigned(request)
            if not account.may(role):
                lang = page_language(request)
                return _refused(
                    request, "web_role_refused", 403, name=account.name,
                    role=named("role", role, lang), have=named("role", account.role, lang),
                )  # fmt: skip
            return await endpoint(request)

        return guarded

    return wrap


def address_of(request: Request) -> str:
    """Where the request came from, as the audit keeps it (a trusted proxy's client)."""
    settings = request.scope.get("state", {}).get(_STATE_SETTINGS) or AuthSettings()
    return client_address(request.scope, settings)


async def record(
    request: Request, db: Engine, command: str, arguments: str, result: str, detail: str = ""
) -> None:
    """Write a page's action to the audit log: who (the signed-in name), what, when, the
    result, and from where (channel ``web``, the browser's address)."""
    settings = request.scope.get("state", {}).get(_STATE_SETTINGS) or AuthSettings()
    account = current_user(request)
    await asyncio.to_thread(
        audit.write, db, settings.clock(), WEB, address_of(request),
        account.name if account else "", command, arguments, result, detail,
    )  # fmt: skip


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None past ``limit``."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the app the body the gate has read, then the real stream's end."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


def _form_token(request: Request, body: bytes) -> str:
    given = request.headers.get(CSRF_HEADER)
    if given:
        return given
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD, [""])
        return values[0]
    if kind == "multipart/form-data":
        found = _MULTIPART_TOKEN.search(body)
        return found[1].decode() if found else ""
    return ""


async def form(request: Request, blanks: bool = False) -> dict[str, str]:
    """A posted form's fields (urlencoded, as browsers and htmx send them): the first value of
    each; ``blanks`` keeps the fields sent empty (the editor's: an emptied field is an edit).
    Starlette's own ``request.form()`` needs python-multipart, which loa does not ship."""
    body = await request.body()
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=blanks)
    return {k: v[0] for k, v in fields.items()}


def _same(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


_PAGE_HEADERS = (
    ("cache-control", "no-store"),  # a shared computer's back button shows no signed-in page
    ("x-frame-options", "DENY"),  # no action button under another site's frame
    ("content-security-policy", "frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
)


def _with_page_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in _PAGE_HEADERS:
                if name not in headers:
                    headers[name] = value
        await send(message)

    return sending


class Gate:
    """The ASGI middleware every request passes (see the module's docstring)."""

    def __init__(self, app: ASGIApp, db: Engine, settings: AuthSettings) -> None:
        self.app, self.db, self.settings = app, db, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state[_STATE_SETTINGS] = self.settings
        if is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie = request.cookies.get(SESSION_COOKIE, "")
        session = None
        if cookie:
            now = self.settings.clock()
            session = await asyncio.to_thread(
                sessions.find, self.db, cookie, now, self.settings.idle
            )
        if session is None:
            await _unsigned(request)(scope, receive, send)
            return
        state[_STATE_SESSION] = session
        if scope["method"] not in SAFE_METHODS:
            body = await _read_body(receive, MAX_FORM)
            if body is None:
                await _refused(request, "web_form_too_large", 413)(scope, receive, send)
                return
            if not _same(_form_token(request, body), session.csrf):
                await _refused(request, "web_csrf_refused", 403)(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, _with_page_headers(send))


@dataclass
class _Signin:
    """The sign-in page and sign-out."""

    db: Engine
    settings: AuthSettings
    verifying: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(VERIFYING_AT_ONCE)
    )

    def _cookie(
        self, response: Response, request: Request, name: str, value: str, **kw: Any
    ) -> None:
        response.set_cookie(
            name, value, httponly=True, samesite="lax",
            secure=over_tls(request.scope, self.settings), **kw,
        )  # fmt: skip

    def _form(
        self, request: Request, target: str, status: int = 200, error: str = "", name: str = ""
    ) -> Response:
        lang = page_language(request)
        pre = request.cookies.get(SIGNIN_COOKIE, "")
        if not _TOKEN.match(pre):
            pre = secrets.token_urlsafe(32)
        request.scope.setdefault("state", {})[_STATE_SIGNIN] = _signin_token(pre)
        body = _environment().get_template("signin.html").render(
            request=request, lang=lang, t=functools.partial(t, lang=lang), next=target,
            error=error, name=name, other="en" if lang == "vi" else "vi",
        )  # fmt: skip
        response = HTMLResponse(body, status_code=status)
        for header, value in _PAGE_HEADERS:
            response.headers[header] = value
        self._cookie(response, request, SIGNIN_COOKIE, pre, max_age=3600, path="/signin")
        if request.query_params.get("lang") in LANGUAGES:
            self._cookie(response, request, LANG_COOKIE, lang, max_age=365 * 86400)
        return response

    async def page(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.sign_in(request)
        target = safe_next(request.query_params.get("next"))
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if cookie:
            now, idle = self.settings.clock(), self.settings.idle
            if await asyncio.to_thread(sessions.find, self.db, cookie, now, idle) is not None:
                return RedirectResponse(target, status_code=303)
        return self._form(request, target)

    async def sign_in(self, request: Request) -> Response:
        body = await _read_body(request.receive, MAX_SIGNIN_FORM)
        if body is None:
            return _refused(request, "web_form_too_large", 413)
        fields = parse_qs(body.decode("utf-8", "replace"))

        def given(key: str) -> str:
            return fields.get(key, [""])[0]

        target = safe_next(given("next"))
        lang = page_language(request)
        pre = request.cookies.get(SIGNIN_COOKIE, "")
        if not (_TOKEN.match(pre) and _same(given(CSRF_FIELD), _signin_token(pre))):
            return self._form(request, target, 403, t("web_csrf_refused", lang))
        name = users.normal_name(given("name"))[:100]
        password = given("password")[:MAX_PASSWORD]
        address = client_address(request.scope, self.settings)
        now = self.settings.clock()
        wait = await asyncio.to_thread(sessions.wait_seconds, self.db, name, address, now)
        if wait:
            error = t("web_signin_throttled", lang, seconds=wait)
            response = self._form(request, target, 429, error, name)
            response.headers["retry-after"] = str(wait)
            return response
        async with self.verifying:
            account = await asyncio.to_thread(users.verify, self.db, name, password, now)
        if account is None:
            await asyncio.to_thread(sessions.failed, self.db, name, address, now)
            await asyncio.to_thread(
                audit.write, self.db, now, WEB, address, name, "signin", "", audit.REFUSED,
                audit.WRONG_PASSWORD,
            )  # fmt: skip
            return self._form(request, target, 401, t("web_signin_wrong", lang), name)
        cookie = await asyncio.to_thread(self._start, account, address, now)
        await asyncio.to_thread(
            audit.write, self.db, now, WEB, address, account.name, "signin", "", audit.OK
        )
        response = RedirectResponse(target, status_code=303)
        self._cookie(response, request, SESSION_COOKIE, cookie, path="/")
        self._cookie(response, request, SIGNIN_COOKIE, "", max_age=0, path="/signin")
        return response

    def _start(self, account: users.Account, address: str, now: dt.datetime) -> str:
        sessions.sweep(self.db, now, self.settings.idle)
        sessions.forgive(self.db, account.name)
        cookie, _ = sessions.start(self.db, account, address, now)
        return cookie

    async def sign_out(self, request: Request) -> Response:
        """GET: a page with the sign-out button (a link can point here). POST: ends the session
        in the database, so its cookie opens nothing anywhere again."""
        if request.method == "GET":
            lang = page_language(request)
            body = (
                _environment()
                .get_template("signout.html")
                .render(request=request, lang=lang, t=functools.partial(t, lang=lang))
            )
            return HTMLResponse(body)
        session = current_session(request)
        if session is not None:
            await asyncio.to_thread(sessions.end, self.db, session.key)
            await record(request, self.db, "signout", "", audit.OK)
        response = RedirectResponse("/signin", status_code=303)
        self._cookie(response, request, SESSION_COOKIE, "", max_age=0, path="/")
        return response


def _signin_token(pre: str) -> str:
    """The sign-in form's token, derived from its pre-session cookie (the page never shows the
    cookie's own value)."""
    return hashlib.sha256(f"loa-signin:{pre}".encode()).hexdigest()


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scheduler.http", "templates"), autoescape=True
    )
    install(env)
    return env


def signin_routes(db: Engine, settings: AuthSettings) -> list[Route]:
    """``/signin`` (GET the form, POST the name and password) and ``/signout`` (GET a button,
    POST to sign out)."""
    signin = _Signin(db, settings)
    return [
        Route("/signin", signin.page, methods=["GET", "POST"]),
        Route("/signout", signin.sign_out, methods=["GET", "POST"]),
    ]
