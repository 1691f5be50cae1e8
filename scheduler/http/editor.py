"""The campaign editor of the staff pages, for editors: a form over a campaign file.

``/campaigns/new`` and ``/campaigns/{id}/edit`` show the form; ``…/check`` answers, as the
person types, with the loader's own problems mapped to the form's fields and the next
occurrences the campaign would produce; posting the form saves the file. A save is the whole
file judged first (``scheduler.editor.verdict``, the verdict of ``loa validate`` and of the
reload), then written atomically, then recorded in the audit log as ``campaign_edit`` with the
unified diff; nothing is written when the file is refused. The form carries the digest of the
file it was opened on: a file changed on disk since then is not overwritten, the page shows
the difference instead. ``/campaigns/{id}/remove`` asks, then moves the file aside. The
daemon's reload (every ``reload_seconds``) applies a saved or removed file like a hand edit.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.editing import apply, unified_diff
from campaigns.errors import Problem
from campaigns.i18n import LANGUAGES, t
from campaigns.timeexpr import ID_PATTERN
from scheduler import audit
from scheduler.campaign_set import load_campaigns
from scheduler.config import Config
from scheduler.editor import files, form, history
from scheduler.editor.verdict import Verdict, display, judge
from scheduler.http import auth
from scheduler.http.pages import PageContext, back
from scheduler.plan import kind_text, when_text

Render = Callable[..., HTMLResponse]
NEW_DIGEST = "new"  # the digest a new campaign's form carries: no file yet


@dataclass(frozen=True)
class Draft:
    """A would-be file: where it goes, the text it was opened on, and the text to save."""

    path: Path
    original: str
    text: str
    fields: Mapping[str, str]

    @property
    def changed(self) -> bool:
        return self.text != self.original


def editor_routes(ctx: PageContext, config: Config | None) -> Callable[[Render], list[BaseRoute]]:
    """The editor's routes, given the pages' ``render``; none when the daemon has no config
    (the pages' tests), since the editor writes into the config's campaign folders."""

    def routes(render: Render) -> list[BaseRoute]:
        return [] if config is None else _Editor(ctx, config, render).routes()

    return routes


class _Editor:
    def __init__(self, ctx: PageContext, config: Config, render: Render) -> None:
        self.ctx, self.config, self.render = ctx, config, render
        # one save at a time: reading the file, comparing its digest and writing are one step
        # for the saves this daemon serves
        self.saving = asyncio.Lock()

    def routes(self) -> list[BaseRoute]:
        editor = auth.requires("editor")
        return [
            Route("/campaigns/new", editor(self._serial(self.new)), methods=["GET", "POST"]),
            Route("/campaigns/new/check", editor(self.check_new), methods=["POST"]),
            Route("/campaigns/{id}/edit", editor(self._serial(self.edit)), methods=["GET", "POST"]),
            Route("/campaigns/{id}/check", editor(self.check), methods=["POST"]),
            Route(
                "/campaigns/{id}/remove", editor(self._serial(self.remove)), methods=["GET", "POST"]
            ),
        ]

    def _serial(self, endpoint: auth.Endpoint) -> auth.Endpoint:
        async def one_at_a_time(request: Request) -> Response:
            if request.method != "POST":
                return await endpoint(request)
            async with self.saving:
                return await endpoint(request)

        return one_at_a_time

    def _lang(self, request: Request) -> str:
        asked = request.query_params.get("lang", "")
        return asked if asked in LANGUAGES else self.ctx.language

    # -- reading the form ---------------------------------------------------------------------

    def _new_draft(self, fields: Mapping[str, str]) -> Draft:
        campaign_id = form.normal(fields.get("id", ""))
        name = campaign_id if ID_PATTERN.match(campaign_id) else "moi"
        path = files.new_path(self.config, name) or self.config.root / f"{name}.toml"
        original = ""
        return Draft(path, original, _new_file(original, fields), fields)

    def _draft(self, path: Path, original: str, fields: Mapping[str, str]) -> Draft:
        return Draft(path, original, apply(original, form.edits(original, fields)), fields)

    async def _judge(self, draft: Draft) -> Verdict:
        now = self.ctx.clock()
        found = await asyncio.to_thread(
            judge, self.config, draft.path, draft.text.encode("utf-8"), now
        )
        if not draft.original and draft.path.exists():  # a new campaign never replaces a file
            taken = t("editor_file_exists", file=display(self.config, draft.path))
            found.problems.insert(0, Problem(display(self.config, draft.path), 0, "id", taken))
            found.campaign = None
        return found

    def _messages(self, request: Request, draft: Draft, verdict: Verdict) -> dict[str, Any]:
        """The verdict as the form shows it: a message under each field it concerns, the
        others above the form, and the next occurrences."""
        lang = self._lang(request)
        removed = form.removed_items(draft.fields)
        by_field: dict[str, str] = {}
        general: list[str] = []
        for problem in verdict.errors:
            said = problem.message + (f" ({problem.hint})" if problem.hint else "")
            name = form.field_of(problem.path, draft.original, removed)
            if name is not None:
                by_field.setdefault(name, said)
            else:
                general.append(str(problem))
        general += [str(problem) for problem in verdict.problems if problem.severity != "error"]
        upcoming = [
            {"when": when_text(row, lang), "kind": kind_text(row.kind), "row": row}
            for row in verdict.upcoming
        ]
        return {"field_errors": by_field, "general": general, "upcoming": upcoming}

    # -- pages --------------------------------------------------------------------------------

    def _form_page(
        self, request: Request, draft: Draft, digest: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        shown = form.view(draft.original)
        if draft.fields:  # what the person typed, not the file's values
            shown = form.View(
                {k: _typed(draft.fields, k, v) for k, v in shown.head.items()},
                {
                    kind: [
                        form.FormItem(item.index, {
                            key: _typed(draft.fields, item.name(kind, key), value)
                            for key, value in item.values.items()
                        })
                        for item in items
                    ]
                    for kind, items in shown.items.items()
                },
                shown.triggers,
            )  # fmt: skip
        campaign_id = request.path_params.get("id", "")
        action = f"/campaigns/{campaign_id}/edit" if campaign_id else "/campaigns/new"
        check = f"/campaigns/{campaign_id}/check" if campaign_id else "/campaigns/new/check"
        return self.render(
            request, "editor.html", status, view=shown, campaign_id=campaign_id,
            action=action, check=check, digest=digest,
            original_b64=base64.b64encode(draft.original.encode("utf-8")).decode("ascii"),
            file=display(self.config, draft.path), fields=form.ITEMS, head=form.HEAD,
            removed=form.removed_items(draft.fields),
            **{"field_errors": {}, "general": [], "upcoming": None, **values},
        )  # fmt: skip

    async def new(self, request: Request) -> Response:
        if request.method == "GET":
            return self._form_page(request, self._new_draft({}), NEW_DIGEST)
        fields = await _fields(request)
        draft = self._new_draft(fields)
        return await self._save(request, draft, NEW_DIGEST, fields.get("id", ""))

    async def check_new(self, request: Request) -> Response:
        draft = self._new_draft(await _fields(request))
        return await self._answer_check(request, draft)

    async def _located(self, request: Request) -> tuple[Path, bytes] | Response:
        """The campaign's file in the office's folders, or the page that says why not."""
        campaign_id = request.path_params["id"]
        path = await asyncio.to_thread(files.find, self.config, campaign_id)
        if path is None:
            loaded = await asyncio.to_thread(load_campaigns, self.config)
            library = campaign_id in {c.id for c in loaded.campaigns}
            code = "editor_library" if library else "page_missing"
            return self.render(
                request,
                "editor_missing.html",
                404,
                said=t(code, self._lang(request), id=campaign_id),
            )
        return path, await asyncio.to_thread(path.read_bytes)

    async def edit(self, request: Request) -> Response:
        found = await self._located(request)
        if isinstance(found, Response):
            return found
        path, raw = found
        if request.method == "GET":
            draft = Draft(path, raw.decode("utf-8"), raw.decode("utf-8"), {})
            verdict = await self._judge(draft)
            shown = self._messages(request, draft, verdict)
            return self._form_page(request, draft, files.digest(raw), **shown)
        fields = await _fields(request)
        if fields.get("digest") != files.digest(raw):
            return self._conflict(request, path, raw, fields)
        draft = self._draft(path, raw.decode("utf-8"), fields)
        return await self._save(request, draft, files.digest(raw), request.path_params["id"])

    async def check(self, request: Request) -> Response:
        found = await self._located(request)
        if isinstance(found, Response):
            return found
        path, raw = found
        fields = await _fields(request)
        original = _original(fields) or raw.decode("utf-8")
        return await self._answer_check(request, self._draft(path, original, fields))

    async def _answer_check(self, request: Request, draft: Draft) -> Response:
        verdict = await self._judge(draft)
        shown = self._messages(request, draft, verdict)
        upcoming = self.render(request, "editor_upcoming.html", upcoming=shown["upcoming"])
        body = {
            "ok": verdict.ok, "fields": shown["field_errors"], "general": shown["general"],
            "upcoming": bytes(upcoming.body).decode("utf-8"),
        }  # fmt: skip
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")

    def _conflict(
        self, request: Request, path: Path, raw: bytes, fields: Mapping[str, str]
    ) -> Response:
        """The file changed since the form was opened: what changed on disk, and what this
        form would have changed; nothing is written."""
        original = _original(fields)  # "": the form did not carry it, no diff of it
        name = display(self.config, path)
        current = raw.decode("utf-8", "replace")
        theirs = unified_diff(original, current, name) if original else ""
        mine = unified_diff(original, self._draft(path, original, fields).text, name)
        return self.render(
            request, "editor_conflict.html", 409, theirs=theirs, mine=mine if original else "",
            campaign_id=request.path_params["id"],
        )  # fmt: skip

    async def _save(
        self, request: Request, draft: Draft, digest: str, campaign_id: str
    ) -> Response:
        lang = self._lang(request)
        campaign_id = form.normal(campaign_id)
        if not draft.changed:
            return self._back(
                request, f"/campaigns/{campaign_id}/edit", t("editor_unchanged", lang)
            )
        verdict = await self._judge(draft)
        if not verdict.ok:
            shown = self._messages(request, draft, verdict)
            return self._form_page(request, draft, digest, 422, **shown)
        assert verdict.campaign is not None
        campaign_id = verdict.campaign.id
        await asyncio.to_thread(files.write_atomic, draft.path, draft.text.encode("utf-8"))
        diff = unified_diff(draft.original, draft.text, display(self.config, draft.path))
        await auth.record(request, self.ctx.db, history.EDIT, campaign_id, audit.OK, diff)
        said = t("editor_saved", lang, file=display(self.config, draft.path))
        return self._back(request, f"/campaigns/{campaign_id}/edit", said)

    async def remove(self, request: Request) -> Response:
        found = await self._located(request)
        if isinstance(found, Response):
            return found
        path, raw = found
        campaign_id = request.path_params["id"]
        if request.method == "GET":
            return self.render(request, "editor_remove.html", campaign_id=campaign_id,
                               file=display(self.config, path), digest=files.digest(raw))  # fmt: skip
        fields = await _fields(request)
        if fields.get("digest") != files.digest(raw):
            return self._conflict(request, path, raw, fields)
        aside = await asyncio.to_thread(files.move_aside, path, self.ctx.clock())
        diff = unified_diff(raw.decode("utf-8", "replace"), "", display(self.config, path))
        await auth.record(request, self.ctx.db, history.REMOVE, campaign_id, audit.OK, diff)
        said = t("editor_removed", self._lang(request), id=campaign_id,
                 file=display(self.config, aside))  # fmt: skip
        return self._back(request, "/campaigns", said)

    def _back(self, request: Request, path: str, said: str) -> Response:
        return back(self.ctx, request, path, said)


def _new_file(original: str, fields: Mapping[str, str]) -> str:
    """A new campaign's file: a first line that says where it came from, then its values."""
    header = f"# {t('editor_new_file_comment')}\n\n"
    return apply(header, form.edits(header, fields))


async def _fields(request: Request) -> dict[str, str]:
    """The form as posted, its emptied fields too: emptying a field takes its key out."""
    return await auth.form(request, blanks=True)


def _typed(fields: Mapping[str, str], name: str, value: str) -> str:
    """What the person typed in a field (a box they unticked too), else the file's value."""
    given = form.posted(fields, name)
    return value if given is None else given


def _original(fields: Mapping[str, str]) -> str:
    """The text the form was opened on (base64: a browser would change its line ends), when
    it is the one its digest names."""
    try:
        raw = base64.b64decode(fields.get("original", ""), validate=True)
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("utf-8", "replace") if files.digest(raw) == fields.get("digest") else ""
