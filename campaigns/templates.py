"""Message templates: Jinja2 in a sandbox, strict about names, checked before anything is sent.

A template reads ``{{ campaign.title }}``, ``{{ activity.start }}``, ``{{ days_left }}`` and so
on (the list is in docs/campaign-files.md; the attributes are those of the view classes below). A name that does
not exist is a validation error with the list of names that do, never an empty hole in a
message that went out.

A template is a user's program, so it runs within bounds: at most ``MAX_STEPS`` loop turns
and calls and ``MAX_SECONDS`` per rendering, no recursive loops, no mutation of values, and
no value or output past ``MAX_TEXT`` characters. Past a bound it is refused like any other
template error (``loa validate`` renders every template once with sample data).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, safe_range

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


@dataclass(frozen=True)
class EventView:
    """The event a trigger's messages answer: ``{{ event.data.ten_bao }}``, ``{{ event.at }}``."""

    id: str
    type: str
    at: str  # "09:30, Thứ Năm, 03/12/2026"
    date: str  # "Thứ Năm, 03/12/2026"
    time: str  # "09:30"
    data: dict[str, str]


def _filter_date(value: Any, lang: str = "vi") -> str:
    if isinstance(value, dt.date):
        return format_datetime(value, lang)
    return str(value)


def _filter_short(value: Any) -> str:
    return format_short(value) if isinstance(value, dt.date) else str(value)


MAX_TEXT = 20_000  # characters a rendered message may have; far above any platform's limit
MAX_STEPS = 100_000  # loop turns and calls one rendering may take (a message needs a few dozen)
MAX_SECONDS = 1.0  # one rendering; a message renders in well under a millisecond
# what can ask Python for a string of any size in one step: a width or precision
_PERCENT_WIDTH = re.compile(r"%[-+ #0]*(\d{6,}|\*)|%[-+ #0]*\d*\.(\d{6,}|\*)")
_LITERAL_WIDTH = re.compile(r"\{[^{}]*:[^{}]*\d{6,}")
_NESTED_WIDTH = re.compile(r"\{[^{}]*:[^{}]*\{")
_PADDING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_FORMATTING = frozenset({"format", "format_map"})


class _Steps:
    """What one rendering has left; ``tick`` refuses the step past a bound."""

    def __init__(self) -> None:
        self.left = MAX_STEPS
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise ExpressionError(t("template_too_many_steps", steps=MAX_STEPS))
        if self.left % 512 == 0 and time.monotonic() > self.deadline:
            raise ExpressionError(t("template_too_slow", seconds=f"{MAX_SECONDS:g}"))


_STEPS: contextvars.ContextVar[_Steps | None] = contextvars.ContextVar("steps", default=None)


def _tick() -> None:
    steps = _STEPS.get()
    if steps is not None:
        steps.tick()


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """What a ``{% for %}`` loops over, one counted step per turn (the sandbox puts this
    around every loop, so nested loops count every inner turn)."""
    for item in iterable:
        _tick()
        yield item


def _too_long() -> SecurityError:
    return SecurityError(t("template_value_too_long", limit=MAX_TEXT))


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


def _filter_replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        times = min(times, count)
    if len(text) + times * max(0, len(new) - len(old)) > MAX_TEXT:
        raise _too_long()
    return text.replace(old, new, -1 if count is None else count)


def _filter_join(value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    items = [
        str(item if attribute is None else getattr(item, str(attribute), "")) for item in value
    ]
    if sum(map(len, items)) + len(str(d)) * max(0, len(items) - 1) > MAX_TEXT:
        raise _too_long()
    return str(d).join(items)


SAFE_FILTERS = (
    "capitalize", "default", "d", "first", "int", "join", "last", "length", "count", "lower",
    "replace", "round", "string", "title", "trim", "truncate", "upper", "abs", "list", "sort",
    "unique", "select", "reject", "map", "min", "max", "sum", "e", "escape",
)  # fmt: skip


class _Sandbox(ImmutableSandboxedEnvironment):
    """A sandbox that also refuses to build huge values (``"x" * 10**9``, ``9 ** 9 ** 9``,
    ``s ~ s`` doubled by a macro) and counts loop turns and calls against ``MAX_STEPS``."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError(t("template_exponent_too_large"))
        if operator == "*":
            for value, times in ((left, right), (right, left)):
                if isinstance(times, int) and _sized(value) * times > MAX_TEXT:
                    raise _too_long()
        if operator == "+" and _sized(left) + _sized(right) > MAX_TEXT:
            raise _too_long()
        if operator == "%" and isinstance(left, str) and _PERCENT_WIDTH.search(left):
            raise _too_long()  # a width such as "%0999999999d" or "%*d"
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()  # a macro calling itself twice per level doubles its work: count every call
        for value in (*args, *kwargs.values()):
            if _sized(value) > MAX_TEXT:
                raise _too_long()
        name = getattr(__obj, "__name__", "")
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(owner, str) and name in _PADDING | _FORMATTING:
            values = [*args, *kwargs.values()]
            if name == "format_map" and args and isinstance(args[0], Mapping):
                values = list(args[0].values())
            huge = any(
                (isinstance(v, int) and abs(v) > MAX_TEXT)
                or (isinstance(v, str) and re.search(r"\d{6}", v))
                for v in values
            )
            if name in _PADDING and huge:
                raise _too_long()  # "x".ljust(10**9)
            if name in _FORMATTING and (
                _LITERAL_WIDTH.search(owner) or (huge and _NESTED_WIDTH.search(owner))
            ):
                raise _too_long()  # "{:>999999999}", "{:>{}}" with 10**9
        return super().call(__context, __obj, *args, **kwargs)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every loop iterates through ``_counted``; a recursive loop is refused (its inner
        calls would bypass the count)."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            if loop.recursive:
                raise jinja2.TemplateSyntaxError(
                    t("template_recursive_loop"), loop.lineno, name, filename
                )
            loop.iter = nodes.Filter(loop.iter, "_counted", [], [], None, None)
        return tree


@functools.cache
def _environment() -> SandboxedEnvironment:
    env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    # only filters that cannot blow a value up (no center/indent/wordwrap/format widths)
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS if name in env.filters}
    env.filters["replace"] = _filter_replace
    env.filters["join"] = _filter_join
    env.filters["_counted"] = _counted
    # no lipsum (its size is an argument), no namespace (a value that outlives a loop turn)
    env.globals = {"range": safe_range, "dict": dict}
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
        raise ExpressionError(t("template_syntax", reason=t("template_too_deep"))) from None


def syntax_tree(source: str) -> nodes.Template:
    """The parsed template, for finding what it reads (``campaigns.triggers.fields_used``)."""
    compile_template(source)  # a syntax error is reported the one way
    return _environment().parse(source)


def _bounded(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """The rendered text, stopped past ``MAX_STEPS``, ``MAX_SECONDS`` or an output far past
    ``MAX_TEXT`` (the pieces are counted as they come, so no huge text is ever joined)."""
    token = _STEPS.set(_Steps())
    try:
        pieces: list[str] = []
        size = 0
        for piece in template.generate(context):
            size += len(piece)
            if size > 2 * MAX_TEXT:
                raise ExpressionError(t("template_too_long", length=f"> {2 * MAX_TEXT}"))
            pieces.append(piece)
        return "".join(pieces)
    finally:
        _STEPS.reset(token)


def render(source: str, context: Mapping[str, Any]) -> str:
    """The message text; a template that cannot render raises ExpressionError, never more."""
    try:
        text = _bounded(compile_template(source), context).strip()
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
_VIEWS = {cls.__name__: cls for cls in (CampaignView, ActivityView, DeadlineView, EventView)}


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
        text = _bounded(template, sample)
    except ExpressionError:
        raise
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
