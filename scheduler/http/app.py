"""The daemon's HTTP surface: calendar feeds, health, metrics, and the pages
(``scheduler.http.pages``: the public page of feeds and the staff pages).

Feeds answer with ETag and Last-Modified and honour conditional requests (304), so Google,
Outlook, Apple Calendar and Thunderbird refreshing every few minutes cost almost nothing.
A feed made private in config.toml needs ``?token=…``; a missing or wrong token gets the
same 404 as a feed that does not exist, so a guess learns nothing. A campaign whose feed is
private is left out of every public feed and of the public page (``scheduler.http.feeds.Privacy``).
A feed's version is kept in memory for the store's change generation (``Generation``): a
request reads no database until something changed or a couple of seconds have passed.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import email.utils
import hmac
import json
import re
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine, text
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaigns.errors import Problem
from campaigns.model import Campaign, ChannelCatalog
from campaigns.units import UnitRegistry
from channels.inbound import Inbox, Update, WebhookRefused
from channels.redact import redact
from scheduler.alerts import open_incidents
from scheduler.http.auth import AuthSettings, Gate, signin_routes
from scheduler.http.bodies import read_capped
from scheduler.http.editor import editor_routes
from scheduler.http.events import EventEndpoint, event_routes
from scheduler.http.feeds import FeedSelector, FeedStore, Privacy, canonical_path, feed_path
from scheduler.http.pages import PageContext, page_routes
from scheduler.store import outbox

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Summary

    from scheduler.config import Config

SLICE = 64 * 1024
# a feed's name in its URL: its slug, or the name as written (``môi trường``, URL-encoded)
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")
CALENDAR = "text/calendar; charset=utf-8"
MAX_QUERY = 2048
MAX_WEBHOOK_BODY = 1_000_000  # platforms' updates are a few KB


@dataclass
class HttpState:
    """What the HTTP surface reads from the running daemon."""

    db: Engine
    feed_tokens: Mapping[str, str] = field(default_factory=dict)  # feed path → secret token
    scheduler_running: Callable[[], bool] = lambda: True
    next_due: Callable[[], dt.datetime | None] = lambda: None
    latencies: Callable[[], list[float]] = lambda: []
    bots: Callable[[], dict[str, dict[str, str]]] = dict  # bot → its health
    refused_files: Callable[[], list[str]] = list  # campaign files whose current version is off
    refusals: Callable[[], list[dict[str, str]]] = list  # each with its file:line and reason
    # {"state": "ok"}, or a storage fault: {"state": "fault", "kind", "reason", "since", "hint"}
    storage: Callable[[], dict[str, str]] = lambda: {"state": "ok"}
    hooks: Callable[[str], WebhookTarget | None] = lambda name: None  # bots in webhook mode
    base_url: str = ""
    units: UnitRegistry = field(default_factory=UnitRegistry)  # the units' names in feeds
    # the daemons alive on the database and the leader: {"daemons": [...], "leader": id}
    cluster: Callable[[], dict[str, Any]] = lambda: {"daemons": [], "leader": None}
    auth: AuthSettings = field(default_factory=AuthSettings)  # sign-in to the pages
    # the store's change generation: feeds are answered from memory while it stays the same
    generation: Callable[[], Hashable] | None = None
    # for the staff pages
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    catalog: ChannelCatalog = field(default_factory=ChannelCatalog)
    channel_types: Mapping[str, str] = field(default_factory=dict)  # channel → its type
    problems: Callable[[], list[Problem]] = list  # of the campaign files at the last reload
    changed: Callable[[], Awaitable[None]] | None = None  # an action changed the outbox
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    self_approval: bool = False  # [approval] self_approval
    events: EventEndpoint | None = None  # POST /events/{type}, when a source is configured
    config: Config | None = None  # the campaign folders the editor writes into
    campaigns: Callable[[], Sequence[Campaign]] = list  # as loaded: their triggers take events


class WebhookTarget(Protocol):
    inbox: Inbox

    async def handle(self, update: Update) -> None: ...


class _Metrics:
    """What /metrics reports. Feed requests are tallied in a plain Counter; the Prometheus
    registry is made at the first scrape and brought up to date at each one, so
    prometheus_client (about 1.3 MB resident) is loaded only by a daemon whose metrics are read.
    """

    STATES = ("pending", "sending", "sent", "retrying", "failed", "missed", "cancelled", "held")

    def __init__(self) -> None:
        self.feed_requests: collections.Counter[tuple[str, str]] = collections.Counter()
        self._reported: collections.Counter[tuple[str, str]] = collections.Counter()
        self._seen_latencies = 0
        self._registry: tuple[CollectorRegistry, Counter, Gauge, Summary] | None = None

    def feed_request(self, kind: str, status: str) -> None:
        self.feed_requests[kind, status] += 1

    def exposition(self, counts: Mapping[str, int], latencies: list[float]) -> tuple[bytes, str]:
        """The text format and its media type, with the deliveries' counts and the send
        latencies seen since the last scrape."""
        from prometheus_client import generate_latest
        from prometheus_client.exposition import CONTENT_TYPE_LATEST

        registry, requests_total, deliveries, latency = self._registry or self._create()
        for key, new in (self.feed_requests - self._reported).items():
            requests_total.labels(*key).inc(new)
        self._reported = self.feed_requests.copy()
        for name in self.STATES:
            deliveries.labels(name).set(counts.get(name, 0))
        seen = self._seen_latencies
        for value in latencies[seen:] if len(latencies) >= seen else latencies:
            latency.observe(value)
        self._seen_latencies = len(latencies)
        return generate_latest(registry), CONTENT_TYPE_LATEST

    def _create(self) -> tuple[CollectorRegistry, Counter, Gauge, Summary]:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Summary

        registry = CollectorRegistry()
        self._registry = (
            registry,
            Counter(
                "loa_feed_requests", "Feed requests by feed kind and status", ["kind", "status"],
                registry=registry,
            ),
            Gauge("loa_deliveries", "Deliveries by state", ["state"], registry=registry),
            Summary("loa_send_latency_seconds", "Seconds from due time to sent", registry=registry),
        )  # fmt: skip
        return self._registry


def _http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(
        moment.astimezone(dt.UTC).replace(microsecond=0), usegmt=True
    )


def create_app(state: HttpState) -> Starlette:
    # config.toml may write a private feed's name as people do (``tag/môi trường``)
    tokens = {canonical_path(path): token for path, token in state.feed_tokens.items()}
    # a campaign whose feed is private is private everywhere public: the all, unit and tag
    # feeds and the index leave it out; only its own feed, with the token, shows it
    feeds = FeedStore(
        state.db, state.base_url, privacy=Privacy.of(tokens), units=state.units,
        generation=state.generation,
    )  # fmt: skip
    pages = PageContext(
        db=state.db, feeds=feeds, tokens=tokens, base_url=state.base_url,
        timezone=state.timezone, language=state.language, units=state.units,
        catalog=state.catalog, channel_types=state.channel_types, problems=state.problems,
        bots=state.bots, next_due=state.next_due, changed=state.changed, clock=state.clock,
        self_approval=state.self_approval,
        cluster=state.cluster, campaigns=state.campaigns,
    )  # fmt: skip
    tally = _Metrics()

    async def _errors(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        messages = {
            404: "Không tìm thấy",
            405: "Phương thức không được hỗ trợ",
            400: "Yêu cầu không hợp lệ",
        }
        return PlainTextResponse(messages.get(exc.status_code, "Lỗi"), status_code=exc.status_code)

    def _allowed(selector: FeedSelector, request: Request) -> bool:
        secret = tokens.get(feed_path(selector.kind, selector.value))
        if secret is None:
            return True
        given = request.query_params.get("token", "")
        return hmac.compare_digest(given.encode(), secret.encode())

    async def _feed(selector: FeedSelector, request: Request) -> Response:
        kind = selector.kind
        found = None
        if _allowed(selector, request):
            # the usual request asks what is in memory already: answered without a thread hop
            hit, found = feeds.known(selector)
            if not hit:
                found = await asyncio.to_thread(feeds.lookup, selector)
        if found is None:
            tally.feed_request(kind, "404")
            return PlainTextResponse("Không tìm thấy", status_code=404)
        selector, version = found
        # a feed is text that shrinks about twentyfold: gzip it once per version for the clients
        # that ask (most do), which also keeps a slow client's socket buffer small
        zipped = _accepts_gzip(request)
        etag = f'"{version.etag}-gz"' if zipped else f'"{version.etag}"'
        headers = {"ETag": etag, "Cache-Control": "max-age=300", "Vary": "Accept-Encoding"}
        if zipped:
            headers["Content-Encoding"] = "gzip"
        if version.last_modified is not None:
            headers["Last-Modified"] = _http_date(version.last_modified)
        same = (f'"{version.etag}"', f'"{version.etag}-gz"')  # either form is this version
        if _not_modified(request, same, version.last_modified):
            tally.feed_request(kind, "304")
            return Response(status_code=304, headers=headers)
        body = feeds.rendered(selector, version, zipped)
        if body is None:
            render = feeds.render_gzip if zipped else feeds.render
            body = await asyncio.to_thread(render, selector, version)
        tally.feed_request(kind, "200")
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return Response(status_code=200, headers=headers, media_type=CALENDAR)
        return SlicedResponse(body, media_type=CALENDAR, headers=headers)

    async def feed_all(request: Request) -> Response:
        return await _feed(FeedSelector("all"), request)

    async def feed_named(request: Request) -> Response:
        kind, name = request.path_params["kind"], request.path_params["name"]
        if kind not in ("campaign", "unit", "tag") or not _NAME.match(name):
            tally.feed_request("invalid", "404")
            return PlainTextResponse("Không tìm thấy", status_code=404)
        return await _feed(FeedSelector(kind, name), request)

    async def healthz(request: Request) -> Response:
        try:
            await asyncio.to_thread(_ping, state.db)
            database = "ok"
        except Exception as exc:
            database = f"lỗi: {type(exc).__name__}"
        running = state.scheduler_running()
        next_due = state.next_due()
        bots = state.bots()
        refused = state.refused_files()
        # a refused campaign file, like a failing bot, degrades loa: the other files keep running
        failing = bool(refused) or any(b.get("state") == "failing" for b in bots.values())
        storage = state.storage()
        try:  # what an operator must act on (scheduler.alerts); the database may be at fault
            incidents = await asyncio.to_thread(open_incidents, state.db)
        except Exception:
            incidents = []
        body = {
            # a bot that cannot reach its platform degrades loa; it does not stop the schedule.
            # A database that can be read but not written stops sending: a monitor must see it
            "status": "storage_fault"
            if storage["state"] != "ok"
            else "error"
            if database != "ok" or not running
            else "degraded"
            if failing
            else "ok",
            "database": database,
            "storage": storage,
            "scheduler": "running" if running else "stopped",
            "next_due": next_due.isoformat() if next_due else None,
            "bots": bots,
            "refused_files": refused,
            **state.cluster(),
            "refusals": state.refusals(),
            "incidents": incidents,
        }
        # a bot's error or a database driver's may quote a token: none leaves in the answer
        return Response(
            redact(json.dumps(body, ensure_ascii=False, separators=(",", ":"))),
            status_code=503 if body["status"] in ("error", "storage_fault") else 200,
            media_type="application/json",
        )

    async def webhook(request: Request) -> Response:
        """Updates a platform pushes: proved genuine (secret token or signature), then answered
        before the platform is told 200, so a crash makes it deliver them again."""
        target = state.hooks(request.path_params["name"])
        if target is None:
            return PlainTextResponse("Not Found", status_code=404)
        body = await read_capped(request, MAX_WEBHOOK_BODY)
        if body is None:
            return PlainTextResponse("the body is too large", status_code=413)
        try:
            target.inbox.verify(request.headers, body, time.time())
        except WebhookRefused as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested past what a parser takes
            return PlainTextResponse("the body is not JSON", status_code=400)
        for update in target.inbox.parse(payload):
            await target.handle(update)
        return JSONResponse({"ok": True})

    async def metrics(request: Request) -> Response:
        counts = await asyncio.to_thread(outbox.counts, state.db)
        body, media_type = tally.exposition(counts, state.latencies())
        return Response(redact(body.decode()), media_type=media_type)

    return Starlette(
        routes=[
            Route("/feeds/all.ics", feed_all, methods=["GET", "HEAD"]),
            Route("/feeds/{kind}/{name}.ics", feed_named, methods=["GET", "HEAD"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/hooks/{name}", webhook, methods=["POST"]),
            Route("/metrics", metrics, methods=["GET"]),
            *(event_routes(state.events) if state.events is not None else ()),
            *page_routes(pages, editor_routes(pages, state.config)),
            *signin_routes(state.db, state.auth),
        ],
        middleware=[
            Middleware(_Guard),
            # no page and no action without sign-in; feeds, health, hooks, events stay public
            Middleware(Gate, db=state.db, settings=state.auth),
        ],
        exception_handlers={HTTPException: _errors},
    )


class _Guard:
    """A query string past ``MAX_QUERY`` gets 414, and an error in a handler a plain 500 (its
    details stay in the log, never in the answer). Plain ASGI: Starlette's BaseHTTPMiddleware
    runs every request through a task and memory streams, which cost the feeds a third of
    their requests per second."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > MAX_QUERY:
            await PlainTextResponse("Chuỗi truy vấn quá dài", status_code=414)(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if started:
                raise
            await PlainTextResponse("Lỗi máy chủ", status_code=500)(scope, receive, send)


def _ping(db: Engine) -> None:
    with db.connect() as conn:
        conn.execute(text("select 1"))


class SlicedResponse(Response):
    """A large body sent in slices. The server lets each slice drain before taking the next,
    so a slow client holds one slice in its socket buffer instead of a copy of the whole feed
    (200 slow clients of a 9 MB feed held gigabytes). Content-Length is still sent."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        body = memoryview(self.body)
        for start in range(0, len(body), SLICE):
            more = start + SLICE < len(body)
            part = bytes(body[start : start + SLICE])
            await send({"type": "http.response.body", "body": part, "more_body": more})
        if not body:
            await send({"type": "http.response.body", "body": b""})


def _accepts_gzip(request: Request) -> bool:
    """Whether Accept-Encoding allows gzip (a q of 0 refuses it)."""
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip() if params else "1"
            try:
                return float(quality or "1") > 0
            except ValueError:
                return False
    return False


def _not_modified(
    request: Request, etags: tuple[str, ...], last_modified: dt.datetime | None
) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:  # weak comparison (RFC 9110 13.1.2): W/"x" matches "x"
        given = [m.strip().removeprefix("W/") for m in match.split(",")]
        return any(etag in given for etag in etags) or match.strip() == "*"
    since = request.headers.get("if-modified-since")
    if since and last_modified is not None:
        try:
            parsed = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return last_modified.replace(microsecond=0) <= parsed
    return False
