"""Expansion: a campaign and a time window give occurrences and dispatches, deterministically.

Every output carries a key built from the campaign id, the item id and the occurrence (the
year of a yearly item, the anchor's occurrence for a relative one, the date of a repeat), so
expanding again gives the same keys, an edited text keeps its key, and a removed item's keys
simply stop appearing. A dispatch key adds ``@channel:target``.

Pure: no clock, no I/O. The caller passes the window and the channel catalogue.

Bounded: a file may ask for anything (a rule firing every second, a date on the last day of
the calendar), so expansion refuses an item past ``Limits`` or past the calendar's ends with
``ExpansionRefused`` naming the item, instead of eating the machine or raising from deep in
``datetime``. The caller refuses that one file and goes on with the others.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time as clock
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from campaigns import rrules, templates
from campaigns.dates import format_date, format_short
from campaigns.errors import ExpansionRefused, ExpressionError
from campaigns.i18n import t
from campaigns.lunar import to_solar
from campaigns.model import (
    Activity,
    Campaign,
    ChannelCatalog,
    Deadline,
    Message,
    YearTimes,
    time_in,
)
from campaigns.timeexpr import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_OFFSET,
    Fixed,
    Lunar,
    Moment,
    NthWeekday,
    Relative,
    Repeat,
    Rule,
    Spec,
    Yearly,
    instant,
)
from campaigns.units import split_names
from campaigns.workdays import MAX_DAYS_OFF_IN_A_ROW, IfDayOff

ONCE = "once"
# how far a moment may move off days off (and a "before" due one day more): RRULE moments
# this far outside the window are looked at, since they may move into it
MOVE_MARGIN = dt.timedelta(days=MAX_DAYS_OFF_IN_A_ROW + 1)
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    """What one file may cost. 5,000 occurrences of one item is every day of 13 years, or
    every hour of 7 months, far past any campaign; a second-by-second rule stops there at once.
    The time covers what the count cannot: an item whose every moment is costly (a rule that
    skips years between matches, a template near its own limits, repeated per occurrence)."""

    occurrences: int = 5_000  # of one item within the window being expanded
    seconds: float = 5.0  # to expand one file


LIMITS = Limits()
_Where = tuple[str, str, str]  # (kind, item id, key): what a refusal names


@dataclass(frozen=True)
class ActivityOccurrence:
    key: str
    campaign: str
    activity: str
    occurrence: str
    title: str
    start: Moment
    end: Moment | None  # inclusive last day for all-day activities
    location: str = ""
    lead: str = ""
    partners: tuple[str, ...] = ()
    description: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()
    moved_from: dt.date | None = None  # the day off it was moved from
    approval: bool | None = None  # see ``Dispatch.approval``

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)


@dataclass(frozen=True)
class DeadlineOccurrence:
    key: str
    campaign: str
    deadline: str
    occurrence: str
    title: str
    due: Moment  # the last day: for a deadline due before a date, a day before it
    lead: str = ""
    partners: tuple[str, ...] = ()
    description: str = ""
    units: tuple[str, ...] = ()  # who owes it: a report tracked per unit (scheduler.reports)
    items: tuple[str, ...] = ()  # the messages that remind of it, which a submission stops
    before: dt.date | None = None  # the date it is due before, as the file states it
    moved_from: dt.date | None = None  # the day off it was moved from


@dataclass(frozen=True)
class Dispatch:
    """One message to one target at one time: a row of the outbox."""

    key: str
    message_key: str
    campaign: str
    item: str
    occurrence: str
    channel: str
    target: str
    due: dt.datetime
    text: str
    error: str = ""  # the template could not be rendered: the delivery fails, naming why
    image: str = ""  # an https URL or an absolute file path
    # what the file says about approval (message, trigger, campaign: the first that says);
    # None leaves it to the channel (``ChannelCatalog.needs_approval``)
    approval: bool | None = None


def delivery_key(message_key: str, channel: str, target: str) -> str:
    """The outbox key of one message occurrence to one target: the identity sync matches on."""
    return f"{message_key}@{channel}:{target}" if target else f"{message_key}@{channel}"


@dataclass(frozen=True)
class MessageOccurrence:
    key: str
    campaign: str
    item: str
    occurrence: str
    due: dt.datetime
    text: str
    targets: tuple[tuple[str, str], ...]
    activity: str | None = None
    error: str = ""
    image: str = ""
    moved_from: dt.date | None = None  # the day off it was moved from
    approval: bool | None = None  # see ``Dispatch.approval``

    @property
    def channels(self) -> list[str]:
        return [f"{c}:{tg}" if tg else c for c, tg in self.targets]

    def dispatches(self) -> Iterator[Dispatch]:
        for channel, target in self.targets:
            yield Dispatch(
                key=delivery_key(self.key, channel, target),
                message_key=self.key,
                campaign=self.campaign,
                item=self.item,
                occurrence=self.occurrence,
                channel=channel,
                target=target,
                due=self.due,
                text=self.text,
                error=self.error,
                image=self.image,
                approval=self.approval,
            )


@dataclass
class Expansion:
    activities: list[ActivityOccurrence] = field(default_factory=list)
    deadlines: list[DeadlineOccurrence] = field(default_factory=list)
    messages: list[MessageOccurrence] = field(default_factory=list)
    # deadlines owed by units whose due or reminders reach into the window: tracked from the
    # first reminder, though the due itself may lie beyond the window
    owed: list[DeadlineOccurrence] = field(default_factory=list)

    def dispatches(self) -> Iterator[Dispatch]:
        for message in self.messages:
            yield from message.dispatches()

    def extend(self, other: Expansion) -> None:
        self.activities.extend(other.activities)
        self.deadlines.extend(other.deadlines)
        self.messages.extend(other.messages)
        self.owed.extend(other.owed)


_Anchor = tuple[Moment, Moment | None]


class _Expander:
    def __init__(
        self,
        campaign: Campaign,
        start: dt.datetime,
        end: dt.datetime,
        catalog: ChannelCatalog,
        limits: Limits = LIMITS,
    ) -> None:
        self.campaign = campaign
        self.tz = ZoneInfo(campaign.timezone)
        self.start = start
        self.end = end
        self.catalog = catalog
        self.calendar = catalog.calendar
        self.stated: dict[tuple[str, str], dt.date] = {}  # (deadline, occurrence): "before" day
        # anchors up to two years around the window: offsets reach 366 days either way
        first = max(dt.MINYEAR, min([start.year - 2, *(y - 1 for y in _fixed_years(campaign))]))
        last = min(dt.MAXYEAR, end.year + 2)
        self.years = [y for y in range(first, last + 1) if y in campaign.years]
        self.anchors: dict[str, dict[str, _Anchor]] = {}
        self.views: dict[tuple[str, str], templates.ActivityView] = {}
        self.owed: list[DeadlineOccurrence] = []
        self.campaign_view = templates.CampaignView(
            campaign.id, campaign.title, campaign.description
        )
        self.limits = limits
        self.deadline = clock.monotonic() + limits.seconds
        self.where: _Where = ("", "", "")
        self.counted = 0

    # -- bounds ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _item(self, kind: str, item: str, key: str) -> Iterator[None]:
        """Work on one key of one item: its occurrences are counted, and a date that falls
        past the calendar's ends (``date value out of range``, ``year 10000 is out of range``)
        refuses the item rather than escaping from ``datetime``."""
        outer = self.where, self.counted  # a deadline's reminders are worked on within its due
        self.where = (kind, item, key)
        self.counted = 0
        try:
            yield
        except (OverflowError, ValueError):
            raise ExpansionRefused(
                self.where,
                t("date_out_of_range"),
                t("date_out_of_range_hint", first=FIRST_YEAR, last=LAST_YEAR),
            ) from None
        self.where, self.counted = outer

    def _check_time(self) -> None:
        if clock.monotonic() > self.deadline:
            seconds = f"{self.limits.seconds:g}"
            raise ExpansionRefused(
                self.where,
                t("expansion_too_slow", seconds=seconds, item=self.where[1]),
                t("expansion_too_slow_hint"),
            )

    def _count(self) -> None:
        self.counted += 1
        if self.counted > self.limits.occurrences:
            days = max(1, (self.end - self.start).days)
            raise ExpansionRefused(
                self.where,
                t("too_many_occurrences", item=self.where[1], limit=self.limits.occurrences,
                  days=days),
                t("too_many_occurrences_hint", limit=self.limits.occurrences),
            )  # fmt: skip

    # -- moments -----------------------------------------------------------------------------

    def _at(self, day: dt.date, time: dt.time | None) -> Moment:
        return dt.datetime.combine(day, time, tzinfo=self.tz) if time is not None else day

    def _local(self, value: dt.date) -> Moment:
        if isinstance(value, dt.datetime):
            return (
                value.replace(tzinfo=self.tz) if value.tzinfo is None else value.astimezone(self.tz)
            )
        return value

    def _shift(self, base: Moment, offset: dt.timedelta, time: dt.time | None) -> Moment:
        if isinstance(base, dt.datetime):
            wall = base.astimezone(self.tz).replace(tzinfo=None) + offset
        else:
            if time is None and offset % dt.timedelta(days=1) == dt.timedelta(0):
                return base + offset
            wall = dt.datetime.combine(base, dt.time()) + offset
        if time is not None:
            wall = dt.datetime.combine(wall.date(), time)
        return wall.replace(tzinfo=self.tz)

    def _move(self, moment: Moment, day: dt.date) -> Moment:
        """The same moment on another day, at the same local time."""
        if isinstance(moment, dt.datetime):
            return dt.datetime.combine(day, moment.astimezone(self.tz).time(), tzinfo=self.tz)
        return day

    def _relative(self, base: Moment, spec: Relative) -> Moment:
        if spec.workdays:
            day = self.calendar.add(_day(base), spec.workdays)
            return self._at(day, spec.time) if spec.time is not None else self._move(base, day)
        return self._shift(base, spec.offset, spec.time)

    def _settle(self, moment: Moment, rule: IfDayOff) -> tuple[Moment, dt.date | None]:
        """The moment moved off a day off by ``rule``, and the day it left (None: it stays)."""
        day = _day(moment)
        found = self.calendar.settle(day, rule)
        return (moment, None) if found == day else (self._move(moment, found), day)

    def _as_instant(self, moment: Moment, time: dt.time | None = None) -> dt.datetime:
        if isinstance(moment, dt.datetime):
            return moment
        return dt.datetime.combine(moment, time or self.campaign.send_time, tzinfo=self.tz)

    def points(
        self,
        spec: Spec,
        reach: dt.timedelta = dt.timedelta(0),
        back: dt.timedelta = dt.timedelta(0),
    ) -> Iterator[tuple[str, Moment]]:
        """Every (occurrence id, moment) of a spec near the window (RRULEs up to ``reach``
        after it, for deadlines whose reminders fall in the window, and ``back`` before it, for
        deadlines that messages are timed from)."""
        if isinstance(spec, Fixed):
            yield ONCE, self._local(spec.value)
        elif isinstance(spec, Yearly):
            for year in self.years:
                if spec.month == 2 and spec.day == 29 and not _leap(year):
                    continue  # 29 February happens in leap years only
                yield str(year), self._at(dt.date(year, spec.month, spec.day), spec.time)
        elif isinstance(spec, Lunar):
            for year in self.years:
                day = to_solar(year, spec.month, spec.day, spec.leap)
                if day is not None:
                    yield str(year), self._at(day, spec.time)
        elif isinstance(spec, NthWeekday):
            for year in self.years:
                if (found := spec.day(year)) is not None:
                    yield str(year), self._at(found, spec.time)
        elif isinstance(spec, Relative):
            for occurrence, (first, last) in self.anchors.get(spec.ref, {}).items():
                base = first if spec.edge == "start" else (last or first)
                yield occurrence, self._relative(base, spec)
        elif isinstance(spec, Repeat):
            low, high = self._days_near(reach, back)
            for occurrence, (first, last) in self.anchors.get(spec.during, {}).items():
                for day in _repeat_days(spec, _day(first), _day(last or first), low, high):
                    if spec.working_days and self.calendar.is_day_off(day):
                        continue
                    self._count()
                    yield f"{occurrence}/{day.isoformat()}", self._at(day, spec.time)
        elif isinstance(spec, Rule):
            yield from self._rule_points(spec, reach, back)

    def _days_near(self, reach: dt.timedelta, back: dt.timedelta) -> tuple[dt.date, dt.date]:
        """The local days a moment of the window (``back`` before it to ``reach`` after it)
        can be on."""
        low = (self.start.astimezone(self.tz) - dt.timedelta(days=1) - back).date()
        high = (self.end.astimezone(self.tz) + dt.timedelta(days=1) + reach).date()
        return low, high

    def _rule_points(
        self, spec: Rule, reach: dt.timedelta, back: dt.timedelta
    ) -> Iterator[tuple[str, Moment]]:
        time = spec.time or dt.time()
        periods: list[tuple[str, dt.date, dt.date | None]] = []
        if spec.during:
            for occurrence, (first, last) in self.anchors.get(spec.during, {}).items():
                periods.append((occurrence + "/", _day(first), _day(last or first)))
        elif spec.start is not None:
            periods.append(("", spec.start, spec.until))
        low = (self.start - dt.timedelta(days=1) - back).astimezone(self.tz).replace(tzinfo=None)
        high = (self.end + dt.timedelta(days=1) + reach).astimezone(self.tz).replace(tzinfo=None)
        sub_daily = bool(
            re.search(r"BYHOUR|BYMINUTE|BYSECOND|FREQ=(HOURLY|MINUTELY|SECONDLY)", spec.rule, re.I)
        )
        for prefix, first, last in periods:
            rule = rrules.rrulestr(spec.rule, dt.datetime.combine(first, time))
            upper = high if last is None else min(high, dt.datetime.combine(last, dt.time.max))
            for wall in self._between(rule, low, upper):
                if spec.during is None and wall.year not in self.campaign.years:
                    continue
                if spec.working_days and self.calendar.is_day_off(wall.date()):
                    continue
                label = wall.strftime("%Y-%m-%dT%H:%M:%S") if sub_daily else wall.date().isoformat()
                moment = (
                    wall.replace(tzinfo=self.tz)
                    if spec.time is not None or sub_daily
                    else wall.date()
                )
                yield prefix + label, moment

    def _between(self, rule: Any, low: dt.datetime, upper: dt.datetime) -> Iterator[dt.datetime]:
        """``rule.between(low, upper, inc=True)``, one at a time: a rule firing every second
        meets the occurrence bound before it fills memory, one that fires far before the
        window (from its start years ago) meets the time bound, and one that matches nothing
        any more is given up after the window's year (``campaigns.rrules``)."""
        walls = rrules.occurrences(rule, upper.year + 1)
        for skipped in range(1 << 62):
            try:
                wall = next(walls, None)
            except (ValueError, IndexError) as exc:  # dateutil finds an impossible rule late
                raise ExpansionRefused(
                    self.where, t("bad_rrule", reason=exc), t("bad_rrule_hint")
                ) from None
            if wall is None or wall > upper:
                return
            if wall >= low:
                self._count()
                yield wall
            if skipped % 256 == 0:
                self._check_time()

    def _end_for(
        self, spec: Spec, occurrence: str, start: Moment, activity_id: str = ""
    ) -> Moment | None:
        first_day = _day(start)
        if isinstance(spec, Yearly):
            for year in (first_day.year, first_day.year + 1):
                day = (
                    min(spec.day, 28)
                    if (spec.month, spec.day) == (2, 29) and not _leap(year)
                    else spec.day
                )
                end = self._at(dt.date(year, spec.month, day), spec.time)
                if _day(end) >= first_day:
                    return end
            return None
        if isinstance(spec, Lunar):
            lunar_year = int(occurrence) if occurrence.isdigit() else first_day.year
            for year in (lunar_year, lunar_year + 1):
                found = to_solar(year, spec.month, spec.day, spec.leap)
                if found is not None and found >= first_day:
                    return self._at(found, spec.time)
            return None
        if isinstance(spec, NthWeekday):
            for year in (first_day.year, first_day.year + 1):
                found = spec.day(year, end=True)
                if found is not None and found >= first_day:
                    return self._at(found, spec.time)
            return None
        if isinstance(spec, Relative):
            anchor = self.anchors.get(spec.ref, {})
            if spec.ref == activity_id:  # "end = own start + 6d"
                anchor = {occurrence: (start, None)}
            base = anchor.get(occurrence) or anchor.get(ONCE)
            if base is None:
                return None
            edge = base[0] if spec.edge == "start" else (base[1] or base[0])
            return self._relative(edge, spec)
        for _, moment in self.points(spec):
            return moment
        return None

    # -- items -------------------------------------------------------------------------------

    def activities(self) -> Iterator[ActivityOccurrence]:
        c = self.campaign
        for activity in _in_dependency_order(c.activities):
            with self._item("activity", activity.id, "start"):
                starts = list(self.points(activity.start))
            found: dict[str, _Anchor] = {}
            moved: dict[str, dt.date | None] = {}
            with self._item("activity", activity.id, "end" if activity.end else "start"):
                for occurrence, written in starts:
                    self._check_time()
                    start = self._in_year(activity.by_year, "start", occurrence, written)
                    if start is None:
                        continue
                    end_spec = time_in(activity.by_year, "end", occurrence) or activity.end
                    end = (
                        self._end_for(end_spec, occurrence, start, activity.id)
                        if end_spec
                        else _week_end(activity.start, start)
                    )
                    if end is not None and _day(end) < _day(start):
                        end = None
                    found[occurrence], moved[occurrence] = self._settle_activity(
                        activity, occurrence, start, end
                    )
                overlapping = [(o, s, e) for o, (s, e) in found.items() if self._overlaps(s, e)]
                self._in_utc([e for _, _, e in overlapping if e is not None], after=True)
            with self._item("activity", activity.id, "start"):
                self._in_utc([s for _, s, _ in overlapping])
            self.anchors[activity.id] = found
            for occurrence, start, end in overlapping:
                yield ActivityOccurrence(
                    key=f"{c.id}:{activity.id}:{occurrence}",
                    campaign=c.id,
                    activity=activity.id,
                    occurrence=occurrence,
                    title=activity.title,
                    start=start,
                    end=end,
                    location=activity.location,
                    lead=activity.lead,
                    partners=activity.partners,
                    description=activity.description,
                    url=activity.url,
                    tags=activity.tags,
                    moved_from=moved[occurrence],
                )

    def _in_year(
        self, by_year: tuple[YearTimes, ...], key: str, occurrence: str, moment: Moment
    ) -> Moment | None:
        """The moment of a yearly occurrence, or the date that year's by_year gives instead
        (None: that date does not occur that year). The occurrence, and so the key, stays."""
        spec = time_in(by_year, key, occurrence)
        if spec is None:
            return moment
        return next((m for occ, m in self.points(spec) if occ in (occurrence, ONCE)), None)

    def _settle_activity(
        self, activity: Activity, occurrence: str, start: Moment, end: Moment | None
    ) -> tuple[_Anchor, dt.date | None]:
        """A one-day activity on a day off moves to the next working day unless its rule says
        otherwise; a period keeps its days (it spans days off anyway) unless a rule is given."""
        one_day = end is None or _day(end) == _day(start)
        chosen = isinstance(activity.start, NthWeekday)  # "the last Saturday": on purpose
        rule = activity.if_day_off or ("after" if one_day and not chosen else "keep")
        new_start, left = self._settle(start, rule)
        if left is None:
            return (start, end), None
        if end is not None and _day(end) == left:
            end = self._move(end, _day(new_start))
        elif isinstance(activity.end, Relative) and activity.end.ref == activity.id:
            end = self._end_for(activity.end, occurrence, new_start, activity.id)
        if end is not None and _day(end) < _day(new_start):
            end = None
        return (new_start, end), left

    def _overlaps(self, start: Moment, end: Moment | None) -> bool:
        finish = instant(end or start, self.tz, after=True)
        begin = instant(start, self.tz)
        if finish <= begin:  # a timed activity without duration is a point in time
            return self.start <= begin < self.end
        return begin < self.end and finish > self.start

    def _in_utc(self, moments: Iterable[Moment], after: bool = False) -> None:
        """An activity that spans the window may start or end where only its own time zone
        reaches: midnight of 0001-01-01 at UTC+7 is in the year 0 in UTC, which the store
        cannot hold (``OverflowError``, refused by ``_item`` like any date past the calendar)."""
        for moment in moments:
            instant(moment, self.tz, after=after).astimezone(dt.UTC)

    def _in_window(self, instant: dt.datetime) -> bool:
        return self.start <= instant < self.end

    def _view(self, activity_id: str | None, occurrence: str, due: dt.datetime) -> Any:
        if activity_id is None:
            return None
        occ = self.anchors.get(activity_id, {})
        base = occurrence.split("/", 1)[0].split("#", 1)[0]
        anchor = occ.get(base) or occ.get(ONCE) or occ.get(str(due.year))
        if anchor is None:
            return None
        cache_key = (activity_id, base)
        view = self.views.get(cache_key)
        if view is None:
            activity = next(a for a in self.campaign.activities if a.id == activity_id)
            view = templates.activity_view(
                activity.id, activity.title, anchor[0], anchor[1], activity.location,
                activity.lead, activity.partners, activity.description,
            )  # fmt: skip
            self.views[cache_key] = view
        return view

    def _context(self, occurrence: str, due: dt.datetime, **extra: Any) -> dict[str, Any]:
        year = int(occurrence[:4]) if occurrence[:4].isdigit() else due.year
        context: dict[str, Any] = dict(self.campaign.variables_for(year))
        context.update(
            campaign=self.campaign_view,
            date=format_date(due),
            date_en=format_date(due, "en"),
            time=f"{due:%H:%M}",
            year=year,
        )
        context.update({k: v for k, v in extra.items() if v is not None})
        return context

    def _render(self, source: str, context: Mapping[str, Any]) -> tuple[str, str]:
        try:
            return templates.render(source, context), ""
        except ExpressionError as exc:
            return "", exc.message

    def messages(self) -> Iterator[MessageOccurrence]:
        for message in self.campaign.messages:
            yield from self._message(message)

    def _targets(self, channels: tuple[str, ...], owner: Activity | Deadline | None) -> Any:
        """The targets of ``channels``, where ``units`` reaches the owner's units: an
        activity's lead and partners, or the units that owe a deadline."""
        if owner is None:
            return self.catalog.resolve(channels)
        leads = split_names(owner.lead)
        owed = owner.units if isinstance(owner, Deadline) and owner.units else owner.partners
        return self.catalog.resolve(channels, leads, tuple(u for u in owed if u not in leads))

    def _message(self, message: Message) -> Iterator[MessageOccurrence]:
        owner: Activity | Deadline | None = next(
            (d for d in self.campaign.deadlines if d.id == message.deadline), None
        ) or next((a for a in self.campaign.activities if a.id == message.activity), None)
        targets = self._targets(message.channels, owner)
        several = len(message.at.specs) > 1
        margin = dt.timedelta(0) if message.if_day_off == "keep" else MOVE_MARGIN
        for index, spec in enumerate(message.at.specs):
            with self._item("message", message.id, "at"):
                dues: list[tuple[str, dt.datetime, dt.date | None]] = []
                for occurrence, found in self.points(spec, margin, margin):
                    written = (
                        found
                        if several
                        else self._in_year(message.by_year, "at", occurrence, found)
                    )
                    if written is None:
                        continue
                    moment, moved = self._settle(written, message.if_day_off)
                    due = self._as_instant(moment)
                    if self._in_window(due):
                        dues.append((occurrence, due, moved))
            for occurrence, due, moved in dues:
                self._check_time()
                occ = f"{occurrence}#{index + 1}" if several else occurrence
                view = self._view(message.activity, occ, due)
                days_left = (view.start_date - due.date()).days if view is not None else None
                deadline = self._deadline_view(message.deadline, occurrence, due)
                if deadline is not None:
                    days_left = (deadline.due_date - due.date()).days
                text, error = self._render(
                    message.text,
                    self._context(occ, due, activity=view, deadline=deadline, days_left=days_left),
                )
                yield MessageOccurrence(
                    key=f"{self.campaign.id}:{message.id}:{occ}",
                    campaign=self.campaign.id,
                    item=message.id,
                    occurrence=occ,
                    due=due,
                    text=text,
                    targets=targets,
                    activity=message.activity,
                    error=error,
                    image=message.image,
                    moved_from=moved,
                    approval=first_stated(message.approval, self.campaign.approval),
                )

    def _deadline_view(
        self, deadline_id: str | None, occurrence: str, due: dt.datetime
    ) -> templates.DeadlineView | None:
        """The deadline a message is timed from, at the occurrence the message counts from."""
        if deadline_id is None:
            return None
        found = self.anchors.get(deadline_id, {})
        key = next((k for k in (occurrence, ONCE, str(due.year)) if k in found), None)
        deadline = next((d for d in self.campaign.deadlines if d.id == deadline_id), None)
        if key is None or deadline is None:
            return None
        return _deadline_view(deadline, found[key][0], self.stated.get((deadline_id, key)))

    def deadlines(self) -> tuple[list[DeadlineOccurrence], list[MessageOccurrence]]:
        dues: list[DeadlineOccurrence] = []
        reminders: list[MessageOccurrence] = []
        c = self.campaign
        timed_from = {m.deadline for m in c.messages if m.deadline} | {
            spec.ref for m in c.messages for spec in m.at.specs if isinstance(spec, Relative)
        }
        for deadline in c.deadlines:
            several = len(deadline.due.specs) > 1
            reach = dt.timedelta(days=max(deadline.remind, default=0))
            back = dt.timedelta(0)
            if deadline.id in timed_from:  # messages may be up to MAX_OFFSET from each due
                reach, back = max(reach, MAX_OFFSET), MAX_OFFSET
            reach, back = reach + MOVE_MARGIN, back + MOVE_MARGIN
            found: dict[str, _Anchor] = {}
            for index, spec in enumerate(deadline.due.specs):
                with self._item("deadline", deadline.id, "due"):
                    for occurrence, point in self.points(spec, reach, back):
                        self._check_time()
                        occ = f"{occurrence}#{index + 1}" if several else occurrence
                        written = self._in_year(deadline.by_year, "due", occ, point)
                        if written is None:
                            continue
                        stated = _day(written) if deadline.before else None
                        if stated is not None:
                            written = self._move(written, stated - dt.timedelta(days=1))
                        due, moved = self._settle(written, deadline.if_day_off)
                        if stated is not None:
                            self.stated[(deadline.id, occ)] = stated
                        found[occ] = (due, None)
                        item = DeadlineOccurrence(
                            key=f"{c.id}:{deadline.id}:{occ}",
                            campaign=c.id,
                            deadline=deadline.id,
                            occurrence=occ,
                            title=deadline.title,
                            due=due,
                            lead=deadline.lead,
                            partners=deadline.partners,
                            description=deadline.description,
                            before=stated,
                            moved_from=moved,
                            units=deadline.units,
                            items=self._reminding(deadline),
                        )
                        moment = instant(due, self.tz)
                        if self._in_window(moment):
                            dues.append(item)
                        if (
                            deadline.units
                            and self.start < moment + _DAY
                            and moment - reach < self.end
                        ):
                            self.owed.append(item)
                        with self._item("deadline", deadline.id, "remind"):
                            reminders.extend(self._reminders(deadline, occ, due, stated))
            self.anchors[deadline.id] = found
        return dues, reminders

    def _reminding(self, deadline: Deadline) -> tuple[str, ...]:
        """The items that remind units of ``deadline``: its own reminders and the messages
        timed from it."""
        own = [f"{deadline.id}.remind-{days}d" for days in deadline.remind]
        return (*own, *(m.id for m in self.campaign.messages if m.deadline == deadline.id))

    def _reminders(
        self, deadline: Deadline, occurrence: str, due: Moment, stated: dt.date | None
    ) -> Iterator[MessageOccurrence]:
        """Reminders count to the last day. Unless the deadline keeps its days, a reminder on a
        day off comes the working day before, and one that lands where an earlier reminder
        already is, is dropped (decided before the window, so every window agrees)."""
        due_day = _day(due)
        view = _deadline_view(deadline, due, stated)
        targets = self._targets(deadline.channels, deadline)
        source = deadline.text or t("reminder_default_before" if stated else "reminder_default")
        taken: set[dt.date] = set()
        for days in deadline.remind:
            day: dt.date = due_day - dt.timedelta(days=days)
            moved = None
            if deadline.if_day_off != "keep":
                settled, moved = self._settle(day, "before")
                day = _day(settled)
            if day in taken:
                continue
            taken.add(day)
            when = self._as_instant(day, deadline.remind_time)
            if not self._in_window(when):
                continue
            item = f"{deadline.id}.remind-{days}d"
            text, error = self._render(
                source,
                self._context(occurrence, when, deadline=view, days_left=(due_day - day).days),
            )
            yield MessageOccurrence(
                key=f"{self.campaign.id}:{item}:{occurrence}",
                campaign=self.campaign.id,
                item=item,
                occurrence=occurrence,
                due=when,
                text=text,
                targets=targets,
                error=error,
                moved_from=moved,
                approval=self.campaign.approval,
            )


def first_stated(*stated: bool | None) -> bool | None:
    """The nearest ``approval`` a file states (an item's, then its campaign's)."""
    return next((s for s in stated if s is not None), None)


def expand(
    campaign: Campaign,
    start: dt.datetime,
    end: dt.datetime,
    catalog: ChannelCatalog | None = None,
    limits: Limits = LIMITS,
) -> Expansion:
    """Everything of ``campaign`` in ``[start, end)``; both bounds must be timezone-aware.

    Raises ``ExpansionRefused`` (naming the item and key) for an item that cannot be expanded.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("expand() needs timezone-aware bounds")
    expander = _Expander(campaign, start, end, catalog or ChannelCatalog(), limits)
    activities = list(expander.activities())
    deadlines, reminders = expander.deadlines()
    messages = list(expander.messages())
    messages.extend(reminders)
    messages.sort(key=lambda m: (m.due, m.key))
    activities.sort(key=lambda a: (instant(a.start, expander.tz), a.key))
    deadlines.sort(key=lambda d: (instant(d.due, expander.tz), d.key))
    return Expansion(activities, deadlines, messages, expander.owed)


def expand_all(
    campaigns: list[Campaign],
    start: dt.datetime,
    end: dt.datetime,
    catalog: ChannelCatalog | None = None,
) -> Expansion:
    out = Expansion()
    for campaign in campaigns:
        out.extend(expand(campaign, start, end, catalog))
    return out


def _deadline_view(
    deadline: Deadline, due: Moment, stated: dt.date | None = None
) -> templates.DeadlineView:
    day = _day(due)
    return templates.DeadlineView(
        deadline.id, deadline.title, format_date(day), day, deadline.lead,
        ", ".join(deadline.partners), format_short(stated) if stated else "", stated,
    )  # fmt: skip


def _week_end(spec: Spec, start: Moment) -> Moment | None:
    """A week written as a start ("tuần thứ 3 của tháng 9") runs to its Sunday."""
    if isinstance(spec, NthWeekday) and spec.week and not isinstance(start, dt.datetime):
        return start + dt.timedelta(days=6)
    return None


def _day(moment: Moment) -> dt.date:
    return moment.date() if isinstance(moment, dt.datetime) else moment


def _fixed_years(campaign: Campaign) -> list[int]:
    """Years of absolute ends of recurring activities: an occurrence may run until then."""
    return [
        activity.end.value.year
        for activity in campaign.activities
        if isinstance(activity.end, Fixed) and not isinstance(activity.start, Fixed)
    ]


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _repeat_days(
    spec: Repeat, first: dt.date, last: dt.date, low: dt.date, high: dt.date
) -> Iterator[dt.date]:
    """The days of a repeat in ``[first, last]`` that lie in ``[low, high]``: an activity may
    last for centuries, the window is a few hundred days."""
    weekdays = spec.weekdays or (first.weekday(),)
    monthday = spec.monthday or first.day
    day = max(first, low)
    while day <= min(last, high):
        if (
            spec.every == "day"
            or (spec.every == "week" and day.weekday() in weekdays)
            or (spec.every == "month" and day.day == monthday)
        ):
            yield day
        day += dt.timedelta(days=1)


def _in_dependency_order(activities: tuple[Activity, ...]) -> list[Activity]:
    """Anchors before the activities timed from them (the loader has refused cycles)."""
    by_id = {a.id: a for a in activities}
    done: dict[str, Activity] = {}

    def visit(activity: Activity, trail: frozenset[str]) -> None:
        if activity.id in done or activity.id in trail:
            return
        for spec in (activity.start, activity.end):
            if isinstance(spec, Relative) and spec.ref in by_id:
                visit(by_id[spec.ref], trail | {activity.id})
        done[activity.id] = activity

    for activity in activities:
        visit(activity, frozenset())
    return list(done.values())
