"""Triggers: message sequences that an event starts, timed from the event instead of the calendar.

A campaign file names an event type (``canh-bao-bao``), the data fields such an event carries
(``ten_bao``) and messages timed from the event: ``at = "event"`` (at once), ``"event +2h"``,
``"event +1d 07:00"``, ``"the next working day 08:00"``. This module holds those values, reads
the ``at`` expressions and finds the event fields a template reads; ``campaigns.sequence`` turns
one event into its dispatches.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from jinja2 import nodes

from campaigns import templates
from campaigns.errors import ExpressionError
from campaigns.i18n import t
from campaigns.timeexpr import parse_offset, parse_time, parse_workdays
from campaigns.workdays import WorkCalendar

MARK = "!event:"  # in the key of every delivery an event starts: sync leaves these alone
UNITS_FROM = "units:"  # "units:don_vi": the chats of the units the event's field names
FIELD_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
MAX_VALUE = 1000  # characters of one data value: a storm's name, a ward, a short note
_EVENT_WORDS = ("sự kiện", "event")
_AT_ONCE = ("", "ngay", "ngay lập tức", "at once", "immediately")
_TIME_AT_END = re.compile(r"^(.*?)\s*(\d{1,2}:\d{2})$")
_WHOLE_DAYS = re.compile(r"^\+?\s*\d+\s*[dw](?:\s*\d+\s*[dw])*$")


@dataclass(frozen=True)
class EventAt:
    """When a message of a sequence goes out, from the event's time: ``delta`` after it, or
    ``days`` (``workdays`` working days) later at ``time``; ``time`` alone is that day."""

    text: str
    delta: dt.timedelta = dt.timedelta(0)
    days: int = 0
    workdays: int = 0
    time: dt.time | None = None

    def resolve(self, event_at: dt.datetime, tz: dt.tzinfo, calendar: WorkCalendar) -> dt.datetime:
        local = event_at.astimezone(tz)
        if self.workdays:
            day = calendar.add(local.date(), self.workdays)
        elif self.time is not None:
            day = local.date() + dt.timedelta(days=self.days)
        else:
            return event_at + self.delta
        wall = self.time or local.time().replace(tzinfo=None)
        return dt.datetime.combine(day, wall, tzinfo=tz)


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).strip().lower().split())


def parse_event_at(value: object) -> EventAt:
    """``event``, ``event +2h``, ``event +1d 07:00``, ``the next working day 08:00``,
    ``sự kiện +2 ngày làm việc 08:00``, ``ngay``; ExpressionError with the forms otherwise."""
    if not isinstance(value, str):
        raise ExpressionError(t("event_at_bad", value=value), t("event_at_hint"))
    norm = _normalise(value)
    for word in _EVENT_WORDS:
        if norm == word or norm.startswith(word + " "):
            norm = norm[len(word) :].strip()
            break
    norm = norm.removeprefix("the ").strip()
    if norm in _AT_ONCE:
        return EventAt(value)
    time = None
    found = _TIME_AT_END.match(norm)
    if found:
        time = parse_time(found[2])
        norm = found[1].strip()
    try:
        workdays = parse_workdays(norm) if norm else 0
        if workdays:
            return _forward(EventAt(value, workdays=workdays, time=time))
        offset = parse_offset(norm if norm[:1] in "+-" else "+" + norm) if norm else dt.timedelta()
    except ExpressionError as exc:
        raise ExpressionError(t("event_at_bad", value=value), t("event_at_hint")) from exc
    if time is None:
        return _forward(EventAt(value, delta=offset))
    if norm and not _WHOLE_DAYS.match(norm):
        raise ExpressionError(t("event_at_time_needs_days", value=value), t("event_at_hint"))
    return _forward(EventAt(value, days=offset.days, time=time))


def _forward(at: EventAt) -> EventAt:
    """A sequence answers an event: none of its messages goes out before it happened."""
    if at.delta < dt.timedelta(0) or at.days < 0 or at.workdays < 0:
        raise ExpressionError(t("event_at_before", value=at.text), t("event_at_hint"))
    return at


@dataclass(frozen=True)
class TriggerMessage:
    id: str
    at: EventAt
    text: str
    channels: tuple[str, ...] = ()  # empty: the config's default channels
    image: str = ""
    approval: bool | None = None  # None: the trigger's, the campaign's, then the channel's


@dataclass(frozen=True)
class Trigger:
    id: str
    event: str  # the event type it answers, e.g. "canh-bao-bao"
    fields: tuple[str, ...] = ()  # the data an event of this type carries, each required
    title: str = ""  # a template: the event as feeds and plans show it
    description: str = ""
    messages: tuple[TriggerMessage, ...] = ()
    approval: bool | None = None  # its messages wait for an approver (None: the campaign's)

    @property
    def unit_fields(self) -> set[str]:
        """The fields whose values name units that messages go to (``units:<field>``)."""
        return {
            spec.removeprefix(UNITS_FROM)
            for m in self.messages
            for spec in m.channels
            if spec.startswith(UNITS_FROM)
        }


def fields_used(source: str) -> set[str]:
    """The event fields a template reads (``{{ event.data.ten_bao }}``, ``event.data["x"]``)."""
    tree = templates.syntax_tree(source)
    used: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, nodes.Getattr | nodes.Getitem)
        inner = node.node
        if not (
            isinstance(inner, nodes.Getattr)
            and inner.attr == "data"
            and isinstance(inner.node, nodes.Name)
            and inner.node.name == "event"
        ):
            continue
        if isinstance(node, nodes.Getattr):
            used.add(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            used.add(node.arg.value)
    return used
