"""The staff pages and the public page of feeds, served by the daemon.

Server-rendered with Jinja2, a stylesheet and a few lines of JavaScript, all served by loa from
this package (``templates/``, ``static/``): office networks are often closed, so no CDN and no
build step. Who is asking comes from ``scheduler.http.identity`` alone (sign-in, ``auth``). Actions go through the
functions the chat commands and the CLI use (``pausing``, ``outbox.retry``/``cancel``/
``add_manual``), are written to the same audit log, then the daemon looks at its outbox again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from campaigns.collation import sort_key
from campaigns.dates import (
    WEEKDAYS_EN,
    WEEKDAYS_VI_SHORT,
    format_compact,
    format_date,
    format_short,
    read_moment,
)
from campaigns.errors import ExpressionError, Problem
from campaigns.i18n import LANGUAGES, named, t
from campaigns.model import Campaign, ChannelCatalog
from campaigns.sequence import declared_fields
from campaigns.units import UnitRegistry
from scheduler import audit, pausing
from scheduler.alerts import open_incidents
from scheduler.alerts.sender import fix, headline
from scheduler.editor import history
from scheduler.events.intake import Occurred, Refused, Sender, intake, triggers_of
from scheduler.http import auth, identity, notices, views
from scheduler.http.feeds import FeedStore, feed_path
from scheduler.store import outbox

STATIC = Path(__file__).with_name("static")
MAX_FORM = 64 * 1024
# The role every action on the pages needs, one rule for the routes, the buttons the pages show
# and docs/operations.md's table: an admin pauses and resumes campaigns, retries and cancels
# deliveries, sends test messages and triggers events (each sends in the office's name or stops
# what it sends), as only a chat's admins may in the chat bots; an editor edits campaign files
# and an approver approves, which are not these actions.
ACTION_ROLE = "admin"


@dataclass
class PageContext:
    """What the pages need from the daemon beyond the store."""

    db: Engine
    feeds: FeedStore
    tokens: Mapping[str, str]  # private feed paths → token
    base_url: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    units: UnitRegistry = field(default_factory=UnitRegistry)
    catalog: ChannelCatalog = field(default_factory=ChannelCatalog)
    channel_types: Mapping[str, str] = field(default_factory=dict)
    problems: Callable[[], list[Problem]] = list
    bots: Callable[[], dict[str, dict[str, str]]] = dict
    next_due: Callable[[], dt.datetime | None] = lambda: None
    changed: Callable[[], Awaitable[None]] | None = None  # the daemon re-reads its outbox
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    self_approval: bool = False  # [approval] self_approval: a campaign's editor may approve it
    # the daemons alive and the leader, as /healthz and ``loa status --format json`` show them
    cluster: Callable[[], Mapping[str, Any]] = dict
    campaigns: Callable[[], Sequence[Campaign]] = list  # as loaded: their triggers take events

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("scheduler.http", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["csrf_field"] = identity.csrf_field
    return env


def back(ctx: PageContext, request: Request, path: str, said: str) -> Response:
    """Post/redirect/get: the page shows what was done, and a reload does not do it again.
    The sentence is sealed for this session (``notices``): a link cannot make it up."""
    lang = _lang(request, ctx.language)
    session = auth.current_session(request)
    said_here = notices.sealed(session.key, said, ctx.clock()) if session else {}
    params = {**said_here, **({"lang": lang} if lang != ctx.language else {})}
    return RedirectResponse(f"{path}?{urlencode(params)}", status_code=303)


def _lang(request: Request, default: str) -> str:
    asked = request.query_params.get("lang", "")
    return asked if asked in LANGUAGES else default


def page_routes(
    ctx: PageContext, extra: Callable[[Callable[..., HTMLResponse]], list[BaseRoute]] | None = None
) -> list[BaseRoute]:
    """The pages; ``extra`` adds routes that render with the same layout (the editor's), tried
    before the pages' own (``/campaigns/new`` is no campaign id)."""
    env = environment()

    def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        lang = _lang(request, ctx.language)

        def link(path: str, **params: Any) -> str:
            """A link that keeps the page's language (``?lang=en``) when it was asked."""
            given = {k: v for k, v in params.items() if v not in ("", None)}
            if lang != ctx.language:
                given["lang"] = lang
            return f"{path}?{urlencode(given)}" if given else path

        user = values.pop("user", None) or identity.current_user(request)
        other = "en" if lang == "vi" else "vi"
        kept = {k: v for k, v in request.query_params.items() if k not in notices.PARAMS}
        switch = f"{request.url.path}?{urlencode({**kept, 'lang': other})}"
        session = auth.current_session(request)
        key = session.key if session is not None else None
        done = notices.opened(key, request.query_params, ctx.clock())
        body = env.get_template(name).render(
            t=lambda code, **p: t(code, lang, **p),
            named=lambda kind, value: named(kind, value, lang),
            lang=lang, other_lang=other, switch=switch, link=link,
            day=lambda d: format_date(d, lang), when=lambda d: _when(d, ctx.tz, lang),
            local_day=lambda moment: moment.astimezone(ctx.tz).date(), short=format_short,
            user=user, may_act=user.may(ACTION_ROLE), path=request.url.path, request=request,
            done=done, **values,
        )  # fmt: skip
        return HTMLResponse(body, status_code=status)

    def subscribe(path: str, request: Request) -> dict[str, str]:
        """The feed's link, and its webcal:// link that calendar apps open to subscribe: from
        ``public_url``, else from the address the page was asked at."""
        http = f"{ctx.base_url}/feeds/{path}.ics"
        root = ctx.base_url.split("://", 1)[1] if "://" in ctx.base_url else ""
        host = root or request.headers.get("host", "127.0.0.1")
        return {"http": http, "webcal": f"webcal://{host}/feeds/{path}.ics"}

    async def public(request: Request) -> Response:
        items = await asyncio.to_thread(_public_feeds, ctx.feeds, ctx.tokens)
        feeds = [
            {"kind": kind, "title": title, "path": path, **subscribe(path, request)}
            for kind, title, path in items
        ]
        return render(request, "public.html", feeds=feeds, user=identity.ANONYMOUS)

    async def calendar(request: Request) -> Response:
        query = request.query_params
        today = ctx.clock().astimezone(ctx.tz).date()
        first = _month(query.get("month", ""), today)
        filters = views.Filters.of(query)
        chosen = _day(query.get("day", "")) or (today if today.replace(day=1) == first else None)
        month = await asyncio.to_thread(
            views.calendar_month, ctx.db, first, ctx.tz, filters, ctx.units, frozenset(), chosen
        )
        choices = await asyncio.to_thread(_choices, ctx)
        lang = _lang(request, ctx.language)
        weekdays = [d[:3] for d in WEEKDAYS_EN] if lang == "en" else list(WEEKDAYS_VI_SHORT)
        return render(
            request, "calendar.html", month=month, filters=filters, today=today,
            previous=_shift(first, -1), following=_shift(first, 1), weekdays=weekdays,
            **choices,
        )  # fmt: skip

    async def campaign_list(request: Request) -> Response:
        rows = await asyncio.to_thread(views.campaigns, ctx.db)
        return render(request, "campaigns.html", campaigns=rows)

    async def campaign(request: Request) -> Response:
        campaign_id = request.path_params["id"]
        found = await asyncio.to_thread(views.campaign, ctx.db, campaign_id, ctx.clock(), ctx.units)
        if found is None:
            return render(request, "missing.html", status=404)
        source = str(found.row.source)
        problems = [p for p in ctx.problems() if _same_file(p.file, source)]
        path = feed_path("campaign", campaign_id)
        feed = subscribe(path, request) if path not in ctx.tokens else None
        edits = await asyncio.to_thread(history.entries, ctx.db, campaign_id)
        loaded = await asyncio.to_thread(ctx.campaigns)  # a follower reads the files
        events = [
            (kind, declared_fields(tr for _, tr in triggers_of(loaded, kind)))
            for kind in _event_types(loaded, campaign_id)
        ]
        return render(request, "campaign.html", c=found, problems=problems, feed=feed,
                      events=events, history=edits)  # fmt: skip

    async def preview(request: Request) -> Response:
        from channels.preview import rendered  # loads the Telegram client: only when asked

        key = request.path_params["key"]
        row = await asyncio.to_thread(outbox.get_delivery, ctx.db, key)
        if row is None:
            return render(request, "missing.html", status=404)
        kind = ctx.channel_types.get(row.channel, "")
        shown = rendered(kind, row.text, row.image)
        return render(request, "preview.html", d=row, kind=kind, shown=shown)

    async def deliveries(request: Request) -> Response:
        query = request.query_params
        filters = views.Filters.of(query)
        try:
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            page = 1
        log = await asyncio.to_thread(views.delivery_log, ctx.db, filters, ctx.tz, page, ctx.units)
        choices = await asyncio.to_thread(_choices, ctx)
        params = {k: v for k, v in query.items() if k not in ("page", "lang", *notices.PARAMS)}
        return render(request, "deliveries.html", log=log, filters=filters, params=params,
                      states=views.STATES, **choices)  # fmt: skip

    async def status(request: Request) -> Response:
        lang = _lang(request, ctx.language)
        upcoming = await asyncio.to_thread(views.next_due, ctx.db)
        counts = await asyncio.to_thread(outbox.counts, ctx.db)
        incidents = await asyncio.to_thread(open_incidents, ctx.db)
        running = ctx.cluster()
        return render(
            request, "status.html", plain=lambda code: _unmarked(t(code, lang)), upcoming=upcoming, counts=counts, bots=ctx.bots(),
            next_due=ctx.next_due(), problems=ctx.problems(),
            channels=sorted(ctx.catalog.targets.items()),
            alive=[{**d, "started_at": _moment(d["started_at"]), "seen_at": _moment(d["seen_at"])}
                   for d in running.get("daemons", [])],
            leader=running.get("leader"),
            incidents=[_incident(found, lang) for found in incidents],
        )  # fmt: skip

    # -- actions: POST forms, each through the function the chat and the CLI use -------------

    async def _form(request: Request) -> dict[str, str]:
        """A form's fields (url-encoded, as browsers post small forms; a few KB at most)."""
        return {} if len(await request.body()) > MAX_FORM else await auth.form(request)

    async def _refusal(request: Request, command: str, arguments: str) -> Response | None:
        """None when the signed-in person may act (ACTION_ROLE); else the refusal, audited."""
        account = identity.current_user(request)
        if account.may(ACTION_ROLE):
            return None
        await _done(request, command, arguments, audit.REFUSED, audit.NOT_ADMIN)
        lang = _lang(request, ctx.language)
        why = t(
            "web_role_refused", lang, role=named("role", ACTION_ROLE, lang), name=account.name,
            have=named("role", account.role, lang),
        )  # fmt: skip
        return render(request, "refused.html", status=403, why=why)

    async def _done(
        request: Request, command: str, arguments: str, result: str, detail: str
    ) -> None:
        await auth.record(request, ctx.db, command, arguments, result, detail)
        if ctx.changed is not None and result == audit.OK:
            await ctx.changed()

    async def pause_or_resume(request: Request) -> Response:
        campaign_id, action = request.path_params["id"], request.path_params["action"]
        if action not in ("pause", "resume"):
            return PlainTextResponse("Not Found", status_code=404)
        refused = await _refusal(request, action, campaign_id)
        if refused is not None:
            return refused
        change = pausing.pause if action == "pause" else pausing.resume
        try:
            result = await asyncio.to_thread(change, ctx.db, campaign_id, ctx.clock())
        except pausing.UnknownCampaign:
            await _done(request, action, campaign_id, audit.REFUSED, audit.UNKNOWN_CAMPAIGN)
            return render(request, "missing.html", status=404)
        lang = _lang(request, ctx.language)
        if action == "pause":
            said = t("page_paused", lang, id=campaign_id, held=result.held)
            if not result.changed:
                said = t("bot_already_paused", lang, id=campaign_id)
        else:
            said = t(
                "bot_resumed", lang, id=campaign_id, resumed=result.resumed, missed=result.missed
            )
            if not result.changed:
                said = t("bot_not_paused", lang, id=campaign_id)
        await _done(request, action, campaign_id, audit.OK, said)
        return _back(request, f"/campaigns/{campaign_id}", said)

    async def trigger(request: Request) -> Response:
        """An event from the form of a campaign that answers its type, through the one intake
        every source uses (``scheduler.events.intake``), as the signed-in person."""
        campaign_id = request.path_params["id"]
        form = await _form(request)
        kind, at = form.get("event", ""), form.get("at", "").strip()
        data = {k.removeprefix("data."): v for k, v in form.items() if k.startswith("data.")}
        said_as = " ".join(
            [kind, *(f"--data {k}={v}" for k, v in data.items()), *([f"--at {at}"] if at else [])]
        )  # as ``loa trigger`` writes its arguments in the audit log
        refused = await _refusal(request, "trigger", said_as)
        if refused is not None:
            return refused
        loaded = await asyncio.to_thread(ctx.campaigns)  # a follower reads the files
        if kind not in _event_types(loaded, campaign_id):
            return render(request, "missing.html", status=404)
        lang = _lang(request, ctx.language)
        now = ctx.clock()
        try:
            moment = read_moment(at, ctx.tz, now.astimezone(ctx.tz).date()) if at else None
        except ExpressionError as exc:
            reason = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            said = t("event_refused", lang, reason=t("page_event_bad_at", lang, value=at,
                                                     reason=reason))  # fmt: skip
            await _done(request, "trigger", said_as, audit.REFUSED, said)
            return _back(request, f"/campaigns/{campaign_id}", said)
        who = Sender(auth.WEB, identity.current_user(request).name)
        result = await asyncio.to_thread(
            intake, ctx.db, loaded, ctx.catalog, Occurred(kind, None, moment, data), who, now
        )
        if isinstance(result, Refused):
            said = t("event_refused", lang, reason=result.sentence(lang))
            await _done(request, "trigger", said_as, audit.REFUSED, said)
        else:
            planned = [
                t("page_event_planned", lang, channel=f"{d.channel}:{d.target}".rstrip(":"),
                  when=_when(d.due, ctx.tz, lang))
                for d in result.deliveries
            ]  # fmt: skip
            said = " ".join([result.sentence(lang), "; ".join(planned)]).strip()
            await _done(request, "trigger", said_as, audit.OK, said)
        return _back(request, f"/campaigns/{campaign_id}", said)

    async def delivery_action(request: Request) -> Response:
        action = request.path_params["action"]
        if action not in ("retry", "cancel"):
            return PlainTextResponse("Not Found", status_code=404)
        key = (await _form(request)).get("key", "")
        refused = await _refusal(request, action, key)
        if refused is not None:
            return refused
        lang = _lang(request, ctx.language)
        now = ctx.clock()
        if action == "retry":
            retried = await asyncio.to_thread(outbox.retry, ctx.db, now, ctx.catalog, key)
            if retried.refused:
                said = "; ".join(r.sentence(ctx.catalog, lang) for r in retried.refused)
            elif retried.count:
                said = t("page_retried", lang, key=key)
            else:
                state = await asyncio.to_thread(outbox.state_of, ctx.db, key)
                said = t(
                    "bot_cannot_retry", lang, key=key, state=named("state", state or "?", lang)
                )
            result = audit.OK if retried.count else audit.REFUSED
        else:
            done = await asyncio.to_thread(outbox.cancel, ctx.db, key, now)
            said = (
                t("cancelled_one", lang, key=key)
                if done
                else t("page_not_cancelled", lang, key=key)
            )
            result = audit.OK if done else audit.REFUSED
        await _done(request, action, key, result, said)
        return _back(request, f"/preview/{key}", said)

    async def send_test(request: Request) -> Response:
        form = await _form(request)
        channel, target = form.get("channel", ""), form.get("target", "")
        text = form.get("text", "").strip() or t("page_test_text", _lang(request, ctx.language))
        lang = _lang(request, ctx.language)
        refused = await _refusal(request, "send", f"{channel}:{target}")
        if refused is not None:
            return refused
        why = outbox.never_sendable(ctx.catalog, channel, target, lang)
        if why is not None:
            await _done(request, "send", f"{channel}:{target}", audit.REFUSED, why)
            return _back(request, "/status", why)
        key = await asyncio.to_thread(
            outbox.add_manual, ctx.db, channel, target, text, ctx.clock(), ctx.tz
        )
        said = t("page_test_queued", lang, key=key)
        await _done(request, "send", f"{channel}:{target}", audit.OK, said)
        return _back(request, f"/preview/{key}", said)

    def _back(request: Request, path: str, said: str) -> Response:
        return back(ctx, request, path, said)

    from scheduler.http.approvals import approval_routes  # it builds on this module

    return [
        *(extra(render) if extra is not None else []),
        Route("/", public, methods=["GET"]),
        Route("/calendar", calendar, methods=["GET"]),
        Route("/campaigns", campaign_list, methods=["GET"]),
        Route("/campaigns/{id}", campaign, methods=["GET"]),
        Route("/campaigns/{id}/trigger", trigger, methods=["POST"]),
        Route("/campaigns/{id}/{action}", pause_or_resume, methods=["POST"]),
        Route("/preview/{key:path}", preview, methods=["GET"]),
        Route("/deliveries", deliveries, methods=["GET"]),
        Route("/deliveries/{action}", delivery_action, methods=["POST"]),
        Route("/status", status, methods=["GET"]),
        Route("/send-test", send_test, methods=["POST"]),
        *approval_routes(ctx, render),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]


def _when(moment: Any, tz: ZoneInfo, lang: str) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, dt.datetime):
        return format_compact(moment.astimezone(tz), lang)
    return format_compact(moment, lang)


def _event_types(loaded: Sequence[Campaign], campaign_id: str) -> list[str]:
    """The event types the campaign's triggers answer, as its file declares them."""
    found = [c for c in loaded if c.id == campaign_id]
    return list(dict.fromkeys(tr.event for c in found for tr in c.triggers))


def _unmarked(text: str) -> str:
    """A sentence ``loa status`` prints in colour, as plain text."""
    from rich.markup import render as markup

    return markup(text).plain


def _moment(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


def _incident(found: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """An open incident as ``loa status`` prints it: what happened, since when, the fix."""
    kind, subject = found["kind"], found["subject"]
    return {
        "headline": headline(kind, subject, found["count"], found["detail"], lang),
        "fix": fix(kind, subject, lang),
        "since": _moment(found["opened_at"]),
        "last": _moment(found["last_seen_at"]),
    }


def _month(text: str, today: dt.date) -> dt.date:
    """``2026-06`` as its first day; this month when absent or not a month."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _shift(first: dt.date, months: int) -> str:
    index = first.year * 12 + first.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _same_file(problem_file: str, source: str) -> bool:
    """A problem names its file as the loader does (relative or absolute)."""
    return bool(problem_file) and (
        problem_file == source or source.endswith("/" + problem_file.lstrip("./"))
        or Path(problem_file).name == Path(source).name
    )  # fmt: skip


def _choices(ctx: PageContext) -> dict[str, Any]:
    """What the filters offer, each list in Vietnamese order."""
    return {
        "campaign_choices": [(r.campaign, r.title) for r in views.campaigns(ctx.db)],
        "unit_choices": views.unit_names(ctx.db, ctx.units),
        "channel_choices": views.by_name(ctx.catalog.targets),
    }


def _public_feeds(feeds: FeedStore, tokens: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(kind, name, feed path) of every public feed, each kind's in Vietnamese order: a private
    campaign, and a unit or tag only private campaigns use, are on no public page."""
    campaigns = feeds._campaigns()
    hidden = feeds.privacy.hidden(campaigns)
    live = {c: row for c, row in campaigns.items() if row.digest != "removed" and c not in hidden}
    items = [("all", "", "all")]
    for kind in ("campaign", "unit", "tag"):
        found = []
        for key, names in feeds.names(kind, live if kind == "campaign" else campaigns).items():
            if kind == "campaign":
                shown = live[min(names)].title
            else:
                written = {feeds.registry.name(n) for n in names} if kind == "unit" else names
                shown = ", ".join(sorted(written, key=sort_key))
            found.append((kind, shown, f"{kind}/{key}"))
        items += sorted(found, key=lambda item: sort_key(item[1]))
    return [item for item in items if item[2] not in tokens]
