"""Vietnamese lunar dates (âm lịch), computed for UTC+7.

The conversion is the `lunar-vn` package (Hồ Ngọc Đức's algorithm for the Vietnamese
calendar); this module only adds what a campaign file needs: a lunar day 30 in a month that
has 29 days means that month's last day (so "30 Tết", giao thừa, is always New Year's Eve).
"""

from __future__ import annotations

import datetime as dt

from lunar_vn import LunarDate, lunar_to_solar, solar_to_lunar

FIRST_YEAR, LAST_YEAR = 1900, 2099


def to_solar(year: int, month: int, day: int, leap: bool = False) -> dt.date | None:
    """The solar date of a lunar date, or None when that lunar date does not occur that year.

    A leap month exists only in some years; asking for one elsewhere gives None.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    try:
        solar = lunar_to_solar(LunarDate(day, month, year, leap))
    except ValueError:
        return None
    back = solar_to_lunar(solar)
    if (back.month, back.leap) == (month, leap):
        return solar
    if day == 30:
        # the library ran past the month: if the month itself exists (the same leap flag),
        # it has 29 days and day 29 is its last; a leap month the year lacks gives None
        return to_solar(year, month, 29, leap)
    return None
