import datetime as dt

import pytest

from campaigns.errors import ExpressionError
from campaigns.expand import expand
from campaigns.lunar import to_solar
from campaigns.timeexpr import Fixed, Lunar, Relative, Repeat, Rule, Yearly, parse_value
from tests.helpers import HEAD, VN, campaign, window


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("2025-06-05", Fixed(dt.date(2025, 6, 5))),
        (
            "2025-06-05T08:00:00+07:00",
            Fixed(dt.datetime(2025, 6, 5, 8, tzinfo=dt.timezone(dt.timedelta(hours=7)))),
        ),
        ("2025-06-05T08:00", Fixed(dt.datetime(2025, 6, 5, 8))),
        ("yearly 06-05", Yearly(6, 5)),
        ("hằng năm 05/06 08:00", Yearly(6, 5, dt.time(8))),
        ("Hàng năm 05/06", Yearly(6, 5)),
        ("lunar 03-10", Lunar(3, 10)),
        ("âm lịch 10/03 07:00", Lunar(3, 10, dt.time(7))),
        ("lunar 04-15 leap", Lunar(4, 15, None, True)),
        (
            "le-phat-dong -7d 08:00",
            Relative("le-phat-dong", "start", dt.timedelta(days=-7), dt.time(8)),
        ),
        ("thang.end +1d", Relative("thang", "end", dt.timedelta(days=1))),
        ("a +1w2d", Relative("a", "start", dt.timedelta(days=9))),
        ("a -2h30m", Relative("a", "start", -dt.timedelta(hours=2, minutes=30))),
    ],
)
def test_string_forms(text: str, spec: object) -> None:
    assert parse_value(text).specs == (spec,)


def test_toml_native_values_and_tables() -> None:
    assert parse_value(dt.date(2025, 6, 5)).specs == (Fixed(dt.date(2025, 6, 5)),)
    assert parse_value(
        {"every": "week", "on": ["mon", "thu"], "during": "t", "time": "08:00"}
    ).specs == (Repeat("week", "t", dt.time(8), (0, 3)),)
    assert parse_value({"every": "month", "on": 15, "during": "t"}).specs == (
        Repeat("month", "t", None, (), 15),
    )
    rule = parse_value({"rrule": "RRULE:FREQ=MONTHLY;INTERVAL=6", "start": "2025-06-15"}).specs[0]
    assert rule == Rule("FREQ=MONTHLY;INTERVAL=6", start=dt.date(2025, 6, 15))
    assert len(parse_value(["yearly 06-15", "yearly 12-15"]).specs) == 2


@pytest.mark.parametrize(
    "value",
    [
        "yearly 02-30", "hằng năm 31/04", "2025-02-30", "2025-13-01", "lunar 13-01", "lunar 01-31",
        "yearly 06-05 25:00", "a -400d", "a -7x", "Chữ Hoa", "", "   ", [], 5,
        {"every": "year", "during": "a"}, {"every": "week"}, {"every": "week", "during": "a", "on": "funday"},
        {"rrule": "FREQ=SOMETIMES", "start": "2025-01-01"}, {"rrule": "FREQ=DAILY"},
        {"every": "week", "rrule": "FREQ=DAILY", "during": "a"}, {"at": "x"},
    ],
)  # fmt: skip
def test_bad_values_raise_expression_error(value: object) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_value(value)
    assert info.value.message


def test_impossible_date_is_named() -> None:
    with pytest.raises(ExpressionError, match="30/02"):
        parse_value("yearly 02-30")


# -- lunar dates, against known Vietnamese Tết dates (Vietnam differs from China in 1985 and 2007)

TET = {
    1985: dt.date(1985, 1, 21),  # China: 20 February
    2007: dt.date(2007, 2, 17),  # China: 18 February
    2020: dt.date(2020, 1, 25),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2030: dt.date(2030, 2, 2),  # China: 3 February (new moon at 23:07 UTC+7)
}


@pytest.mark.parametrize(("year", "day"), sorted(TET.items()))
def test_vietnamese_tet(year: int, day: dt.date) -> None:
    assert to_solar(year, 1, 1) == day


def test_lunar_day_30_in_a_29_day_month_is_its_last_day() -> None:
    # lunar year Giáp Thìn (2024): month 12 has 29 days; giao thừa is the day before Tết 2025
    assert to_solar(2024, 12, 30) == TET[2025] - dt.timedelta(days=1)
    assert to_solar(2025, 12, 30) == TET[2026] - dt.timedelta(days=1)


def test_leap_month_only_where_it_exists() -> None:
    assert to_solar(2025, 6, 1, leap=True) == dt.date(2025, 7, 25)  # nhuận tháng 6 Ất Tỵ
    assert to_solar(2025, 5, 1, leap=True) is None


def test_lunar_activity_in_plan() -> None:
    c = campaign(
        HEAD + '[[activity]]\nid = "gio-to"\ntitle = "Giỗ Tổ Hùng Vương"\nstart = "âm lịch 10/03"\n'
    )
    found = expand(c, *window("2026-01-01", "2026-12-31")).activities
    assert [(a.occurrence, a.start) for a in found] == [("2026", dt.date(2026, 4, 26))]


# -- expansion of each form


def _dues(text: str, first: str, last: str) -> list[dt.datetime]:
    return [m.due for m in expand(campaign(HEAD + text), *window(first, last)).messages]


def test_yearly_date_every_year() -> None:
    text = '[[message]]\nid = "m"\nat = "yearly 06-05 07:30"\ntext = "Ngày {{ date }}"\n'
    dues = _dues(text, "2026-01-01", "2035-12-31")
    assert dues == [dt.datetime(y, 6, 5, 7, 30, tzinfo=VN) for y in range(2026, 2036)]


def test_29_february_only_in_leap_years() -> None:
    text = '[[message]]\nid = "m"\nat = "yearly 02-29"\ntext = "x"\n'
    assert [d.year for d in _dues(text, "2026-01-01", "2033-12-31")] == [2028, 2032]


def test_relative_to_29_february_and_year_end() -> None:
    text = (
        '[[activity]]\nid = "a"\ntitle = "Cuối năm"\nstart = "yearly 12-31"\n'
        '[[message]]\nid = "after"\nat = "a +1d 09:00"\ntext = "{{ year }} {{ activity.start }}"\n'
    )
    c = campaign(HEAD + text)
    messages = expand(c, *window("2027-01-01", "2027-01-31")).messages
    assert [(m.due, m.text) for m in messages] == [
        (dt.datetime(2027, 1, 1, 9, tzinfo=VN), "2026 Thứ Năm, 31/12/2026")
    ]


def test_period_across_year_end() -> None:
    text = '[[activity]]\nid = "tet"\ntitle = "Cao điểm Tết"\nstart = "yearly 12-20"\nend = "yearly 01-10"\n'
    found = expand(campaign(HEAD + text), *window("2027-01-05", "2027-01-06")).activities
    assert [(a.start, a.end) for a in found] == [(dt.date(2026, 12, 20), dt.date(2027, 1, 10))]


def test_relative_seven_days_before_at_eight() -> None:
    text = (
        '[[activity]]\nid = "wed"\ntitle = "Ngày Môi trường thế giới"\nstart = "yearly 06-05"\n'
        '[[message]]\nid = "cd"\nat = "wed -7d 08:00"\ntext = "Còn {{ days_left }} ngày"\n'
    )
    m = expand(campaign(HEAD + text), *window("2026-05-01", "2026-06-30")).messages
    assert [(x.due, x.text) for x in m] == [(dt.datetime(2026, 5, 29, 8, tzinfo=VN), "Còn 7 ngày")]


def test_weekly_daily_monthly_repeats_within_period() -> None:
    base = '[[activity]]\nid = "t"\ntitle = "Tháng"\nstart = "yearly 05-25"\nend = "yearly 06-30"\n'
    weekly = (
        base
        + '[[message]]\nid = "m"\nat = { every = "week", on = "mon", time = "08:00", during = "t" }\ntext = "x"\n'
    )
    dues = _dues(weekly, "2026-01-01", "2026-12-31")
    assert [d.date() for d in dues] == [
        dt.date(2026, 5, 25) + dt.timedelta(weeks=i) for i in range(6)
    ]
    assert all(d.weekday() == 0 and d.hour == 8 for d in dues)
    daily = (
        base
        + '[[message]]\nid = "m"\nat = { every = "day", time = "17:00", during = "t" }\ntext = "x"\n'
    )
    assert len(_dues(daily, "2026-01-01", "2026-12-31")) == 37
    monthly = (
        base
        + '[[message]]\nid = "m"\nat = { every = "month", on = 28, during = "t" }\ntext = "x"\n'
    )
    assert [d.date() for d in _dues(monthly, "2026-01-01", "2026-12-31")] == [
        dt.date(2026, 5, 28),
        dt.date(2026, 6, 28),
    ]


def test_rrule_from_start() -> None:
    text = '[[message]]\nid = "m"\nat = { rrule = "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=15", start = 2025-06-15, time = "09:00" }\ntext = "x"\n'
    dues = _dues(text, "2026-01-01", "2027-12-31")
    assert [d.date() for d in dues] == [
        dt.date(2026, 6, 15),
        dt.date(2026, 12, 15),
        dt.date(2027, 6, 15),
        dt.date(2027, 12, 15),
    ]


def test_deadline_with_reminders() -> None:
    text = '[[deadline]]\nid = "pgi"\ntitle = "Báo cáo PGI"\ndue = "yearly 12-10"\nremind = [14, 7, 1]\n'
    found = expand(campaign(HEAD + text), *window("2026-11-20", "2026-12-31"))
    assert [d.due for d in found.deadlines] == [dt.date(2026, 12, 10)]
    assert [(m.item, m.due.date()) for m in found.messages] == [
        ("pgi.remind-14d", dt.date(2026, 11, 26)),
        ("pgi.remind-7d", dt.date(2026, 12, 3)),
        ("pgi.remind-1d", dt.date(2026, 12, 9)),
    ]
    assert "Báo cáo PGI" in found.messages[0].text and "14" in found.messages[0].text


def test_active_years() -> None:
    text = 'years = "2026-2027"\n[[activity]]\nid = "a"\ntitle = "A"\nstart = "yearly 06-05"\n'
    found = expand(campaign(HEAD + text), *window("2025-01-01", "2029-12-31")).activities
    assert [a.start.year for a in found] == [2026, 2027]
    text = 'years = [2025, 2028]\n[[activity]]\nid = "a"\ntitle = "A"\nstart = "yearly 06-05"\n'
    found = expand(campaign(HEAD + text), *window("2025-01-01", "2029-12-31")).activities
    assert [a.start.year for a in found] == [2025, 2028]


def test_absolute_iso_string_and_toml_datetime_agree() -> None:
    a = _dues(
        '[[message]]\nid = "m"\nat = "2026-06-05T08:00:00+07:00"\ntext = "x"\n',
        "2026-06-01",
        "2026-06-30",
    )
    b = _dues(
        '[[message]]\nid = "m"\nat = 2026-06-05T08:00:00+07:00\ntext = "x"\n',
        "2026-06-01",
        "2026-06-30",
    )
    c = _dues(
        '[[message]]\nid = "m"\nat = 2026-06-05T08:00:00\ntext = "x"\n', "2026-06-01", "2026-06-30"
    )
    assert a == b == c == [dt.datetime(2026, 6, 5, 8, tzinfo=VN)]
