"""Message templates: Jinja2 in a sandbox, strict about names, checked before anything is sent.

A template reads ``{{ campaign.title }}``, ``{{ activity.start }}``, ``{{ days_left }}`` and so
on (the list is in docs/campaign-files.md; the attributes are those of the view classes below). A name that does
not exist is a validation error with the list of names that do, never an empty hole in a
message that went out.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from campaigns.dates import format_date, format_datetime, format_short
from campaigns.errors import ExpressionError
from campaigns.i18n import t


@dataclass(frozen=True)
class CampaignView:
    id: str
    title: str
    description: str


@dataclass(frozen=True)
class ActivityView:
    id: str
    title: str
    start: str  # "Thứ Năm, 05/06/2025"
    end: str
    start_date: dt.date
    end_date: dt.date
    start_time: str  # "08:00", or "" for an all-day activity
    period: str  # "05/6 – 30/6/2025"
    location: str
    lead: str
    partners: str
    description: str


@dataclass(frozen=True)
class DeadlineView:
    id: str
    title: str
    due: str
    due_date: dt.date  # the last day (for a deadline due "before" a date, the day before)
    lead: str
    partners: str
    before: str = ""  # "10/12": the date a deadline is due before, as plans write it
    before_date: dt.date | None = None


def _filter_date(value: Any, lang: str = "vi") -> str:
    if isinstance(value, dt.date):
        return format_datetime(value, lang)
    return str(value)


def _filter_short(value: Any) -> str:
    return format_short(value) if isinstance(value, dt.date) else str(value)


MAX_TEXT = 20_000  # characters a rendered message may have; far above any platform's limit
SAFE_FILTERS = (
    "capitalize", "default", "d", "first", "int", "join", "last", "length", "count", "lower",
    "replace", "round", "string", "title", "trim", "truncate", "upper", "abs", "list", "sort",
    "unique", "select", "reject", "map", "min", "max", "sum", "e", "escape",
)  # fmt: skip


class _Sandbox(SandboxedEnvironment):
    """A sandbox that also refuses to build huge values (``"x" * 10**9``, ``9 ** 9 ** 9``)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError("số mũ quá lớn")
        if operator == "*":
            for value, times in ((left, right), (right, left)):
                sized = isinstance(value, str | list | tuple) and isinstance(times, int)
                if sized and len(value) * times > MAX_TEXT:
                    raise SecurityError("giá trị quá dài")
        return super().call_binop(context, operator, left, right)


@functools.cache
def _environment() -> SandboxedEnvironment:
    env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    # only filters that cannot blow a value up (no center/indent/wordwrap/format widths)
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS if name in env.filters}
    env.filters["ngay"] = _filter_date
    env.filters["date"] = _filter_date
    env.filters["short"] = _filter_short
    return env


@functools.lru_cache(maxsize=4096)
def compile_template(source: str) -> jinja2.Template:
    """A compiled template, cached by source: campaigns share texts and expansion is hot."""
    try:
        return _environment().from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ExpressionError(t("template_syntax", reason=exc.message)) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(t("template_syntax", reason="quá nhiều tầng lồng nhau")) from None


def render(source: str, context: Mapping[str, Any]) -> str:
    """The message text; a template that cannot render raises ExpressionError, never more."""
    try:
        text = compile_template(source).render(context).strip()
    except ExpressionError:
        raise
    except jinja2.UndefinedError as exc:
        raise ExpressionError(t("template_unknown", value=exc.message or "?")) from None
    except Exception as exc:
        raise ExpressionError(t("template_syntax", reason=exc)) from None
    if len(text) > MAX_TEXT:
        raise ExpressionError(t("template_too_long", length=len(text)))
    return text


def activity_view(
    id: str,
    title: str,
    start: dt.date,
    end: dt.date | None,
    location: str,
    lead: str,
    partners: tuple[str, ...],
    description: str,
) -> ActivityView:
    last = end or start
    start_day = start.date() if isinstance(start, dt.datetime) else start
    end_day = last.date() if isinstance(last, dt.datetime) else last
    if start_day == end_day:
        period = format_date(start_day)
    else:
        period = f"{format_short(start_day)} – {format_short(end_day)}/{end_day.year}"
    return ActivityView(
        id=id,
        title=title,
        start=format_date(start_day),
        end=format_date(end_day),
        start_date=start_day,
        end_date=end_day,
        start_time=f"{start:%H:%M}" if isinstance(start, dt.datetime) else "",
        period=period,
        location=location,
        lead=lead,
        partners=", ".join(partners),
        description=description,
    )


_ATTRIBUTE = re.compile(r"'(?:[\w.]+\.)?(\w+) object' has no attribute '([^']+)'")
_UNDEFINED = re.compile(r"'([^']+)' is undefined")
_VIEWS = {cls.__name__: cls for cls in (CampaignView, ActivityView, DeadlineView)}


def check(source: str, sample: Mapping[str, Any]) -> None:
    """Raise ExpressionError when the template cannot render with this kind of context.

    ``sample`` holds the same kinds of values a real expansion gives, so a misspelt name or
    attribute is found now, by the user, and not at send time.
    """
    template = compile_template(source)
    undeclared = meta.find_undeclared_variables(_environment().parse(source))
    missing = sorted(name for name in undeclared if name not in sample)
    if missing:
        raise ExpressionError(
            t("template_unknown", value=missing[0]),
            t("template_unknown_hint", names=", ".join(sorted(sample))),
        )
    try:
        text = template.render(sample)
    except jinja2.UndefinedError as exc:
        message = str(exc.message or "")
        attr = _ATTRIBUTE.search(message)
        if attr and attr[1] in _VIEWS:
            view = _VIEWS[attr[1]]
            prefix = next((k for k, v in sample.items() if isinstance(v, view)), "")
            raise ExpressionError(
                t("template_unknown", value=f"{prefix}.{attr[2]}"),
                t("template_unknown_hint", names=", ".join(f.name for f in fields(view))),
            ) from None
        name = _UNDEFINED.search(message)
        raise ExpressionError(
            t("template_unknown", value=name[1] if name else message),
            t("template_unknown_hint", names=", ".join(sorted(sample))),
        ) from None
    except Exception as exc:
        raise ExpressionError(t("template_syntax", reason=exc)) from None
    if len(text) > MAX_TEXT:
        raise ExpressionError(t("template_too_long", length=len(text)))
