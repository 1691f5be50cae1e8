"""The approvals page (role approver): what waits, each delivery shown exactly as its platform
will get it (``channels.preview``, the preview page's rendering), and approve or reject (with a
reason) one delivery, an occurrence across its targets, or a campaign's day.

The decision is ``scheduler.approval.decide``, the one the chat commands and the CLI call; it
audits who decided, when, from which address, and the hash of each text approved.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.i18n import LANGUAGES
from scheduler import approval
from scheduler.http import auth, identity
from scheduler.http.pages import MAX_FORM, PageContext, back

Render = Callable[..., Response]
PATH = "/approvals"


@dataclass
class Occurrence:
    """One message occurrence waiting, with each of its deliveries as its platform shows it."""

    message_key: str
    due: dt.datetime
    deliveries: list[tuple[Any, str, Any]] = field(default_factory=list)  # (row, kind, shown)


@dataclass
class Day:
    """A campaign's day: what an approver may approve at once."""

    campaign: str
    title: str
    day: dt.date
    occurrences: list[Occurrence] = field(default_factory=list)


def waiting_days(ctx: PageContext) -> list[Day]:
    """What waits, by campaign and day (in the office's zone), then by occurrence."""
    from channels.preview import rendered  # loads the Telegram client: only when asked

    titles = {row.campaign: row.title for row in _campaigns(ctx)}
    days: dict[tuple[str, dt.date], Day] = {}
    for row in approval.waiting(ctx.db, limit=2000):
        local = row.due.astimezone(ctx.tz).date()
        day = days.setdefault(
            (row.campaign, local), Day(row.campaign, titles.get(row.campaign, ""), local)
        )
        if not day.occurrences or day.occurrences[-1].message_key != row.message_key:
            day.occurrences.append(Occurrence(row.message_key, row.due))
        kind = ctx.channel_types.get(row.channel, "")
        day.occurrences[-1].deliveries.append((row, kind, rendered(kind, row.text, row.image)))
    for day in days.values():  # rows come by due time, then key: an occurrence is together
        day.occurrences.sort(key=lambda o: (o.due, o.message_key))
    return sorted(days.values(), key=lambda d: (d.day, d.campaign))


def _campaigns(ctx: PageContext) -> list[Any]:
    from scheduler.http import views

    return list(views.campaigns(ctx.db))


def approval_routes(ctx: PageContext, render: Render) -> list[BaseRoute]:
    """The page and its two actions; ``render`` is the staff pages' own."""

    @auth.requires("approver")
    async def page(request: Request) -> Response:
        days = await asyncio.to_thread(waiting_days, ctx)
        return render(request, "approvals.html", days=days)

    async def decide(request: Request) -> Response:
        action = request.path_params["action"]
        if action not in ("approve", "reject"):
            return PlainTextResponse("Not Found", status_code=404)
        form = {} if len(await request.body()) > MAX_FORM else await auth.form(request)
        asked = request.query_params.get("lang", "")
        lang = asked if asked in LANGUAGES else ctx.language
        account = identity.current_user(request)
        who = approval.Decider(account.name, account.role, auth.WEB, auth.address_of(request))
        selection = _selection(form)
        decision = await asyncio.to_thread(
            approval.decide, ctx.db, who, selection, action == "approve", form.get("reason", ""),
            ctx.clock(), ctx.tz, ctx.self_approval, lang,
        )  # fmt: skip
        if decision.ok and ctx.changed is not None:
            await ctx.changed()
        if not account.may("approver"):
            return render(request, "refused.html", status=403)
        return back(ctx, request, PATH, decision.sentence(action == "approve", lang))

    return [
        Route(PATH, page, methods=["GET"]),
        Route(PATH + "/{action}", decide, methods=["POST"]),
    ]


def _selection(form: dict[str, str]) -> approval.Selection:
    """A delivery's or an occurrence's ``key``, or a ``campaign`` and its ``day``."""
    if form.get("key"):
        return approval.Selection(key=form["key"])
    try:
        day = dt.date.fromisoformat(form.get("day", ""))
    except ValueError:
        return approval.Selection(key="?")  # names nothing: decide says so, and audits it
    return approval.Selection(campaign=form.get("campaign", ""), day=day)
