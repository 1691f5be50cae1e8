"""The nth weekday of a month and the nth week (issue 14, item 3): Earth Hour is the last
Saturday of March at 20:30; Clean Up the World runs in the third week of September."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.errors import ExpressionError
from campaigns.expand import expand
from campaigns.timeexpr import NthWeekday, parse_value
from scheduler.config import CalendarSettings, build_calendar
from tests.helpers import CATALOG, HEAD, VN, campaign, window

OFFICE = dataclasses.replace(CATALOG, calendar=build_calendar(CalendarSettings(), Path("."), print))


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("thứ bảy cuối cùng của tháng 3 20:30", NthWeekday(3, 5, -1, dt.time(20, 30))),
        ("last saturday of march 20:30", NthWeekday(3, 5, -1, dt.time(20, 30))),
        ("T7 cuối tháng 3", NthWeekday(3, 5, -1)),
        ("chủ nhật thứ 3 của tháng 9", NthWeekday(9, 6, 3)),
        ("hằng năm thứ hai đầu tiên của tháng 9 07:30", NthWeekday(9, 0, 1, dt.time(7, 30))),
        ("the 2nd sunday in may", NthWeekday(5, 6, 2)),
        ("tuần thứ 3 của tháng 9", NthWeekday(9, 0, 3, week=True)),
        ("third week of september", NthWeekday(9, 0, 3, week=True)),
    ],
)
def test_forms(text: str, spec: NthWeekday) -> None:
    assert parse_value(text).specs == (spec,)


@pytest.mark.parametrize("text", ["thứ bảy cuối cùng của tháng 13", "last saturday of 0"])
def test_a_month_that_does_not_exist_is_an_error(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_value(text)


@given(
    year=st.integers(1900, 2100),
    month=st.integers(1, 12),
    weekday=st.integers(0, 6),
    n=st.sampled_from([1, 2, 3, 4, 5, -1]),
)
def test_the_day_is_that_weekday_in_that_place_of_the_month(
    year: int, month: int, weekday: int, n: int
) -> None:
    day = NthWeekday(month, weekday, n).day(year)
    if day is None:
        assert n == 5
        return
    assert (day.year, day.month, day.weekday()) == (year, month, weekday)
    if n > 0:
        assert (day.day - 1) // 7 + 1 == n
    else:
        assert (day + dt.timedelta(days=7)).month != month


EARTH_HOUR = (
    '[[activity]]\nid = "gio-trai-dat"\ntitle = "Giờ Trái Đất"\n'
    'start = "thứ bảy cuối cùng của tháng 3 20:30"\nend = "gio-trai-dat +1h"\n'
    '[[activity]]\nid = "lam-sach"\ntitle = "Làm cho thế giới sạch hơn"\n'
    'start = "tuần thứ 3 của tháng 9"\n'
    '[[message]]\nid = "nhac"\nat = "gio-trai-dat -1d 08:00"\ntext = "Mai: {{ activity.title }}"\n'
)


def test_earth_hour_2027_stays_on_its_saturday_and_the_week_is_a_period() -> None:
    """A weekday chosen on purpose keeps it even with the office calendar."""
    found = expand(campaign(HEAD + EARTH_HOUR), *window("2027-01-01", "2027-12-31"), OFFICE)
    assert [(a.key, a.start, a.end, a.moved_from) for a in found.activities] == [
        (
            "c:gio-trai-dat:2027",
            dt.datetime(2027, 3, 27, 20, 30, tzinfo=VN),
            dt.datetime(2027, 3, 27, 21, 30, tzinfo=VN),
            None,
        ),
        ("c:lam-sach:2027", dt.date(2027, 9, 20), dt.date(2027, 9, 26), None),
    ]
    assert [m.due for m in found.messages] == [dt.datetime(2027, 3, 26, 8, tzinfo=VN)]


def test_a_week_can_end_a_period() -> None:
    text = (
        HEAD + '[[activity]]\nid = "tuan-bien-dao"\ntitle = "Tuần lễ Biển và Hải đảo"\n'
        'start = "hằng năm 01/06"\nend = "tuần đầu tiên của tháng 6"\n'
    )
    found = expand(campaign(text), *window("2027-01-01", "2027-12-31"))
    assert [(a.start, a.end) for a in found.activities] == [
        (dt.date(2027, 6, 1), dt.date(2027, 6, 13))
    ]
