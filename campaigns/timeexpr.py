"""Time expressions of campaign files, as pure values.

A value in ``start``, ``end``, ``at`` or ``due`` is parsed once into one of the frozen specs
below; the specs know nothing of files or storage. Turning a spec into moments is the job of
``campaigns.expand``, which owns the anchors that relative specs point at.

A *moment* is a ``datetime.date`` (an all-day moment) or a timezone-aware ``datetime``.

Accepted forms (documented with examples in docs/campaign-files.md):

=====================================  =========================================================
``2025-06-05`` (TOML date or string)   that day, all day
``2025-06-05T08:00:00+07:00``          that instant (a local time without offset is read in the
                                       campaign's time zone)
``15/12/2026 [08:00]``                 that day as documents write it, day first; also
                                       ``15-12-2026``, ``15.12.2026``, ``ngày 15 tháng 12 năm 2026``
                                       (read by ``campaigns.dates.read_date``)
``yearly 06-05 [08:00]``               5 June each year; also ``hằng năm 05/06 [08:00]``,
                                       ``05/06``, ``ngày 5 tháng 6``
``thứ bảy cuối cùng của tháng 3 20:30``  the nth or last weekday of a month each year; also
                                       ``last saturday of march 20:30``, ``chủ nhật thứ 3 của
                                       tháng 9``; ``tuần thứ 3 của tháng 9`` (``third week of
                                       september``) is the week from the 3rd Monday
``lunar 03-10 [08:00] [leap]``         10th day of the 3rd lunar month each year; also
                                       ``âm lịch 10/03 [08:00] [nhuận]``; with ``/2026`` one day
``ref[.start|.end] [±Nw±Nd±Nh±Nm] [HH:MM]``  relative to an activity (or, in a message's ``at``,
                                       a deadline's due day): ``le-phat-dong -7d 08:00``
``ref +3 ngày làm việc [HH:MM]``        counted in working days (``+3wd``, ``-2 working days``,
                                       ``ngày làm việc tiếp theo``, ``ngày làm việc trước``)
``{ every = "week", on = "mon", time = "08:00", during = "activity" }``  repeats in a period
                                       (``working_days = true``: on working days only)
``{ rrule = "FREQ=MONTHLY;BYMONTHDAY=15", start = 2025-01-15, until = 2025-12-31 }``
a list of any of the above                several moments
=====================================  =========================================================
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from dateutil import rrule as du_rrule

from campaigns.dates import WrittenDate, read_date
from campaigns.errors import ExpressionError
from campaigns.i18n import t
from campaigns.lunar import to_solar

Moment: TypeAlias = dt.date  # a date, or an aware datetime (a subclass of date)


def instant(moment: Moment, tz: dt.tzinfo, after: bool = False) -> dt.datetime:
    """A moment as an aware instant: a date is its local midnight, or with ``after`` the
    midnight that ends it (iCalendar's exclusive end of an all-day event)."""
    if isinstance(moment, dt.datetime):
        return moment
    day = moment + dt.timedelta(days=1) if after else moment
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MAX_OFFSET = dt.timedelta(days=366)
# the years a file's dates may name: every moment they give, a year of offsets away and in any
# time zone, stays well inside what datetime, the store and the calendar feeds can hold
FIRST_YEAR, LAST_YEAR = 1900, 2100


@dataclass(frozen=True)
class Fixed:
    """One absolute moment; a naive datetime is local to the campaign's time zone."""

    value: dt.date


@dataclass(frozen=True)
class Yearly:
    """A month and day of every year. 29 February occurs in leap years only."""

    month: int
    day: int
    time: dt.time | None = None


@dataclass(frozen=True)
class Lunar:
    """A Vietnamese lunar month and day of every lunar year (day 30 means the month's last day)."""

    month: int
    day: int
    time: dt.time | None = None
    leap: bool = False


@dataclass(frozen=True)
class NthWeekday:
    """The nth (or last) weekday of a month every year: Earth Hour is the last Saturday of
    March at 20:30. With ``week``, the Monday-to-Sunday week that starts on the month's nth (or
    last) Monday: as a start, its Monday; as an end, its Sunday; alone, the whole week."""

    month: int
    weekday: int  # Monday is 0
    n: int  # 1 to 5, or -1 for the last
    time: dt.time | None = None
    week: bool = False

    def day(self, year: int, end: bool = False) -> dt.date | None:
        """That day of ``year``; None when the month has no fifth such weekday."""
        first = dt.date(year, self.month, 1)
        if self.n > 0:
            day = first + dt.timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.n - 1))
        else:
            following = dt.date(year + self.month // 12, self.month % 12 + 1, 1)
            last = following - dt.timedelta(days=1)
            day = last - dt.timedelta(days=(last.weekday() - self.weekday) % 7)
        if day.month != self.month:
            return None
        return day + dt.timedelta(days=6) if self.week and end else day


@dataclass(frozen=True)
class Relative:
    """A moment counted from an activity's start or end."""

    ref: str
    edge: Literal["start", "end"] = "start"
    offset: dt.timedelta = dt.timedelta(0)
    time: dt.time | None = None
    workdays: int = 0  # counted in the office's working days instead of ``offset``


@dataclass(frozen=True)
class Repeat:
    """Every day, week or month within the period of an activity."""

    every: Literal["day", "week", "month"]
    during: str
    time: dt.time | None = None
    weekdays: tuple[int, ...] = ()  # Monday is 0; empty: the activity's first weekday
    monthday: int | None = None  # empty: the activity's first day of month
    working_days: bool = False  # only the office's working days


@dataclass(frozen=True)
class Rule:
    """An RFC 5545 RRULE, within an activity's period or from a start date."""

    rule: str
    time: dt.time | None = None
    during: str | None = None
    start: dt.date | None = None
    until: dt.date | None = None
    working_days: bool = False  # only the office's working days


Spec: TypeAlias = Fixed | Yearly | Lunar | NthWeekday | Relative | Repeat | Rule


@dataclass(frozen=True)
class When:
    """What a key such as ``at`` holds: one or several specs."""

    specs: tuple[Spec, ...] = field(default_factory=tuple)

    def refs(self) -> set[str]:
        """Activity ids this value depends on."""
        out: set[str] = set()
        for spec in self.specs:
            if isinstance(spec, Relative):
                out.add(spec.ref)
            elif isinstance(spec, (Repeat, Rule)) and spec.during:
                out.add(spec.during)
        return out


WEEKDAY_NAMES = {
    "mon": 0, "monday": 0, "t2": 0, "thu2": 0, "thứ hai": 0,
    "tue": 1, "tuesday": 1, "t3": 1, "thứ ba": 1,
    "wed": 2, "wednesday": 2, "t4": 2, "thứ tư": 2,
    "thu": 3, "thursday": 3, "t5": 3, "thứ năm": 3,
    "fri": 4, "friday": 4, "t6": 4, "thứ sáu": 4,
    "sat": 5, "saturday": 5, "t7": 5, "thứ bảy": 5,
    "sun": 6, "sunday": 6, "cn": 6, "chủ nhật": 6,
}  # fmt: skip

_YEARLY_WORDS = ("yearly", "hằng năm", "hàng năm", "mỗi năm")
_ORDINALS = {
    "đầu tiên": 1, "thứ nhất": 1, "thứ 1": 1, "thứ 2": 2, "thứ 3": 3, "thứ 4": 4, "thứ 5": 5,
    "cuối cùng": -1, "cuối": -1,
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "last": -1,
}  # fmt: skip
_MONTHS_EN = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_LUNAR_WORDS = ("lunar", "âm lịch")
_LEAP_WORDS = ("leap", "nhuận")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_OFFSET_TERM = re.compile(r"([+-]?)(\d+)([wdhms])")
_OFFSET = re.compile(r"^[+-]\d+[wdhms](?:[+-]?\d+[wdhms])*$")
_REF = re.compile(r"^([a-z0-9][a-z0-9_-]*)(?:\.(start|end))?$")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_WORKDAYS_STEP = {
    "ngày làm việc tiếp theo": 1, "next working day": 1,
    "ngày làm việc trước": -1, "previous working day": -1,
}  # fmt: skip
_WORKDAYS = re.compile(r"^([+-])\s*(\d{1,3})\s*(?:ngày làm việc|working days?|wd)$")
_WORKDAYS_WORDS = ("làm việc", "working", "wd")
MAX_WORKDAYS = 260  # about a year of working days, like MAX_OFFSET


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).strip().lower().split())


def parse_time(text: str) -> dt.time:
    match = _TIME.match(text.strip())
    if not match:
        raise ExpressionError(t("bad_time", value=text), t("bad_time_hint"))
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ExpressionError(t("bad_time", value=text), t("bad_time_hint"))
    return dt.time(hour, minute, second)


def parse_offset(text: str) -> dt.timedelta:
    """``-7d``, ``+1w2d``, ``-2h30m``: a signed sum of weeks, days, hours and minutes."""
    compact = text.replace(" ", "")
    if not _OFFSET.match(compact):
        raise ExpressionError(t("bad_offset", value=text), t("bad_offset_hint"))
    total = dt.timedelta(0)
    current = "+"
    for sign, number, unit in _OFFSET_TERM.findall(compact):
        current = sign or current  # "-1d12h" is minus one day and twelve hours
        if len(number) > 9:  # far beyond any allowed offset; also keeps timedelta from overflowing
            raise ExpressionError(t("offset_too_large"), t("bad_offset_hint"))
        amount = dt.timedelta(**{_UNITS[unit]: int(number)})
        total += amount if current == "+" else -amount
    if abs(total) > MAX_OFFSET:
        raise ExpressionError(t("offset_too_large"), t("bad_offset_hint"))
    return total


def parse_duration(text: str) -> dt.timedelta:
    """A positive duration such as ``1h``, ``30m`` or ``2d`` (grace periods, reminders)."""
    try:
        value = parse_offset(text if text.strip()[:1] in "+-" else "+" + text.strip())
    except ExpressionError:
        raise ExpressionError(t("bad_duration", value=text), t("bad_duration_hint")) from None
    if value <= dt.timedelta(0):
        raise ExpressionError(t("bad_duration", value=text), t("bad_duration_hint"))
    return value


def _strip_word(text: str, words: Sequence[str]) -> tuple[str, str] | None:
    """The word found at the start or end of ``text``, and the rest."""
    for word in words:
        if text.startswith(word + " "):
            return word, text[len(word) + 1 :].strip()
        if text.endswith(" " + word):
            return word, text[: -len(word) - 1].strip()
    return None


def _split_time(text: str) -> tuple[str, str | None]:
    """``15/12/2026 08:00``, ``15/12/2026 lúc 08:00``, ``08:00 ngày 15/12/2026``: the date part
    and the time as written (checked later, once the rest is known to be a date)."""
    parts = text.split()
    time = None
    if len(parts) > 1 and _TIME.match(parts[-1]):
        time = parts.pop()
    elif len(parts) > 1 and _TIME.match(parts[0]):
        time = parts.pop(0)
    elif len(parts) > 2 and parts[0] == "lúc" and _TIME.match(parts[1]):
        time = parts[1]
        parts = parts[2:]
    if time is not None and parts and parts[-1] == "lúc":
        parts.pop()
    return " ".join(parts), time


def _parse_written(norm: str, original: str) -> Spec | None:
    """A date as written in documents, once or every year (solar or lunar); None when the
    text is not one, so it may be a reference to an activity."""
    found = _strip_word(norm, _YEARLY_WORDS)
    kind = "yearly" if found else None
    leap = False
    if found is None and (found := _strip_word(norm, _LUNAR_WORDS)):
        kind = "lunar"
        if without_leap := _strip_word(found[1], _LEAP_WORDS):
            leap, found = True, (found[0], without_leap[1])
    word, rest = found or ("", norm)
    date_text, time_text = _split_time(rest)
    written = read_date(
        date_text, dash_month_first=word in ("yearly", "lunar"), lunar=kind == "lunar"
    )
    if written is None:
        if kind is not None:
            raise ExpressionError(t("bad_when", value=original), t("bad_when_hint"))
        return None
    time = parse_time(time_text) if time_text is not None else None
    if kind == "lunar":
        return _lunar(written, time, leap)
    if written.year is None:
        return Yearly(written.month, written.day, time)
    if kind == "yearly":
        raise ExpressionError(t("yearly_with_year", value=original), t("yearly_with_year_hint"))
    return _one_day(dt.date(written.year, written.month, written.day), time)


def _one_day(day: dt.date, time: dt.time | None) -> Fixed:
    """A day, or a local time on it (read in the campaign's time zone)."""
    return _fixed(dt.datetime.combine(day, time) if time is not None else day)


def _fixed(value: dt.date) -> Fixed:
    """Refused where it is written when loa could not keep it: 0001-01-01 at UTC+7 is in the
    year 0 in UTC, and the store, the feeds and the expansion around it all fail there."""
    check_year(value.year)
    return Fixed(value)


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ExpressionError(
            t("year_not_accepted", year=year, first=FIRST_YEAR, last=LAST_YEAR),
            t("year_not_accepted_hint", first=FIRST_YEAR, last=LAST_YEAR),
        )


def _lunar(written: WrittenDate, time: dt.time | None, leap: bool) -> Spec:
    if written.year is None:
        return Lunar(written.month, written.day, time, leap)
    check_year(written.year)
    day = to_solar(written.year, written.month, written.day, leap)
    if day is None:
        value = f"{written.day:02d}/{written.month:02d}/{written.year:04d}" + (
            " nhuận" if leap else ""
        )
        raise ExpressionError(t("lunar_not_found", value=value), t("lunar_not_found_hint"))
    return _one_day(day, time)


def _parse_iso(text: str) -> dt.date | None:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        if len(text) > 10 and text[10] in "T ":
            return dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return None


_ISO_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _alternation(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NTH_VI = re.compile(
    rf"^(?:(tuần)|({_alternation(list(WEEKDAY_NAMES))})) ({_alternation(list(_ORDINALS))})"
    r"(?: của)? tháng (\d{1,2})$"
)
_NTH_EN = re.compile(
    rf"^(?:the )?({_alternation(list(_ORDINALS))}) (?:(week)|({_alternation(list(WEEKDAY_NAMES))}))"
    rf" (?:of|in) ({_alternation(_MONTHS_EN)}|\d{{1,2}})$"
)


def _parse_nth(norm: str) -> NthWeekday | None:
    """``thứ bảy cuối cùng của tháng 3 20:30``, ``chủ nhật thứ 3 của tháng 9``, ``tuần thứ 3
    của tháng 9``, ``last saturday of march 20:30``, ``third week of september``."""
    found = _strip_word(norm, _YEARLY_WORDS)
    rest, time_text = _split_time(found[1] if found else norm)
    if match := _NTH_VI.match(rest):
        week, weekday, ordinal, month_text = match[1], match[2], match[3], match[4]
    elif match := _NTH_EN.match(rest):
        ordinal, week, weekday, month_text = match[1], match[2], match[3], match[4]
    else:
        return None
    month = int(month_text) if month_text.isdigit() else _MONTHS_EN.index(month_text) + 1
    if not 1 <= month <= 12:
        raise ExpressionError(t("bad_when", value=norm), t("bad_when_hint"))
    time = parse_time(time_text) if time_text is not None else None
    if week:
        return NthWeekday(month, 0, _ORDINALS[ordinal], time, week=True)
    return NthWeekday(month, WEEKDAY_NAMES[weekday], _ORDINALS[ordinal], time)


def parse_string(text: str) -> Spec:
    """One time expression written as a string."""
    norm = _normalise(text)
    if not norm:
        raise ExpressionError(t("bad_when", value=text), t("bad_when_hint"))
    if nth := _parse_nth(norm):
        return nth
    if _ISO_SHAPE.match(norm):
        value = _parse_iso(text.strip())
        if value is None:
            match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", norm)
            assert match is not None
            try:
                dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise ExpressionError(
                    t("impossible_date", day=int(match[3]), month=int(match[2])),
                    t("impossible_date_hint"),
                ) from None
            raise ExpressionError(t("bad_when", value=text), t("bad_when_hint"))
        return _fixed(value)
    written = _parse_written(norm, text)
    if written is not None:
        return written
    return _parse_relative(norm, text)


def _parse_relative(norm: str, original: str) -> Relative:
    parts = norm.split(" ", 1)
    ref = _REF.match(parts[0])
    if not ref:
        raise ExpressionError(t("bad_when", value=original), t("bad_when_hint"))
    rest = parts[1].strip() if len(parts) > 1 else ""
    time = None
    tail = rest.rsplit(" ", 1)[-1] if rest else ""
    if tail and _TIME.match(tail):
        time = parse_time(tail)
        rest = rest[: -len(tail)].strip()
    edge: Literal["start", "end"] = "end" if ref[2] == "end" else "start"
    workdays = parse_workdays(rest)
    if workdays:
        return Relative(ref[1], edge, dt.timedelta(0), time, workdays)
    offset = parse_offset(rest) if rest else dt.timedelta(0)
    return Relative(ref[1], edge, offset, time)


def parse_workdays(text: str) -> int:
    """``+3 ngày làm việc``, ``-2wd``, ``ngày làm việc tiếp theo`` (+1), ``ngày làm việc
    trước`` (-1); 0 when the text speaks of no working days."""
    if text in _WORKDAYS_STEP:
        return _WORKDAYS_STEP[text]
    match = _WORKDAYS.match(text)
    if match is None:
        if any(word in text for word in _WORKDAYS_WORDS):
            raise ExpressionError(t("working_days_mixed", value=text), t("working_days_mixed_hint"))
        return 0
    count = int(match[2])
    if count > MAX_WORKDAYS:
        raise ExpressionError(t("offset_too_large"), t("working_days_mixed_hint"))
    return count if match[1] == "+" else -count


_TABLE_KEYS = {"every", "rrule", "time", "during", "on", "start", "until", "working_days"}


def _weekdays(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        key = _normalise(str(item))
        if key not in WEEKDAY_NAMES:
            raise ExpressionError(t("bad_weekday", value=item), t("bad_weekday_hint"))
        out.append(WEEKDAY_NAMES[key])
    return tuple(sorted(set(out)))


def _absolute_date(value: Any) -> dt.date:
    spec = parse_one(value)
    if not isinstance(spec, Fixed):
        raise ExpressionError(t("bad_when", value=value), t("bad_when_hint"))
    found = spec.value
    return found.date() if isinstance(found, dt.datetime) else found


def _parse_table(table: dict[str, Any]) -> Spec:
    unknown = set(table) - _TABLE_KEYS
    if unknown or ("every" in table) == ("rrule" in table):
        raise ExpressionError(t("table_when_keys"))
    time = parse_time(str(table["time"])) if "time" in table else None
    during = table.get("during")
    if during is not None and (not isinstance(during, str) or not ID_PATTERN.match(during)):
        raise ExpressionError(t("bad_id", value=during), t("bad_id_hint"))
    working_days = table.get("working_days", False)
    if not isinstance(working_days, bool):
        raise ExpressionError(t("table_when_keys"))
    if "every" in table:
        every = table["every"]
        if every not in ("day", "week", "month"):
            raise ExpressionError(t("bad_every"))
        if during is None:
            raise ExpressionError(t("repeat_needs_during"))
        weekdays: tuple[int, ...] = ()
        monthday = None
        if "on" in table:
            if every == "month":
                monthday = table["on"]
                if type(monthday) is not int or not 1 <= monthday <= 31:
                    raise ExpressionError(t("bad_monthday"))
            else:
                weekdays = _weekdays(table["on"])
        return Repeat(every, during, time, weekdays, monthday, working_days)
    rule = str(table["rrule"]).strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[6:]
    start = _absolute_date(table["start"]) if "start" in table else None
    until = _absolute_date(table["until"]) if "until" in table else None
    if during is None and start is None:
        raise ExpressionError(t("rrule_needs_start"))
    interval = re.search(r"INTERVAL=([^;\s]*)", rule, re.I)
    if interval and not (
        re.fullmatch(r"[0-9]{1,4}", interval[1]) and 1 <= int(interval[1]) <= 1000
    ):
        raise ExpressionError(t("bad_rrule", reason=f"INTERVAL={interval[1]}"), t("bad_rrule_hint"))
    if re.search(r"DTSTART", rule, re.I):  # the start comes from 'start' or 'during'
        raise ExpressionError(t("bad_rrule", reason="DTSTART"), t("rrule_needs_start"))
    try:
        du_rrule.rrulestr(rule, dtstart=dt.datetime(2000, 1, 1), forceset=True)
    except (ValueError, TypeError, OverflowError, IndexError, KeyError, AttributeError) as exc:
        raise ExpressionError(t("bad_rrule", reason=exc), t("bad_rrule_hint")) from None
    return Rule(rule, time, during, start, until, working_days)


def parse_one(value: Any) -> Spec:
    if isinstance(value, dt.datetime | dt.date):
        return _fixed(value)
    if isinstance(value, str):
        return parse_string(value)
    if isinstance(value, dict):
        return _parse_table(value)
    raise ExpressionError(t("bad_when", value=value), t("bad_when_hint"))


_BEFORE = re.compile(r"^\s*(?:trước|before)\s+", re.IGNORECASE)


def split_before(value: Any) -> tuple[bool, Any]:
    """A deadline's ``due = "trước ngày 10/12 hằng năm"`` (``"before yearly 12-10"``): True and
    the date without the word. A list is before when each of its strings says so."""
    items = value if isinstance(value, list) else [value]
    said = [
        isinstance(item, str) and _BEFORE.match(unicodedata.normalize("NFC", item))
        for item in items
    ]
    if not any(said):
        return False, value
    if not all(said):
        raise ExpressionError(t("bad_when", value=value), t("before_mixed_hint"))
    rest = [_BEFORE.sub("", unicodedata.normalize("NFC", item), count=1) for item in items]
    return True, rest if isinstance(value, list) else rest[0]


def parse_value(value: Any) -> When:
    """Parse what a file holds under ``start``, ``end``, ``at`` or ``due``."""
    if isinstance(value, list):
        if not value:
            raise ExpressionError(t("bad_when", value="[]"), t("bad_when_hint"))
        return When(tuple(parse_one(item) for item in value))
    return When((parse_one(value),))
