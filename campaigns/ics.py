"""iCalendar feeds from occurrences, with the ``icalendar`` package, fast enough to serve.

Each event is serialised once and kept by its identity (UID, SEQUENCE, content); a feed is the
calendar header, one VTIMEZONE per zone used, and the kept event blocks. Rendering 10,000
events then costs a join, not 10,000 trips through ``icalendar``.

Known traps handled here: ``REFRESH-INTERVAL`` carries ``VALUE=DURATION``; ``X-PUBLISHED-TTL``
is written as a duration (``PT1H``), not ``1:00:00``; a zone with one fixed offset (Vietnam
has had +07:00 since 1975) gets one STANDARD component valid for every year, which Outlook
reads best, instead of icalendar's generated 1970–2038 transitions.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from icalendar import Calendar, Event, Timezone

# icalendar (about 3 MB resident) is imported by the functions that build components, not
# here: a daemon that renders nothing (no new or changed event, no feed asked for) never loads it.

PRODID = "-//loa//lịch chiến dịch//VI"


@dataclass(frozen=True)
class FeedEvent:
    """One event of a feed: an activity or deadline occurrence, or a scheduled message."""

    uid: str
    sequence: int
    cancelled: bool
    summary: str
    start: dt.date  # a date for all-day events, else an aware datetime
    end: dt.date | None  # exclusive (the day after the last day for all-day events)
    timezone: str
    stamp: dt.datetime  # when this version was made (DTSTAMP, LAST-MODIFIED)
    description: str = ""
    location: str = ""
    categories: tuple[str, ...] = ()
    url: str = ""
    alarms: tuple[dt.timedelta, ...] = ()  # before the start

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)


@dataclass(frozen=True)
class FeedInfo:
    name: str
    description: str
    refresh: dt.timedelta = dt.timedelta(hours=1)
    url: str = ""


def _local(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return moment.astimezone(tz)


_CONTROL = {c: None for c in range(32) if c not in (9, 10)} | {127: None}


def _clean(text: str) -> str:
    """Text without control characters (a stray BEL in a title breaks strict clients)."""
    return text.translate(_CONTROL)


def build_event(event: FeedEvent) -> Event:
    from icalendar import Alarm, Event

    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", event.stamp.astimezone(dt.UTC))
    vevent.add("last-modified", event.stamp.astimezone(dt.UTC))
    vevent.add("sequence", event.sequence)
    vevent.add("summary", _clean(event.summary))
    if event.all_day:
        vevent.add("dtstart", event.start)
        vevent.add("dtend", event.end or event.start + dt.timedelta(days=1))
    else:
        tz = ZoneInfo(event.timezone)
        assert isinstance(event.start, dt.datetime)
        vevent.add("dtstart", _local(event.start, tz))
        if isinstance(event.end, dt.datetime) and event.end > event.start:
            vevent.add("dtend", _local(event.end, tz))  # none: a moment (RFC 5545 3.6.1)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if event.all_day else "OPAQUE")
    if event.description:
        vevent.add("description", _clean(event.description))
    if event.location:
        vevent.add("location", _clean(event.location))
    if event.categories:
        vevent.add("categories", list(event.categories))
    if event.url:
        vevent.add("url", event.url)
    for before in () if event.cancelled else event.alarms:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _clean(event.summary))
        alarm.add("trigger", -before)
        vevent.add_component(alarm)
    return vevent


@functools.lru_cache(maxsize=200_000)
def event_block(event: FeedEvent) -> bytes:
    """The serialised VEVENT, cached by the event's whole value (a changed event is a new key)."""
    return bytes(build_event(event).to_ical())


def _fixed_offset(tz: ZoneInfo) -> dt.timedelta | None:
    """The zone's one offset if it has had a single one since 1976 and keeps it (no DST)."""
    offsets = set()
    for year in range(1976, 2101, 4):
        for month in (1, 7):
            offsets.add(dt.datetime(year, month, 1, tzinfo=tz).utcoffset())
    return next(iter(offsets)) if len(offsets) == 1 else None


def build_timezone(name: str) -> Timezone:
    from icalendar import Timezone, TimezoneStandard

    tz = ZoneInfo(name)
    offset = _fixed_offset(tz)
    if offset is None:
        return Timezone.from_tzid(name)
    vtz = Timezone()
    vtz.add("tzid", name)
    standard = TimezoneStandard()
    standard.add("dtstart", dt.datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", offset)
    standard.add("tzoffsetto", offset)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    standard.add(
        "tzname",
        f"{'+' if hours >= 0 else '-'}{abs(hours):02d}" + (f"{rest // 60:02d}" if rest else ""),
    )
    vtz.add_component(standard)
    return vtz


@functools.lru_cache(maxsize=64)
def timezone_block(name: str) -> bytes:
    """The VTIMEZONE, with one RDATE per line: some readers (vobject, and Radicale through it)
    keep only the first date of a comma-separated RDATE list and get summer time wrong."""
    lines = bytes(build_timezone(name).to_ical()).replace(b"\r\n ", b"").split(b"\r\n")
    out: list[bytes] = []
    for line in lines:
        if line.startswith(b"RDATE") and b"," in line:
            head, _, values = line.partition(b":")
            out.extend(head + b":" + value for value in values.split(b","))
        elif line:
            out.append(line)
    return b"".join(_fold_ascii(line) + b"\r\n" for line in out)


def _fold_ascii(line: bytes) -> bytes:
    """Fold a VTIMEZONE line (ASCII) at 75 octets, as RFC 5545 3.1 asks."""
    chunks = [line[:75]] + [line[i : i + 74] for i in range(75, len(line), 74)]
    return b"\r\n ".join(chunks)


def build_calendar(info: FeedInfo) -> Calendar:
    from icalendar import Calendar, vDuration

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", info.name)
    calendar.add("x-wr-calname", info.name)
    if info.description:
        calendar.add("description", info.description)
        calendar.add("x-wr-caldesc", info.description)
    calendar.add("refresh-interval", info.refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(info.refresh))
    if info.url:
        calendar.add("source", info.url, parameters={"VALUE": "URI"})
    return calendar


def _header(info: FeedInfo) -> bytes:
    body = bytes(build_calendar(info).to_ical())
    end = b"END:VCALENDAR\r\n"
    assert body.endswith(end)
    return body[: -len(end)]


def _zones(events: Sequence[FeedEvent]) -> list[str]:
    return sorted({e.timezone for e in events if not e.all_day})


def render_feed(info: FeedInfo, events: Sequence[FeedEvent]) -> bytes:
    """A whole VCALENDAR: header, one VTIMEZONE per zone used by timed events, the events."""
    return render_blocks(info, [event_block(event) for event in events], _zones(events))


def render_blocks(info: FeedInfo, blocks: Iterable[bytes], zones: Iterable[str]) -> bytes:
    """A VCALENDAR from event blocks already serialised (kept in memory or in the store)."""
    parts: list[bytes] = [_header(info)]
    parts.extend(timezone_block(zone) for zone in sorted(set(zones)))
    parts.extend(blocks)
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)


def render_plain(info: FeedInfo, events: Sequence[FeedEvent]) -> bytes:
    """The same feed built as one icalendar Calendar with no caching: the benchmark baseline."""
    from icalendar import Timezone

    calendar = build_calendar(info)
    for zone in _zones(events):
        calendar.add_component(Timezone.from_ical(timezone_block(zone)))
    for event in events:
        calendar.add_component(build_event(event))
    return bytes(calendar.to_ical())
