"""Lunar dates: a leap-month date exists only in a year that has that leap month.

The oracle is the lunar calendar read day by day (``lunar_vn.solar_to_lunar``), not the
conversion under test, so a date that ``to_solar`` invents is caught.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lunar_vn import solar_to_lunar

from campaigns.lunar import FIRST_YEAR, LAST_YEAR, to_solar


@cache
def month_lengths(year: int) -> dict[tuple[int, bool], int]:
    """(month, leap) -> number of days, for every month of lunar ``year``."""
    lengths: dict[tuple[int, bool], int] = {}
    day = dt.date(year, 1, 1)
    while day < dt.date(year + 1, 3, 1):
        lunar = solar_to_lunar(day)
        if lunar.year == year:
            key = (lunar.month, lunar.leap)
            lengths[key] = lengths.get(key, 0) + 1
        day += dt.timedelta(days=1)
    return lengths


@pytest.mark.parametrize("year", [2026, 2030, 2033, 2035])
def test_leap_month_4_day_30_is_none_without_a_leap_month_4(year: int) -> None:
    """`âm lịch 30/04 nhuận` gave 14/06/2026, 30/05/2030 and 05/06/2035."""
    assert (4, True) not in month_lengths(year)
    assert to_solar(year, 4, 30, leap=True) is None


def test_leap_month_day_30_in_a_29_day_leap_month_is_its_last_day() -> None:
    assert month_lengths(2020)[(4, True)] == 29
    assert to_solar(2020, 4, 30, leap=True) == to_solar(2020, 4, 29, leap=True)


@given(
    year=st.integers(FIRST_YEAR + 1, LAST_YEAR - 1),
    month=st.integers(1, 12),
    day=st.sampled_from([1, 15, 29, 30]),
    leap=st.booleans(),
)
def test_a_lunar_date_exists_only_where_its_month_does(
    year: int, month: int, day: int, leap: bool
) -> None:
    """1900–2099: a leap-month date only in a year with that leap month; day 30 of a 29-day
    month is its day 29."""
    length = month_lengths(year).get((month, leap))
    found = to_solar(year, month, day, leap)
    if length is None:
        assert found is None
        return
    assert found is not None
    lunar = solar_to_lunar(found)
    assert (lunar.year, lunar.month, lunar.leap) == (year, month, leap)
    assert lunar.day == min(day, length)
