"""Dates the way people read them: Vietnamese first ("Thứ Năm, 05/06/2025"), English on request."""

from __future__ import annotations

import datetime as dt

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
