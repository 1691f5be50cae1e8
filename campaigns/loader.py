"""Reading campaign files: every problem in every file, in one run, with file and line.

``load_paths`` never raises for bad input: it returns the campaigns that are good and a
``Problem`` for each thing wrong, so ``loa validate`` prints all of them at once and the daemon
keeps the last good version of a file that broke.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import hashlib
import re
import time
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from campaigns import adapt, markup, templates
from campaigns.errors import ExpansionRefused, ExpressionError, Problem
from campaigns.expand import LIMITS
from campaigns.i18n import t
from campaigns.locate import LineIndex, deepest_place
from campaigns.model import (
    UNITS,
    Activity,
    Campaign,
    ChannelCatalog,
    Deadline,
    Message,
    Years,
    YearTimes,
)
from campaigns.report import dotted, pydantic_problems, toml_problem
from campaigns.schema import (
    ITEM_MODELS,
    ActivityFile,
    CampaignFile,
    DeadlineFile,
    MessageFile,
    TriggerFile,
)
from campaigns.sequence import sample_event
from campaigns.timeexpr import (
    FIRST_YEAR,
    ID_PATTERN,
    LAST_YEAR,
    Fixed,
    Lunar,
    NthWeekday,
    Relative,
    Repeat,
    Rule,
    Spec,
    When,
    Yearly,
    parse_duration,
    parse_time,
    parse_value,
    split_before,
)
from campaigns.triggers import (
    FIELD_PATTERN,
    UNITS_FROM,
    Trigger,
    TriggerMessage,
    fields_used,
    parse_event_at,
)
from campaigns.units import SEPARATOR, split_names
from campaigns.workdays import IfDayOff, parse_if_day_off

LIBRARY = adapt.LIBRARY
SPECIAL_CHANNELS = ("subscribers",)  # resolved at send time, not from config targets


@dataclass
class LoadResult:
    campaigns: list[Campaign] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    failed_files: set[Path] = field(default_factory=set)  # files that gave no campaign

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


def first_errors(problems: Iterable[Problem]) -> dict[str, Problem]:
    """The first error of each file, in line order: what refuses the file as a whole."""
    found: dict[str, Problem] = {}
    for problem in sorted(p for p in problems if p.severity == "error"):
        found.setdefault(problem.file, problem)
    return found


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Campaign files under the given files and folders, in a stable order."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.toml") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 0, "", t("file_missing")))
    return list(dict.fromkeys(files)), problems


def load_paths(
    paths: Iterable[Path],
    catalog: ChannelCatalog,
    default_timezone: str = "Asia/Ho_Chi_Minh",
    display_root: Path | None = None,
) -> LoadResult:
    files, problems = discover(paths)
    result = LoadResult(files=files, problems=problems)
    result.failed_files.update(Path(p.file) for p in problems)
    first_seen: dict[str, str] = {}
    loaded: list[tuple[Path, str, Campaign]] = []
    for path in files:
        name = _display(path, display_root)
        campaign, found = load_file(path, catalog, default_timezone, name)
        result.problems.extend(found)
        if campaign is None:
            result.failed_files.add(path)
            continue
        loaded.append((path, name, campaign))
    adapted = _adapted_ids(loaded, result.failed_files)
    for path, name, campaign in loaded:
        if campaign.id in adapted and adapt.in_library(path):
            continue  # an office file adapts it: that file is the campaign now
        if campaign.id in first_seen:
            result.problems.append(
                Problem(
                    name,
                    LineIndex(path.read_text("utf-8")).line_of(("id",)),
                    "id",
                    t("duplicate_campaign", value=campaign.id, other=first_seen[campaign.id]),
                    "" if campaign.extends else _duplicate_hint(campaign.id),
                )
            )
            continue
        first_seen[campaign.id] = name
        result.campaigns.append(campaign)
    result.problems.sort()
    return result


def _adapted_ids(loaded: Sequence[tuple[Path, str, Campaign]], failed: Iterable[Path]) -> set[str]:
    """Library ids an office file adapts; a broken adapting file still holds its id, so the
    library's own version does not take over while the office fixes its file."""
    ids = {c.id for path, _, c in loaded if c.extends == c.id and not adapt.in_library(path)}
    for path in failed:
        if not adapt.in_library(path):
            with contextlib.suppress(OSError):
                ids.add(adapt.adapted_id(path.read_bytes()) or "")
    return ids


def _duplicate_hint(campaign_id: str) -> str:
    """A file that repeats a library id most likely meant to adapt it."""
    return (
        t("duplicate_campaign_extends_hint", value=campaign_id)
        if (campaign_id in adapt.library_index())
        else ""
    )


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def load_file(
    path: Path, catalog: ChannelCatalog, default_timezone: str, name: str | None = None
) -> tuple[Campaign | None, list[Problem]]:
    """One file: the campaign when it has no errors, and every problem found."""
    name = name or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, 0, "", t("file_unreadable", reason=exc.strerror))]
    return parse_document(raw, path, catalog, default_timezone, name)


def parse_document(
    raw: bytes, path: Path, catalog: ChannelCatalog, default_timezone: str, name: str
) -> tuple[Campaign | None, list[Problem]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(name, line, "", t("not_utf8"), t("not_utf8_hint"))]
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [toml_problem(name, exc, text)]
    except RecursionError:
        line, column = deepest_place(text)
        message = t("toml_syntax", column=column, reason=t("toml_too_deep"))
        return None, [Problem(name, line, "", message, t("toml_too_deep_hint"))]
    index = LineIndex(text)
    digest = hashlib.sha256(raw).hexdigest()
    locate: adapt.Locate | None = None
    merge_problems: list[Problem] = []
    if isinstance(data.get("extends"), str):
        merged = adapt.merge(data, name, index)
        if isinstance(merged, Problem):
            return None, [merged]
        data, locate, merge_problems = merged.data, merged.locate, merged.problems
        digest = hashlib.sha256(merged.base_raw + b"\0" + raw).hexdigest()
    checker = _FileChecker(name, index, catalog, default_timezone, path, locate)
    checker.problems.extend(merge_problems)
    campaign = checker.build(data, path, digest)
    if locate is not None:  # a problem in the library's part is fixed in the office's file
        checker.problems = [adapt.fixed_in(p, name) for p in checker.problems]
    return (campaign if not checker.has_errors else None), checker.problems


class _FileChecker:
    """Collects problems of one file while turning its data into a Campaign."""

    def __init__(
        self,
        name: str,
        index: LineIndex,
        catalog: ChannelCatalog,
        default_timezone: str,
        source: Path = Path("."),
        locate: adapt.Locate | None = None,
    ) -> None:
        self.source = source
        self.locate = locate  # an adapting file: which file (office or library) wrote a value
        self.name = name
        self.index = index
        self.catalog = catalog
        self.default_timezone = default_timezone
        self.problems: list[Problem] = []
        self.kinds: dict[str, str] = {}  # every item id of the file: activity, message, deadline
        # ids of items left out for an error of their own: what refers to them says nothing more
        self.broken: set[str] = set()

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    # -- reporting ---------------------------------------------------------------------------

    def report(
        self, path: Sequence[str | int], message: str, hint: str = "", severity: str = "error"
    ) -> None:
        name, line = self.where(path)
        self.problems.append(Problem(name, line, dotted(path), message, hint, severity))

    def where(self, path: Sequence[str | int]) -> tuple[str, int]:
        return self.locate(path) if self.locate else (self.name, self.index.line_of(path))

    def report_expression(self, path: Sequence[str | int], exc: ExpressionError) -> None:
        self.report(path, exc.message, exc.hint)

    def report_pydantic(
        self, exc: ValidationError, model: type[BaseModel], data: Any, prefix: tuple[str | int, ...]
    ) -> None:
        self.problems.extend(
            pydantic_problems(exc, model, data, prefix, self.name, self.index, self.locate)
        )

    # -- building ----------------------------------------------------------------------------

    def build(self, data: dict[str, Any], path: Path, digest: str) -> Campaign | None:
        top = {k: v for k, v in data.items() if k not in ITEM_MODELS}
        items = {k: data.get(k, []) for k in ITEM_MODELS}
        try:
            head: CampaignFile | None = CampaignFile.model_validate(top)
        except ValidationError as exc:
            self.report_pydantic(exc, CampaignFile, top, ())
            head = _head_without_errors(top, exc)
        parsed: dict[str, list[tuple[int, Any]]] = {}
        for kind, model in ITEM_MODELS.items():
            value = items[kind]
            parsed[kind] = []
            if not isinstance(value, list):
                self.report((kind,), t("wrong_type", expected="[[" + kind + "]]"))
                continue
            for i, item in enumerate(value):
                try:
                    parsed[kind].append((i, model.model_validate(item)))
                except ValidationError as exc:
                    self.report_pydantic(exc, model, item, (kind, i))
                    if isinstance(item, dict) and isinstance(item.get("id"), str):
                        self.kinds.setdefault(item["id"], kind)
                        self.broken.add(item["id"])
        if head is None:
            return None
        return self._campaign(head, parsed, path, digest)

    def _check_id(self, path: tuple[str | int, ...], value: str) -> None:
        if not ID_PATTERN.match(value):
            self.report(path, t("bad_id", value=value), t("bad_id_hint"))

    def _campaign(
        self,
        head: CampaignFile,
        parsed: Mapping[str, list[tuple[int, Any]]],
        path: Path,
        digest: str,
    ) -> Campaign:
        self._check_id(("id",), head.id)
        for key in ("title",):
            if not getattr(head, key).strip():
                self.report((key,), t("empty_text"))
        timezone = head.timezone or self.default_timezone
        if not valid_timezone(timezone):
            self.report(
                ("timezone",), t("unknown_timezone", value=timezone), t("unknown_timezone_hint")
            )
            timezone = self.default_timezone
        years = self._years(head.years)
        if head.remove and head.extends is None:
            self.report(("remove",), t("remove_needs_extends"), t("remove_needs_extends_hint"))
        send_time = self._guard(("send_time",), parse_time, head.send_time) or dt.time(8, 0)
        grace = self._guard(("grace",), parse_duration, head.grace) or dt.timedelta(hours=1)
        by_year: dict[int, dict[str, str]] = {}
        for key, values in head.vars_by_year.items():
            if not re.fullmatch(r"[0-9]{4}", key):
                self.report(
                    ("vars_by_year", key),
                    t("bad_years", value=key),
                    t("bad_years_hint", first=FIRST_YEAR, last=LAST_YEAR),
                )
                continue
            by_year[int(key)] = dict(values)

        for kind in ITEM_MODELS:
            for _, raw in parsed[kind]:
                self.kinds.setdefault(raw.id, kind)
        seen_ids: dict[str, int] = {}
        indexed = [
            (i, a) for i, raw in parsed["activity"] if (a := self._activity(i, raw, seen_ids))
        ]
        activities = [a for _, a in indexed]
        self._note_broken(parsed["activity"], activities)
        activity_ids = {raw.id for _, raw in parsed["activity"] if ID_PATTERN.match(raw.id)}
        self._check_cycles(indexed, activity_ids)
        self._check_recurring_ends(indexed)
        messages = [m for i, raw in parsed["message"] if (m := self._message(i, raw, seen_ids))]
        deadlines = [d for i, raw in parsed["deadline"] if (d := self._deadline(i, raw, seen_ids))]
        self._note_broken(parsed["deadline"], deadlines)
        messages = [m for m in messages if m.deadline not in self.broken]
        triggers = [tr for i, raw in parsed["trigger"] if (tr := self._trigger(i, raw, seen_ids))]
        campaign = Campaign(
            id=head.id,
            title=head.title.strip(),
            description=head.description.strip(),
            timezone=timezone,
            source=path,
            tags=tuple(head.tags),
            years=years,
            send_time=send_time,
            grace=grace,
            approval=head.approval,
            variables=dict(head.vars),
            variables_by_year=by_year,
            activities=tuple(activities),
            messages=tuple(messages),
            deadlines=tuple(deadlines),
            triggers=tuple(triggers),
            digest=digest,
            lines=self._item_lines(parsed),
            file=self.name,
            extends=head.extends or "",
        )
        self._check_templates(campaign, parsed)
        return campaign

    def _item_lines(
        self, parsed: Mapping[str, list[tuple[int, Any]]]
    ) -> dict[tuple[str, str, str], tuple[str, int]]:
        keys = ("", "start", "end", "at", "due", "remind", "text", "image")
        return {
            (kind, raw.id, key): self.where((kind, i, key) if key else (kind, i))
            for kind, items in parsed.items()
            for i, raw in items
            for key in keys
        }

    def _note_broken(
        self, parsed: list[tuple[int, Any]], built: Sequence[Activity | Deadline]
    ) -> None:
        """Ids whose every item was left out for its own, already reported, error."""
        self.broken |= {raw.id for _, raw in parsed} - {item.id for item in built}

    def _guard(self, path: tuple[str | int, ...], parse: Any, value: Any) -> Any:
        try:
            return parse(value)
        except ExpressionError as exc:
            self.report_expression(path, exc)
            return None

    def _years(
        self, value: str | int | list[int] | None, path: tuple[str | int, ...] = ("years",)
    ) -> Years:
        if value is None:
            return Years()
        bad = (
            path,
            t("bad_years", value=value),
            t("bad_years_hint", first=FIRST_YEAR, last=LAST_YEAR),
        )
        if isinstance(value, int):
            value = [value]
        if isinstance(value, list):
            if not value or any(not FIRST_YEAR <= y <= LAST_YEAR for y in value):
                self.report(*bad)
                return Years()
            return Years(only=frozenset(value))
        match = _YEAR_RANGE.fullmatch(" ".join(value.lower().split()))
        if not match:
            self.report(*bad)
            return Years()
        first = int(match["first"])
        last = int(match["last"]) if match["last"] else None
        if not FIRST_YEAR <= first <= LAST_YEAR or (
            last is not None and not first <= last <= LAST_YEAR
        ):
            self.report(*bad)
            return Years()
        if not match["until"] and not match["since"]:  # "2026", "năm 2026": that year only
            return Years(only=frozenset([first]))
        return Years(first=first, last=last)

    def _unique(self, path: tuple[str | int, ...], value: str, seen: dict[str, int]) -> bool:
        self._check_id(path, value)
        line = self.where(path)[1]
        if value in seen:
            self.report(path, t("duplicate_id", value=value, line=seen[value]))
            return False
        seen[value] = line
        return ID_PATTERN.match(value) is not None

    def _when(self, path: tuple[str | int, ...], value: Any) -> When | None:
        try:
            return parse_value(value)
        except ExpressionError as exc:
            self.report_expression(path, exc)
            return None

    def _single(self, path: tuple[str | int, ...], value: Any) -> Spec | None:
        when = self._when(path, value)
        if when is None:
            return None
        if len(when.specs) != 1 or isinstance(when.specs[0], Repeat | Rule):
            self.report(path, t("when_not_for_activity"))
            return None
        return when.specs[0]

    def _activity(self, i: int, raw: ActivityFile, seen: dict[str, int]) -> Activity | None:
        base: tuple[str | int, ...] = ("activity", i)
        ok = self._unique((*base, "id"), raw.id, seen)
        if not raw.title.strip():
            self.report((*base, "title"), t("empty_text"))
            ok = False
        start = self._single((*base, "start"), raw.start)
        end = self._single((*base, "end"), raw.end) if raw.end is not None else None
        if raw.url and not _one_line(raw.url):
            value = raw.url.encode("unicode_escape").decode("ascii")
            self.report(
                (*base, "url"), t("activity_url_not_one_line", value=value), t("activity_url_hint")
            )
            ok = False
        lead, partners = self._lead_and_partners(base, raw.lead, raw.partners)
        if_day_off = self._if_day_off(base, raw.if_day_off)
        ok = ok and (raw.if_day_off is None or if_day_off is not None)
        by_year = self._by_year(base, raw.by_year, {"start": start, "end": end})
        if start is None or (raw.end is not None and end is None) or not ok or by_year is None:
            return None
        if isinstance(start, Fixed) and isinstance(end, Fixed) and _later(start.value, end.value):
            self.report((*base, "end"), t("end_before_start"))
            return None
        return Activity(
            id=raw.id,
            title=raw.title.strip(),
            start=start,
            end=end,
            location=raw.location,
            lead=lead,
            partners=partners,
            description=raw.description.strip(),
            url=raw.url,
            tags=tuple(raw.tags),
            if_day_off=if_day_off,
            by_year=by_year,
        )

    def _by_year(
        self,
        base: tuple[str | int, ...],
        table: Mapping[str, Mapping[str, Any]],
        own: Mapping[str, Spec | None],
        before: bool = False,
    ) -> tuple[YearTimes, ...] | None:
        """Each year's own dates (``by_year."2024" = { start = "05/06" }``); None after an
        error (reported)."""
        out: list[YearTimes] = []
        errors = len(self.problems)
        for years_text, times in table.items():
            where = (*base, "by_year", years_text)
            years = self._years(years_text, where)
            found: dict[str, Spec] = {}
            for key, value in times.items():
                spec = self._year_time((*where, key), key, value, own, before)
                if spec is not None:
                    found[key] = spec
            out.append(YearTimes(years, found))
        return tuple(out) if len(self.problems) == errors else None

    def _year_time(
        self,
        path: tuple[str | int, ...],
        key: str,
        value: Any,
        own: Mapping[str, Spec | None],
        before: bool,
    ) -> Spec | None:
        if key not in own:
            self.report(path, t("by_year_keys", keys=", ".join(own)))
            return None
        if own[key] is not None and not isinstance(own[key], Yearly | Lunar | NthWeekday):
            self.report(path, t("by_year_needs_yearly"), t("by_year_needs_yearly_hint", key=key))
            return None
        if before:  # "trước" may be said again; the deadline's own rule holds either way
            value = (self._guard(path, split_before, value) or (False, None))[1]
            if value is None:
                return None
        spec = self._single(path, value)
        if isinstance(spec, Relative):
            self.report(path, t("by_year_dates_only"))
            return None
        return spec

    def _if_day_off(self, base: tuple[str | int, ...], value: str | None) -> IfDayOff | None:
        """The item's rule for a day off, None when it says none (or a wrong one, reported)."""
        if value is None:
            return None
        found: IfDayOff | None = self._guard((*base, "if_day_off"), parse_if_day_off, value)
        return found

    def _check_refs(
        self,
        path: tuple[str | int, ...],
        refs: Iterable[str],
        accept: tuple[str, ...] = ("activity",),
        period: bool = False,
    ) -> bool:
        """Whether every id in ``refs`` is an item of an accepted kind; a reference to an item
        of another kind says what that item is and what to write instead.

        Messages may be timed from deadlines (``accept`` holds both); a repeat needs a period
        (``period``), which only an activity has."""
        ok = True
        for ref in sorted(refs):
            if ref in self.broken:  # its own error is reported where it is written
                ok = False
                continue
            kind = self.kinds.get(ref)
            if kind in accept and ID_PATTERN.match(ref):
                continue
            ok = False
            if kind == "deadline":
                code = "during_is_deadline" if period else "ref_is_deadline"
                self.report(path, t(code, value=ref), t(code + "_hint"))
            elif kind == "message":
                self.report(
                    path, t("ref_is_message", value=ref), t("ref_is_message_hint", value=ref)
                )
            else:
                known = sorted(i for i, k in self.kinds.items() if k in accept)
                close = difflib.get_close_matches(ref, known, n=1)
                hint = t("did_you_mean", suggestion=close[0]) if close else ""
                code = "unknown_ref" if accept == ("activity",) else "unknown_ref_or_deadline"
                self.report(path, t(code, value=ref), hint)
        return ok

    def _check_cycles(self, indexed: list[tuple[int, Activity]], ids: set[str]) -> None:
        graph: dict[str, set[str]] = {}
        where: dict[str, int] = {}
        for i, activity in indexed:
            refs = When((activity.start,)).refs()
            end_refs = When((activity.end,)).refs() if activity.end is not None else set()
            if _ends_after_own_start(activity):
                end_refs.discard(activity.id)  # "end = own start + 6d" is not a loop
            self._check_refs(("activity", i, "start"), refs)
            self._check_refs(("activity", i, "end"), end_refs - refs)
            graph[activity.id] = (refs | end_refs) & ids
            where[activity.id] = i
        reported: set[frozenset[str]] = set()
        for node in graph:
            cycle = _find_cycle(node, graph)
            if cycle and frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                self.report(
                    ("activity", where[cycle[0]], "start"),
                    t("ref_cycle", cycle=" → ".join([*cycle, cycle[0]])),
                    t("ref_cycle_hint"),
                )

    def _check_recurring_ends(self, indexed: list[tuple[int, Activity]]) -> None:
        """A yearly activity must end within its own year: a fixed end would make every
        year's occurrence run until that date."""
        by_id = {a.id: a for _, a in indexed}
        for i, activity in indexed:
            if activity.end is None or not _recurring(activity, by_id):
                continue
            end = activity.end
            once = isinstance(end, Fixed) or (
                isinstance(end, Relative)
                and end.ref != activity.id
                and end.ref in by_id
                and not _recurring(by_id[end.ref], by_id)
            )
            if once:
                self.report(
                    ("activity", i, "end"), t("end_not_recurring"), t("end_not_recurring_hint")
                )

    def _channels(
        self,
        path: tuple[str | int, ...],
        specs: list[str],
        event_fields: tuple[str, ...] | None = None,
    ) -> tuple[str, ...]:
        """Check each channel; a trigger's messages (``event_fields`` given) reach units only
        through a field of the event (``units:<field>``): they have no lead or partners."""
        known = self.catalog.targets
        for j, spec in enumerate(specs):
            name, _, alias = spec.partition(":")
            where = (*path, j)
            if name in SPECIAL_CHANNELS and not alias:
                continue
            if name == UNITS and event_fields is not None:
                if alias not in event_fields:
                    names = ", ".join(UNITS_FROM + f for f in event_fields) or "—"
                    hint = t("trigger_units_hint", names=names)
                    self.report(where, t("trigger_units_field", value=spec), hint)
                elif not self.catalog.units:
                    self.report(where, t("units_no_registry"), t("units_registry_hint"))
                continue
            if name == UNITS:
                if alias not in ("", "lead", "partners"):
                    self.report(where, t("unknown_units_spec", value=spec), t("units_spec_hint"))
                elif not self.catalog.units:
                    self.report(where, t("units_no_registry"), t("units_registry_hint"))
                continue
            if name not in known:
                close = difflib.get_close_matches(name, list(known), n=1)
                hint = (
                    t("did_you_mean", suggestion=close[0])
                    if close
                    else t("known_channels", names=", ".join(known) or "—")
                )
                self.report(where, t("unknown_channel", value=name), hint)
            elif alias and alias not in known[name]:
                close = difflib.get_close_matches(alias, list(known[name]), n=1)
                hint = (
                    t("did_you_mean", suggestion=close[0])
                    if close
                    else t("known_targets", names=", ".join(known[name]) or "—")
                )
                self.report(where, t("unknown_target", channel=name, value=alias), hint)
            elif not alias and self.catalog.names_no_chat(name):
                self.report(
                    where,
                    t("channel_without_targets", channel=name),
                    t("channel_without_targets_hint", channel=name),
                )
        if not specs and not self.catalog.defaults:
            self.report(path, t("no_channels"), t("no_channels_hint"), severity="warning")
        return tuple(specs)

    def _message(self, i: int, raw: MessageFile, seen: dict[str, int]) -> Message | None:
        base: tuple[str | int, ...] = ("message", i)
        ok = self._unique((*base, "id"), raw.id, seen)
        if not raw.text.strip():
            self.report((*base, "text"), t("empty_text"))
            ok = False
        at = self._when((*base, "at"), raw.at)
        if at is not None:
            timed = {s.ref for s in at.specs if isinstance(s, Relative)}
            within = {s.during for s in at.specs if isinstance(s, Repeat | Rule) and s.during}
            ok = self._check_refs((*base, "at"), timed, ("activity", "deadline")) and ok
            ok = self._check_refs((*base, "at"), within, period=True) and ok
        if raw.activity is not None:
            ok = self._check_refs((*base, "activity"), [raw.activity]) and ok
        channels = self._channels((*base, "channels"), raw.channels)
        if at is None or not ok:
            return None
        refs = at.refs()
        only = next(iter(refs)) if len(refs) == 1 else None
        bound = raw.activity or (only if self.kinds.get(only or "") == "activity" else None)
        deadline = only if self.kinds.get(only or "") == "deadline" else None
        if (
            bound is None
            and deadline is None
            and any(c.partition(":")[0] == UNITS for c in channels)
        ):  # whose units? nobody's: it would reach no chat
            self.report((*base, "channels"), t("units_no_owner"), t("units_no_owner_hint"))
            return None
        image = self._image((*base, "image"), raw.image)
        if_day_off = self._if_day_off(base, raw.if_day_off)
        by_year = self._by_year(base, raw.by_year, {"at": _one(at)})
        if image is None or (raw.if_day_off is not None and if_day_off is None) or by_year is None:
            return None
        return Message(
            raw.id, at, raw.text, channels, bound, image, deadline, if_day_off or "keep", by_year,
            raw.approval,
        )  # fmt: skip

    def _trigger(self, i: int, raw: TriggerFile, seen: dict[str, int]) -> Trigger | None:
        base: tuple[str | int, ...] = ("trigger", i)
        ok = self._unique((*base, "id"), raw.id, seen)
        if not ID_PATTERN.match(raw.event):
            self.report((*base, "event"), t("bad_event_type", value=raw.event), t("bad_id_hint"))
            ok = False
        fields: list[str] = []
        for j, name in enumerate(raw.fields):
            if not FIELD_PATTERN.match(name):
                hint = t("bad_event_field_hint")
                self.report((*base, "fields", j), t("bad_event_field", value=name), hint)
                ok = False
            elif name in fields:
                self.report((*base, "fields", j), t("duplicate_event_field", value=name))
                ok = False
            fields.append(name)
        if not raw.message:
            self.report(base, t("trigger_no_messages"), t("trigger_no_messages_hint"))
            ok = False
        messages: list[TriggerMessage] = []
        own: dict[str, int] = {}
        for j, item in enumerate(raw.message):
            where = (*base, "message", j)
            fine = self._unique((*where, "id"), item.id, own)
            if not item.text.strip():
                self.report((*where, "text"), t("empty_text"))
                fine = False
            at = self._guard((*where, "at"), parse_event_at, item.at)
            channels = self._channels((*where, "channels"), item.channels, tuple(fields))
            image = self._image((*where, "image"), item.image)
            if at is None or image is None or not fine:
                ok = False
                continue
            messages.append(TriggerMessage(item.id, at, item.text, channels, image, item.approval))
        if not ok:
            return None
        return Trigger(
            raw.id, raw.event, tuple(fields), raw.title.strip(), raw.description.strip(),
            tuple(messages), raw.approval,
        )  # fmt: skip

    def _image(self, path: tuple[str | int, ...], value: str) -> str | None:
        """An https URL as given, or a file next to the campaign file as an absolute path."""
        value = value.strip()
        if not value or value.startswith("https://"):
            return value
        if value.startswith("http://"):
            self.report(path, t("image_not_https", value=value), t("image_hint"))
            return None
        try:
            file = (self.source.parent / value).resolve()
            found = file.is_file()
        except (OSError, ValueError) as exc:  # a name too long for the disk, or with a NUL
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            shown = value.encode("unicode_escape").decode("ascii")[:80]
            self.report(path, t("image_bad_name", value=shown, reason=reason), t("image_hint"))
            return None
        if not found or file.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            self.report(path, t("image_missing", value=value), t("image_hint"))
            return None
        return str(file)

    def _deadline(self, i: int, raw: DeadlineFile, seen: dict[str, int]) -> Deadline | None:
        base: tuple[str | int, ...] = ("deadline", i)
        ok = self._unique((*base, "id"), raw.id, seen)
        before, stated = self._guard((*base, "due"), split_before, raw.due) or (False, None)
        due = self._when((*base, "due"), stated) if stated is not None else None
        if due is not None:
            ok = self._check_refs((*base, "due"), due.refs()) and ok
        remind: list[int] = []
        for j, value in enumerate(raw.remind):
            days = _remind_days(value)
            if days is None:
                self.report(
                    (*base, "remind", j), t("bad_offset", value=value), t("bad_offset_hint")
                )
                ok = False
            else:
                remind.append(days)
        remind_time = None
        if raw.remind_at is not None:
            remind_time = self._guard((*base, "remind_at"), parse_time, raw.remind_at)
            ok = ok and remind_time is not None
        channels = self._channels((*base, "channels"), raw.channels)
        lead, partners = self._lead_and_partners(base, raw.lead, raw.partners)
        owed = self._unit_ids((*base, "units"), raw.units)
        if not raw.units and self.catalog.units:  # tracked: a registry says who they are
            named = [*split_names(lead), *partners]
            owed = tuple(u for u in dict.fromkeys(named) if u in self.catalog.units.units)
        if_day_off = self._if_day_off(base, raw.if_day_off)
        if raw.if_day_off is not None and if_day_off is None:
            ok = False
        if before and if_day_off == "after":
            self.report(
                (*base, "if_day_off"), t("before_moves_after"), t("before_moves_after_hint")
            )
            ok = False
        by_year = self._by_year(base, raw.by_year, {"due": _one(due)}, before)
        if due is None or not ok or by_year is None:
            return None
        return Deadline(
            id=raw.id,
            title=raw.title.strip(),
            due=due,
            remind=tuple(sorted(set(remind), reverse=True)),
            remind_time=remind_time,
            text=raw.text,
            channels=channels,
            lead=lead,
            partners=partners,
            description=raw.description.strip(),
            units=owed,
            if_day_off=if_day_off or "before",
            before=before,
            by_year=by_year,
        )

    def _lead_and_partners(
        self, base: tuple[str | int, ...], lead: str | list[str], partners: list[str]
    ) -> tuple[str, tuple[str, ...]]:
        """The lead as one text ("a; b" when it is two units) and the partners, each unit by
        its id when there is a registry; a lead unit is not also its own partner."""
        leads = self._unit_ids((*base, "lead"), lead)
        others = self._unit_ids((*base, "partners"), partners)
        return f"{SEPARATOR} ".join(leads), tuple(p for p in others if p not in leads)

    def _unit_ids(self, path: tuple[str | int, ...], value: str | list[str]) -> tuple[str, ...]:
        """Units as written, or by their registry ids; an unknown one is reported with the
        registry's closest name. In a library file (not the office's to edit) it is a warning
        and the name stays as written: the office adds the unit or adapts the campaign."""
        names = split_names(value)
        registry = self.catalog.units
        if not registry:
            return names
        found: list[str] = []
        for name in names:
            unit = registry.find(name)
            if unit is not None:
                found.append(unit.id)
                continue
            close = registry.closest(name)
            hint = (
                t("did_you_mean", suggestion=close)
                if close
                else t("known_units", names=", ".join(registry.units))
            )
            if adapt.in_library(self.source):
                self.report(path, t("unknown_unit", value=name), hint, severity="warning")
                found.append(name)
            else:
                self.report(path, t("unknown_unit", value=name), hint)
        return tuple(dict.fromkeys(found))

    def _check_templates(
        self, campaign: Campaign, parsed: Mapping[str, list[tuple[int, Any]]]
    ) -> None:
        by_id = {a.id: a for a in campaign.activities}
        deadlines = {d.id: d for d in campaign.deadlines}
        index_of = {raw.id: i for i, raw in parsed["message"]}
        deadline = time.monotonic() + LIMITS.seconds  # each template may take up to a second
        for message in campaign.messages:
            sample = sample_context(
                campaign, by_id.get(message.activity or ""), deadlines.get(message.deadline or "")
            )
            path = ("message", index_of[message.id], "text")
            if not self._template(path, message.text, sample, deadline, message.id):
                return
        index_of = {raw.id: i for i, raw in parsed["deadline"]}
        for item in campaign.deadlines:
            if item.text:
                sample = sample_context(campaign, None, item)
                path = ("deadline", index_of[item.id], "text")
                if not self._template(path, item.text, sample, deadline, item.id):
                    return
        self._check_trigger_templates(campaign, parsed, deadline)

    def _check_trigger_templates(
        self, campaign: Campaign, parsed: Mapping[str, list[tuple[int, Any]]], deadline: float
    ) -> None:
        """A trigger's title and texts: the fields they read are declared, and they render
        with an event of the trigger's shape."""
        index_of = {raw.id: i for i, raw in parsed["trigger"]}
        for trigger in campaign.triggers:
            sample = {**sample_context(campaign, None, None), "event": sample_event(trigger)}
            base: tuple[str | int, ...] = ("trigger", index_of[trigger.id])
            sources: list[tuple[tuple[str | int, ...], str]] = []
            if trigger.title:
                sources.append(((*base, "title"), trigger.title))
            sources += [
                ((*base, "message", j, "text"), m.text) for j, m in enumerate(trigger.messages)
            ]
            for where, source in sources:
                if not self._event_fields(where, source, trigger):
                    continue
                if not self._template(where, source, sample, deadline, trigger.id):
                    return

    def _event_fields(self, path: tuple[str | int, ...], source: str, trigger: Trigger) -> bool:
        """Whether the template reads only fields its trigger declares (else reported)."""
        try:
            unknown = sorted(fields_used(source) - set(trigger.fields))
        except ExpressionError:
            return True  # the syntax error is reported by the template check
        for name in unknown:
            names = ", ".join(trigger.fields) or "—"
            hint = t("event_field_undeclared_hint", names=names, value=name)
            self.report(path, t("event_field_undeclared", value=name), hint)
        return not unknown

    def _template(
        self,
        path: tuple[str | int, ...],
        source: str,
        sample: dict[str, Any],
        deadline: float,
        item: str,
    ) -> bool:
        """Check one template; False once the file's templates have used the file's time."""
        if time.monotonic() > deadline:
            seconds = f"{LIMITS.seconds:g}"
            message = t("expansion_too_slow", seconds=seconds, item=item)
            self.report(path, message, t("expansion_too_slow_hint"))
            return False
        try:
            templates.check(source, sample)
        except ExpressionError as exc:
            self.report_expression(path, exc)
        if (tag := markup.html_tag(source)) is not None:
            self.report(path, t("markup_html", tag=tag), t("markup_html_hint"), "warning")
        return True


def _head_without_errors(top: dict[str, Any], exc: ValidationError) -> CampaignFile | None:
    """The top-level keys minus the broken ones, so the items can still be checked this run.

    The campaign is not used (its errors are reported); this only lets one run find every error.
    """
    broken = {error["loc"][0] for error in exc.errors() if error["loc"]}
    patched = {k: v for k, v in top.items() if k not in broken}
    patched.setdefault("id", "x")
    patched.setdefault("title", "x")
    try:
        return CampaignFile.model_validate(patched)
    except ValidationError:
        return None


def sample_context(
    campaign: Campaign, activity: Activity | None, deadline: Deadline | None
) -> dict[str, Any]:
    """A context of the same shape a real expansion gives, for checking templates."""
    day = dt.date(2025, 6, 5)
    context: dict[str, Any] = {
        "campaign": templates.CampaignView(campaign.id, campaign.title, campaign.description),
        "date": "Thứ Năm, 05/06/2025",
        "date_en": "Thursday, 5 June 2025",
        "time": "08:00",
        "year": 2025,
    }
    if activity is not None or deadline is not None:
        context["days_left"] = 7  # only where there is something to count down to
    names: set[str] = set(campaign.variables)
    for values in campaign.variables_by_year.values():
        names.update(values)
    context.update({name: "" for name in names})
    if activity is not None:
        context["activity"] = templates.activity_view(
            activity.id, activity.title, day, day, activity.location, activity.lead,
            activity.partners, activity.description,
        )  # fmt: skip
    if deadline is not None:
        context["deadline"] = templates.DeadlineView(
            deadline.id, deadline.title, "Thứ Năm, 05/06/2025", day, deadline.lead,
            ", ".join(deadline.partners), "06/6" if deadline.before else "",
            day + dt.timedelta(days=1) if deadline.before else None,
        )  # fmt: skip
    return context


def expansion_problem(campaign: Campaign, exc: ExpansionRefused) -> Problem:
    """A refusal found while expanding, worded like any problem the loader finds: the line
    comes from the version of the file the campaign was read from."""
    kind, item, key = exc.where
    index = next((i for i, c in enumerate(_items(campaign, kind)) if c.id == item), 0)
    file, line = campaign.where(kind, item, key)
    problem = Problem(file, line, dotted((kind, index, key)), exc.message, exc.hint)
    return adapt.fixed_in(problem, campaign.file) if campaign.file else problem


def _items(campaign: Campaign, kind: str) -> tuple[Activity | Message | Deadline, ...]:
    items: dict[str, tuple[Activity | Message | Deadline, ...]] = {
        "activity": campaign.activities,
        "message": campaign.messages,
        "deadline": campaign.deadlines,
    }
    return items.get(kind, ())


def _one_line(url: str) -> bool:
    """Whether ``url`` can stand in a calendar feed: no space, no line break, no control."""
    return not any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in url)


def valid_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA zone; odd names (folders, very long, NUL) are just invalid."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


# "2024-2035", "2025-", and as documents write them: "2024 – 2035", "từ năm 2024 đến năm 2035"
_YEAR_RANGE = re.compile(
    r"(?P<since>từ )?(?:năm )?(?P<first>\d{4})"
    r"(?P<until> ?(?:[-–—]|đến) ?(?:năm )?(?P<last>\d{4})?)?"
)


def _remind_days(value: int | str) -> int | None:
    if isinstance(value, int):
        return value if 0 < value <= 366 else None
    match = re.fullmatch(r"\s*(\d+)\s*d\s*", value)
    if match and 0 < int(match[1]) <= 366:
        return int(match[1])
    return None


def _later(a: dt.date, b: dt.date) -> bool:
    """Whether ``a`` is after ``b``; a date compares by its day, a date-time by its instant."""
    if isinstance(a, dt.datetime) != isinstance(b, dt.datetime):
        a_day = a.date() if isinstance(a, dt.datetime) else a
        b_day = b.date() if isinstance(b, dt.datetime) else b
        return a_day > b_day
    if (
        isinstance(a, dt.datetime)
        and isinstance(b, dt.datetime)
        and (a.tzinfo is None) != (b.tzinfo is None)
    ):
        return a.replace(tzinfo=None) > b.replace(tzinfo=None)
    return a > b


def _one(when: When | None) -> Spec | None:
    """The one time a by_year entry may replace; a list stands for no yearly time."""
    if when is None:
        return None
    return when.specs[0] if len(when.specs) == 1 else Fixed(dt.date.min)


def _ends_after_own_start(activity: Activity) -> bool:
    end = activity.end
    return isinstance(end, Relative) and end.ref == activity.id and end.edge == "start"


def _recurring(activity: Activity, by_id: Mapping[str, Activity], depth: int = 0) -> bool:
    """Whether an activity happens every year (directly, or timed from one that does)."""
    start = activity.start
    if isinstance(start, Yearly | Lunar | NthWeekday):
        return True
    if isinstance(start, Relative) and start.ref in by_id and depth < len(by_id):
        return _recurring(by_id[start.ref], by_id, depth + 1)
    return False


def _find_cycle(start: str, graph: Mapping[str, set[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, trail = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return trail
            if nxt not in trail:
                stack.append((nxt, [*trail, nxt]))
    return None
