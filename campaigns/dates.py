"""Dates the way people read and write them: Vietnamese first ("Thứ Năm, 05/06/2025"), English
on request; and dates as Vietnamese documents write them (15/12/2026, ngày 15 tháng 12), read
back for campaign files."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from campaigns.errors import ExpressionError
from campaigns.i18n import language, t

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
WEEKDAYS_VI_SHORT = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_date(value: dt.date, lang: str = "vi") -> str:
    """Weekday and date: ``Thứ Năm, 05/06/2025`` or ``Thursday, 5 June 2025``."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if lang == "en":
        return (
            f"{WEEKDAYS_EN[value.weekday()]}, {value.day} {MONTHS_EN[value.month - 1]} {value.year}"
        )
    return f"{WEEKDAYS_VI[value.weekday()]}, {value.day:02d}/{value.month:02d}/{value.year}"


def format_short(value: dt.date) -> str:
    """Day and month only, as plans write them: ``05/6``."""
    return f"{value.day:02d}/{value.month}"


def format_datetime(value: dt.date, lang: str = "vi") -> str:
    """A date, with the local time when there is one: ``08:00, Thứ Năm, 05/06/2025``."""
    if isinstance(value, dt.datetime):
        return f"{value:%H:%M}, {format_date(value, lang)}"
    return format_date(value, lang)


def format_compact(value: dt.date, lang: str = "vi") -> str:
    """For narrow tables: ``T5 05/06/2025 08:00`` (``Thu 05/06/2025 08:00`` in English)."""
    day = value.date() if isinstance(value, dt.datetime) else value
    weekday = WEEKDAYS_EN[day.weekday()][:3] if lang == "en" else WEEKDAYS_VI_SHORT[day.weekday()]
    text = f"{weekday} {day:%d/%m/%Y}"
    return f"{text} {value:%H:%M}" if isinstance(value, dt.datetime) else text


# -- reading dates as officers write them ------------------------------------------------------


@dataclass(frozen=True)
class WrittenDate:
    """A day and month as written, with a year (one day) or without one (every year)."""

    day: int
    month: int
    year: int | None = None


_DAY_WORDS = ("ngày", "mùng", "mồng")
_NUMERIC = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})(?:\2(\d+))?$")  # 15/12, 15-12-2026, 15.12.2026
_IN_WORDS = re.compile(r"^(\d{1,2}) tháng (\d{1,2})(?: năm (\d+))?$")  # 15 tháng 12 [năm 2026]


def read_date(text: str, dash_month_first: bool = False, lunar: bool = False) -> WrittenDate | None:
    """A date written the Vietnamese way (day before month), or None when ``text`` is not
    shaped like one (so the caller may read it as something else, such as an activity id).

    ``15/12``, ``15.12``, ``ngày 15 tháng 12`` are 15 December; with ``/2026``, ``.2026`` or
    ``năm 2026`` one day. ``15-12-2026`` is day-month-year as well. A dash without a year is
    the documented ``yearly MM-DD`` when ``dash_month_first`` (after ``yearly``/``lunar``);
    elsewhere it may be read either way, so it must be a date one way only. An impossible or
    ambiguous date raises ``ExpressionError`` naming the form to write.
    """
    words = text.split()
    if words and words[0] in _DAY_WORDS:
        words = words[1:]
    compact = " ".join(words)
    numeric = _NUMERIC.match(compact)
    if numeric:
        first, sep, second, year_text = int(numeric[1]), numeric[2], int(numeric[3]), numeric[4]
    elif in_words := _IN_WORDS.match(compact):
        first, sep, second, year_text = int(in_words[1]), "/", int(in_words[2]), in_words[3]
    else:
        return None
    year = _year(year_text, compact)
    if sep == "-" and year is None:
        return _dash_day_month(first, second, compact, dash_month_first, lunar)
    found = WrittenDate(first, second, year)
    if not _exists(found, lunar):
        swapped = WrittenDate(second, first, year)
        hint = (
            t("date_swapped_hint", suggestion=_written(swapped))
            if _exists(swapped, lunar)
            else t("impossible_lunar_hint" if lunar else "impossible_date_hint")
        )
        raise ExpressionError(_impossible(found, lunar), hint)
    return found


_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def read_day(text: str) -> dt.date:
    """One day with its year, typed where loa asks for one (``loa plan --from``): the forms
    ``read_date`` reads in campaign files (``15/12/2026``, ``15-12-2026``, ``ngày 15 tháng 12
    năm 2026``) or ISO ``2026-12-15``, so a user writes a date one way everywhere. A day
    without its year, an impossible one or anything else raises ``ExpressionError`` naming
    the forms to write.
    """
    written_as = " ".join(unicodedata.normalize("NFC", text).lower().split())
    iso = _ISO_DAY.match(written_as)
    found = WrittenDate(int(iso[3]), int(iso[2]), int(iso[1])) if iso else read_date(written_as)
    if found is None:
        raise ExpressionError(t("bad_day", value=text), t("day_forms_hint"))
    if found.year is None:
        raise ExpressionError(t("day_without_year", value=text), t("day_forms_hint"))
    if not _exists(found, lunar=False):  # read_date has said so already for its own forms
        raise ExpressionError(_impossible(found, lunar=False), t("impossible_date_hint"))
    return dt.date(found.year, found.month, found.day)


_MOMENT = re.compile(r"^(?:(?P<day>.+?)[ t,]+)?(?P<time>\d{1,2}:\d{2})$")


def read_moment(text: str, tz: dt.tzinfo, today: dt.date) -> dt.datetime:
    """A day and a time typed where loa asks when something happened (``loa trigger --at``):
    ``15/12/2026 07:00``, ``2026-12-15 07:00``, ISO ``2026-12-15T07:00+07:00``, or ``07:00``
    alone (``today``); the day is read as ``read_day`` reads it, the time in ``tz`` unless
    written with its offset. ExpressionError names the forms otherwise."""
    written = " ".join(unicodedata.normalize("NFC", text).split())
    with contextlib.suppress(ValueError):
        found = dt.datetime.fromisoformat(written)
        return found if found.tzinfo is not None else found.replace(tzinfo=tz)
    match = _MOMENT.match(written.lower())
    if match is None:
        raise ExpressionError(t("bad_moment", value=text), t("moment_forms_hint"))
    hour, minute = (int(part) for part in match["time"].split(":"))
    if hour > 23 or minute > 59:
        raise ExpressionError(t("bad_moment", value=text), t("moment_forms_hint"))
    day = read_day(match["day"]) if match["day"] else today
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def _year(text: str | None, written: str) -> int | None:
    if text is None:
        return None
    if len(text) != 4:
        raise ExpressionError(t("year_digits", value=written), t("year_digits_hint"))
    return int(text)


def _dash_day_month(
    first: int, second: int, written: str, month_first: bool, lunar: bool
) -> WrittenDate:
    as_month_day = WrittenDate(second, first)
    as_day_month = WrittenDate(first, second)
    readings = [as_month_day] if month_first else [as_month_day, as_day_month]
    valid = list(dict.fromkeys(d for d in readings if _exists(d, lunar)))
    if len(valid) == 1:
        return valid[0]
    if len(valid) > 1:
        a, b = valid[1], valid[0]  # the day-month reading first: it is the Vietnamese one
        raise ExpressionError(
            t("ambiguous_date", value=written, first=_spoken(a), second=_spoken(b)),
            t(
                "ambiguous_date_hint",
                first=_written(a),
                first_spoken=_spoken(a),
                second=_written(b),
                second_spoken=_spoken(b),
            ),
        )
    if _exists(as_day_month, lunar):  # "yearly 15-12": month first, as documented
        raise ExpressionError(
            t("month_first_date", value=written),
            t(
                "month_first_date_hint",
                day_month=_written(as_day_month),
                month_day=f"{second:02d}-{first:02d}",
            ),
        )
    raise ExpressionError(
        _impossible(as_month_day, lunar),
        t("impossible_lunar_hint" if lunar else "impossible_date_hint"),
    )


def _exists(date: WrittenDate, lunar: bool) -> bool:
    if lunar:
        return 1 <= date.month <= 12 and 1 <= date.day <= 30
    try:
        dt.date(2024 if date.year is None else date.year, date.month, date.day)
    except ValueError:  # 2024 is a leap year, so 29 February passes when there is no year
        return False
    return True


def _impossible(date: WrittenDate, lunar: bool) -> str:
    if date.year is not None:
        return t("impossible_day", value=_written(date))
    if lunar:
        return t("impossible_lunar", day=date.day, month=date.month)
    return t("impossible_date", day=date.day, month=date.month)


def _written(date: WrittenDate) -> str:
    text = f"{date.day:02d}/{date.month:02d}"
    return f"{text}/{date.year:04d}" if date.year is not None else text


def _spoken(date: WrittenDate) -> str:
    """``ngày 5 tháng 6`` or ``5 June``, for telling two readings apart."""
    if language() == "en":
        return f"{date.day} {MONTHS_EN[date.month - 1]}"
    return f"ngày {date.day} tháng {date.month}"
