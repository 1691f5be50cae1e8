"""``POST /events/{type}``: a monitoring system (an air-quality feed, a disaster-warning
bulletin) reports an event, and the sequence its triggers start goes out at once.

Each source named in config.toml's ``[events.sources.NAME]`` proves itself with its own bearer
token (``Authorization: Bearer …``, compared in constant time); the source's name, never its
token, is what the event, the log and the audit log record as the sender. The body is
``{"id": "…", "at": "…" (optional, ISO 8601 with a time zone), "data": {…}}``, at most
``MAX_BODY`` bytes of JSON. What it says goes to ``scheduler.events.intake`` like the CLI's
and the chat's events, so the same id posted again is the same event.

Answers are JSON: 201 with the deliveries planned for a new event, 200 for one seen before
(the same again, or updated), and a 4xx ``{"error": sentence, "field": where, "code": code}``
naming what to fix: 401 without the right token, 413 over the size, 415 not JSON, 400 a body
that does not parse, 404 an event type no campaign file answers, 409 an id taken or
cancelled, 422 a field at fault. Nothing is written on a refusal. A database that fails
mid-intake writes nothing either (one transaction): 503, and the admins hear of it
(the intake raises ``alerts.EVENT_UNSCHEDULED``, as it does for an accepted event whose
messages reach no chat or cannot be written: those are listed in the answer's ``problems``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from campaigns.model import Campaign, ChannelCatalog
from scheduler import audit
from scheduler.events.intake import MAX_ID, Accepted, Occurred, Refused, Sender, intake
from scheduler.http.bodies import read_capped

log = logging.getLogger("loa.events")

MAX_BODY = 64 * 1024  # an event is an id, a time and a few short fields
SOURCE = "http"  # the intake's source, and the audit log's channel
KEYS = ("id", "at", "data")
JSON_TYPES = ("application/json",)


@dataclass(frozen=True)
class EventEndpoint:
    """What the endpoint needs from the daemon."""

    db: Engine
    tokens: Mapping[str, str] = field(default_factory=dict)  # source name → bearer token
    campaigns: Callable[[], Sequence[Campaign]] = list  # the running ones (blocking: a thread)
    catalog: ChannelCatalog = field(default_factory=ChannelCatalog)
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    changed: Callable[[], Awaitable[None]] | None = None  # the outbox changed: send now
    language: str = "vi"


def event_routes(endpoint: EventEndpoint) -> list[Route]:
    async def post_event(request: Request) -> Response:
        return await _post(endpoint, request)

    return [Route("/events/{type}", post_event, methods=["POST"])]


def source_of(tokens: Mapping[str, str], header: str) -> str | None:
    """The source whose token the ``Authorization`` header carries. Every source's token is
    compared, each in constant time, so the answer's time tells nothing of which came close."""
    scheme, _, given = header.strip().partition(" ")
    presented = given.strip().encode() if scheme.lower() == "bearer" else b""
    found = None
    for name, token in tokens.items():
        if hmac.compare_digest(presented, token.encode()) and token and presented:
            found = name
    return found


def _refusal(refused: Refused, lang: str) -> JSONResponse:
    body = {"error": refused.sentence(lang), "field": refused.field, "code": refused.code}
    headers = {"WWW-Authenticate": "Bearer"} if refused.status == 401 else None
    return JSONResponse(body, status_code=refused.status, headers=headers)


def _read(body: bytes, type_: str) -> Occurred | Refused:
    """The event the body describes, or what is wrong with it (nothing is read twice)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past a parser
        return Refused("body", "events_bad_json", {}, 400)
    if not isinstance(payload, dict):
        return Refused("body", "events_not_object", {})
    for key in payload:
        if key not in KEYS:
            return Refused(str(key)[:MAX_ID], "events_key_unknown", {"names": ", ".join(KEYS)})
    event_id, at, data = payload.get("id"), payload.get("at"), payload.get("data", {})
    if event_id is None:
        return Refused("id", "events_id_required", {})
    if not isinstance(event_id, str):
        return Refused("id", "events_not_text", {})
    moment = None
    if at is not None:
        if not isinstance(at, str):
            return Refused("at", "events_not_text", {})
        try:
            moment = dt.datetime.fromisoformat(at)
        except ValueError:
            return Refused("at", "events_at_bad", {})
        if moment.tzinfo is None:
            return Refused("at", "events_at_bad", {})
    if not isinstance(data, dict):
        return Refused("data", "events_data_not_object", {})
    return Occurred(type_, event_id, moment, data)


async def _post(endpoint: EventEndpoint, request: Request) -> Response:
    lang = endpoint.language
    source = source_of(endpoint.tokens, request.headers.get("authorization", ""))
    if source is None:
        return _refusal(Refused("authorization", "events_unauthorized", {}, 401), lang)
    type_ = request.path_params["type"]
    body = await read_capped(request, MAX_BODY)
    if body is None:
        return _refusal(Refused("body", "events_too_large", {"limit": str(MAX_BODY)}, 413), lang)
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in JSON_TYPES:
        return _refusal(Refused("content-type", "events_not_json", {}, 415), lang)
    incoming = _read(body, type_)
    if isinstance(incoming, Refused):
        return _refusal(incoming, lang)
    now = endpoint.clock()
    said = f"{type_[:MAX_ID]} {(incoming.id or '')[:MAX_ID]}"
    try:
        result = await asyncio.to_thread(_take, endpoint, incoming, source, now)
    except Exception:  # the database: nothing was written, and the intake raised an incident
        log.exception("event not stored", extra={"source": source, "event": said})
        return _refusal(Refused("", "events_not_stored", {}, 503), lang)
    if isinstance(result, Refused):
        await _audit(endpoint, request, source, now, said, audit.REFUSED, result.code)
        return _refusal(result, lang)
    assert isinstance(result, Accepted)
    await _audit(endpoint, request, source, now, said, audit.OK, result.outcome)
    if result.outcome != "unchanged" and endpoint.changed is not None:
        await endpoint.changed()  # the engine looks at once: "at once" means now
    log.info("event taken", extra={"source": source, "event": said, "outcome": result.outcome})
    return JSONResponse(
        _accepted(result, lang), status_code=201 if result.outcome == "started" else 200
    )


def _take(endpoint: EventEndpoint, incoming: Occurred, source: str, now: dt.datetime) -> Any:
    campaigns = endpoint.campaigns()
    return intake(endpoint.db, campaigns, endpoint.catalog, incoming, Sender(SOURCE, source), now)


def _accepted(result: Accepted, lang: str) -> dict[str, Any]:
    return {
        "id": result.id,
        "type": result.type,
        "outcome": result.outcome,
        "at": result.at.isoformat(),
        "message": result.sentence(lang),
        "cancelled": result.cancelled,
        "problems": [p.sentence(lang) for p in result.problems],
        "deliveries": [
            {"key": d.key, "channel": d.channel, "target": d.target,
             "due": d.due.isoformat(), "state": d.state}
            for d in result.deliveries
        ],
    }  # fmt: skip


async def _audit(
    endpoint: EventEndpoint,
    request: Request,
    source: str,
    now: dt.datetime,
    said: str,
    result: str,
    detail: str,
) -> None:
    """An authenticated source's event, taken or refused, in the audit log the chat and CLI
    commands share (the unauthenticated are not written: anyone could fill the log)."""
    client = request.client.host if request.client else ""
    await asyncio.to_thread(
        audit.write, endpoint.db, now, SOURCE, client, source, "event", said, result, detail
    )
