"""The office calendar: working days, days off, "before" deadlines (issue 14, items 1 and 2).

The calendar under test is the one config.toml builds by default (weekend Saturday and
Sunday, Vietnam's public holidays from the `holidays` package), so these tests hold loa to
the real law of the land, not to a hand-made list.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.errors import ExpressionError
from campaigns.expand import expand
from campaigns.lunar import to_solar
from campaigns.model import ChannelCatalog
from campaigns.timeexpr import Relative, parse_value
from campaigns.workdays import WorkCalendar, parse_if_day_off
from scheduler.config import CalendarSettings, build_calendar
from tests.helpers import CATALOG, HEAD, VN, campaign, errors, window


def office(**keys: Any) -> WorkCalendar:
    problems: list[tuple[Any, ...]] = []
    found = build_calendar(CalendarSettings(**keys), Path("."), lambda *args: problems.append(args))
    assert problems == []
    return found


OFFICE = office()
WITH_CALENDAR = dataclasses.replace(CATALOG, calendar=OFFICE)
YEARS = st.integers(2026, 2035)


def tet_days(year: int) -> list[dt.date]:
    """Giao thừa (the lunar year's last day) and the first three days of the new year."""
    first = to_solar(year, 1, 1)
    assert first is not None
    return [first + dt.timedelta(days=k) for k in range(-1, 3)]


# -- the calendar ---------------------------------------------------------------------------


@given(YEARS)
def test_each_years_tet_holiday_days_are_days_off(year: int) -> None:
    for day in tet_days(year):
        assert OFFICE.is_day_off(day), day
    hung_kings = to_solar(year, 3, 10)
    assert hung_kings is not None and OFFICE.is_day_off(hung_kings)


@pytest.mark.parametrize("year", range(2026, 2036))
def test_the_holidays_package_puts_tet_where_lunar_vn_does(year: int) -> None:
    """The package's Tết is the Vietnamese one (lunar-vn), not the Chinese calendar's."""
    first, hung_kings = to_solar(year, 1, 1), to_solar(year, 3, 10)
    named = {name: day for day, name in OFFICE.holidays.items() if day.year == year}
    assert named["Tết Nguyên Đán"] == first
    assert named["Giao thừa Tết Nguyên Đán"] == tet_days(year)[0]
    assert named["Ngày Giỗ Tổ Hùng Vương"] == hung_kings


def test_weekends_holidays_and_swapped_days() -> None:
    assert OFFICE.is_day_off(dt.date(2030, 5, 25))  # Saturday
    assert OFFICE.is_day_off(dt.date(2030, 9, 2))  # National Day
    assert not OFFICE.is_day_off(dt.date(2030, 5, 27))
    # the government's 2026 decision: Saturday 22/08 worked, Monday 31/08 off
    assert not OFFICE.is_day_off(dt.date(2026, 8, 22))
    assert OFFICE.is_day_off(dt.date(2026, 8, 31))


def test_the_offices_own_swaps_and_weekend() -> None:
    cal = office(
        weekend=["chủ nhật"],
        days_off=["2030-05-27", dt.date(2030, 5, 28)],
        working_days=["02/06/2030"],
        public_holidays=False,
    )
    assert not cal.is_day_off(dt.date(2030, 5, 25))  # Saturday is worked here
    assert cal.is_day_off(dt.date(2030, 5, 27)) and cal.is_day_off(dt.date(2030, 5, 28))
    assert not cal.is_day_off(dt.date(2030, 6, 2))  # a Sunday made a working day
    assert not cal.is_day_off(dt.date(2030, 9, 2))  # no public holidays asked for


def test_a_holidays_file_beside_config(tmp_path: Path) -> None:
    (tmp_path / "ngay-nghi.toml").write_text(
        'days_off = [2027-02-12]\nworking_days = ["20/02/2027"]\n', "utf-8"
    )
    cal = build_calendar(CalendarSettings(file="ngay-nghi.toml"), tmp_path, print)
    assert cal.is_day_off(dt.date(2027, 2, 12))
    assert not cal.is_day_off(dt.date(2027, 2, 20))


def test_wrong_calendar_values_are_reported_by_key(tmp_path: Path) -> None:
    problems: list[tuple[Any, ...]] = []
    build_calendar(
        CalendarSettings(weekend=["saturdy"], days_off=["31/02/2027"], file="missing.toml"),
        tmp_path,
        lambda *args: problems.append(args),
    )
    assert [p[0] for p in problems] == [
        ("calendar", "weekend", 0),
        ("calendar", "file"),
        ("calendar", "days_off", 0),
    ]


def test_working_day_arithmetic() -> None:
    friday = dt.date(2030, 5, 24)
    assert OFFICE.add(friday, 1) == dt.date(2030, 5, 27)
    assert OFFICE.add(dt.date(2030, 5, 27), -1) == friday
    assert OFFICE.add(dt.date(2030, 5, 25), 3) == dt.date(2030, 5, 29)
    assert OFFICE.settle(dt.date(2030, 5, 25), "before") == friday
    assert OFFICE.settle(dt.date(2030, 5, 25), "after") == dt.date(2030, 5, 27)
    assert OFFICE.settle(dt.date(2030, 5, 25), "keep") == dt.date(2030, 5, 25)


def test_a_calendar_without_working_days_is_an_error_not_a_hang() -> None:
    with pytest.raises(ExpressionError):
        WorkCalendar(weekend=frozenset(range(7))).step(dt.date(2030, 1, 1), 1)


# -- the forms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "workdays", "time"),
    [
        ("le-phat-dong +3 ngày làm việc", 3, None),
        ("le-phat-dong +3wd 08:00", 3, dt.time(8)),
        ("le-phat-dong -2 working days", -2, None),
        ("le-phat-dong ngày làm việc tiếp theo", 1, None),
        ("le-phat-dong ngày làm việc trước 07:30", -1, dt.time(7, 30)),
        ("le-phat-dong next working day", 1, None),
        ("le-phat-dong previous working day", -1, None),
    ],
)
def test_working_day_offsets(text: str, workdays: int, time: dt.time | None) -> None:
    assert parse_value(text).specs == (Relative("le-phat-dong", workdays=workdays, time=time),)


@pytest.mark.parametrize("text", ["x -7d +2wd", "x +2 ngày làm việc +1d", "x +999wd"])
def test_working_days_do_not_mix_or_overflow(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_value(text)


@pytest.mark.parametrize(
    ("word", "rule"),
    [("giữ", "keep"), ("Trước", "before"), ("sau", "after"), ("keep", "keep")],
)
def test_if_day_off_words(word: str, rule: str) -> None:
    assert parse_if_day_off(word) == rule


def test_wrong_if_day_off_and_a_before_deadline_that_moves_after_are_errors() -> None:
    text = (
        HEAD
        + '[[activity]]\nid = "a"\ntitle = "A"\nstart = "25/05/2030"\nif_day_off = "hôm sau"\n'
        + '[[deadline]]\nid = "d"\ntitle = "D"\ndue = "trước 10/12"\nif_day_off = "sau"\n'
    )
    assert errors(text) == [
        "c.toml:7: activity[1].if_day_off: 'if_day_off' không nhận 'hôm sau' "
        '(dùng "giữ" (keep), "trước" (before) hoặc "sau" (after))',
        "c.toml:12: deadline[1].if_day_off: hạn 'trước' một ngày không thể dời sang ngày sau "
        '(bỏ \'if_day_off\', hoặc dùng "trước" hay "giữ")',
    ]


# -- expansion ------------------------------------------------------------------------------

LAUNCH = '[[activity]]\nid = "le-phat-dong"\ntitle = "Lễ phát động"\nstart = "25/05/2030 08:00"\n'


def test_an_activity_on_a_day_off_moves_after_and_says_from_where() -> None:
    found = expand(campaign(HEAD + LAUNCH), *window("2030-05-01", "2030-06-30"), WITH_CALENDAR)
    (launch,) = found.activities
    assert launch.start == dt.datetime(2030, 5, 27, 8, tzinfo=VN)
    assert launch.moved_from == dt.date(2030, 5, 25)
    plain = expand(campaign(HEAD + LAUNCH), *window("2030-05-01", "2030-06-30"))
    assert plain.activities[0].key == launch.key  # sync updates the moved item by its key
    assert plain.activities[0].moved_from is None


def test_a_period_keeps_its_days_and_keep_keeps() -> None:
    text = (
        HEAD
        + '[[activity]]\nid = "thang"\ntitle = "Tháng hành động"\nstart = "hằng năm 25/05"\n'
        + 'end = "hằng năm 30/06"\n'
        + LAUNCH
        + 'if_day_off = "giữ"\n'
    )
    found = expand(campaign(text), *window("2030-05-01", "2030-06-30"), WITH_CALENDAR)
    assert [(a.start, a.moved_from) for a in found.activities] == [
        (dt.date(2030, 5, 25), None),
        (dt.datetime(2030, 5, 25, 8, tzinfo=VN), None),
    ]


def test_messages_keep_their_day_unless_told_and_follow_a_moved_activity() -> None:
    text = (
        HEAD
        + LAUNCH
        + '[[message]]\nid = "truoc"\nat = "le-phat-dong ngày làm việc trước 15:00"\n'
        + 'text = "Mai: {{ activity.title }}"\n'
        + '[[message]]\nid = "qk"\nat = "hằng năm 02/09"\ntext = "Quốc khánh"\n'
        + '[[message]]\nid = "qk2"\nat = "hằng năm 02/09"\ntext = "Sau lễ"\nif_day_off = "sau"\n'
    )
    found = expand(campaign(text), *window("2030-05-01", "2030-09-30"), WITH_CALENDAR)
    assert [(m.item, m.due, m.moved_from) for m in found.messages] == [
        ("truoc", dt.datetime(2030, 5, 24, 15, tzinfo=VN), None),
        ("qk", dt.datetime(2030, 9, 2, 8, tzinfo=VN), None),
        ("qk2", dt.datetime(2030, 9, 4, 8, tzinfo=VN), dt.date(2030, 9, 2)),
    ]


def test_recurring_messages_on_working_days_only() -> None:
    text = (
        HEAD
        + '[[message]]\nid = "thang"\ntext = "Nhắc hằng tháng"\n'
        + 'at = { rrule = "FREQ=MONTHLY;BYMONTHDAY=2", start = 2030-01-01, working_days = true }\n'
    )
    found = expand(campaign(text), *window("2030-01-01", "2030-12-31"), WITH_CALENDAR)
    days = [m.due.date() for m in found.messages]
    assert dt.date(2030, 2, 2) not in days  # Tết
    assert dt.date(2030, 9, 2) not in days  # National Day
    assert dt.date(2030, 11, 2) not in days  # Saturday
    assert all(not OFFICE.is_day_off(day) for day in days) and len(days) == 7


PGI = (
    '[[deadline]]\nid = "pgi"\ntitle = "Báo cáo PGI"\ndue = "trước ngày 10/12 hằng năm"\n'
    "remind = [3, 1]\n"
)


def test_a_before_deadline_ends_the_working_day_before() -> None:
    found = expand(campaign(HEAD + PGI), *window("2026-12-01", "2026-12-31"), WITH_CALENDAR)
    (due,) = found.deadlines
    assert due.due == dt.date(2026, 12, 9) and due.before == dt.date(2026, 12, 10)
    assert [(m.due.date(), m.text) for m in found.messages] == [
        (
            dt.date(2026, 12, 4),
            "Nhắc việc: Báo cáo PGI — hạn cuối Thứ Tư, 09/12/2026, trước ngày 10/12 (còn 5 ngày).",
        ),
        (
            dt.date(2026, 12, 8),
            "Nhắc việc: Báo cáo PGI — hạn cuối Thứ Tư, 09/12/2026, trước ngày 10/12 (còn 1 ngày).",
        ),
    ]


def test_a_before_deadline_whose_day_before_is_a_day_off() -> None:
    """10/12/2030 is a Tuesday, so "before" is Monday 09/12; 10/12/2028 a Sunday: Friday."""
    found = expand(campaign(HEAD + PGI), *window("2028-12-01", "2028-12-31"), WITH_CALENDAR)
    assert [(d.due, d.moved_from) for d in found.deadlines] == [
        (dt.date(2028, 12, 8), dt.date(2028, 12, 9))
    ]


def test_deadline_templates_have_both_days() -> None:
    text = (
        HEAD + PGI + 'text = "{{ deadline.title }}: {{ deadline.due }} / {{ deadline.before }}"\n'
    )
    found = expand(campaign(text), *window("2026-12-08", "2026-12-08"), WITH_CALENDAR)
    assert found.messages[0].text == "Báo cáo PGI: Thứ Tư, 09/12/2026 / 10/12"


def test_a_plain_deadline_on_a_day_off_moves_before_by_default() -> None:
    text = HEAD + '[[deadline]]\nid = "d"\ntitle = "Báo cáo"\ndue = "hằng năm 15/06"\n'
    found = expand(campaign(text), *window("2030-06-01", "2030-06-30"), WITH_CALENDAR)
    assert [(d.due, d.moved_from) for d in found.deadlines] == [
        (dt.date(2030, 6, 14), dt.date(2030, 6, 15))
    ]


# -- properties over 2026–2035 --------------------------------------------------------------

RULES = st.sampled_from([None, "keep", "giữ", "before", "trước", "after", "sau"])
DAYS = st.tuples(st.integers(1, 12), st.integers(1, 28))


@st.composite
def office_files(draw: st.DrawFn) -> tuple[str, list[str | None]]:
    """A campaign of one-day activities, deadlines (some "before") and messages, each with a
    rule for days off or none."""
    lines = [HEAD]
    rules: list[str | None] = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["activity", "deadline", "before", "message"]))
        month, day = draw(DAYS)
        rule = draw(RULES)
        if kind == "before" and rule in ("after", "sau"):
            rule = None
        when = f"{'trước ' if kind == 'before' else ''}hằng năm {day:02d}/{month:02d}"
        if kind == "activity":
            lines.append(f'[[activity]]\nid = "a{i}"\ntitle = "A"\nstart = "{when}"\n')
        elif kind == "message":
            lines.append(f'[[message]]\nid = "m{i}"\ntext = "M"\nat = "{when}"\n')
        else:
            lines.append(f'[[deadline]]\nid = "d{i}"\ntitle = "D"\ndue = "{when}"\n')
        if rule is not None:
            lines.append(f'if_day_off = "{rule}"\n')
        rules.append(rule)
    return "".join(lines), rules


@settings(max_examples=60, deadline=None)
@given(office_files(), YEARS)
def test_office_items_fall_on_working_days_unless_kept(
    file: tuple[str, list[str | None]], year: int
) -> None:
    text, _ = file
    parsed = campaign(text)
    kept = {a.id for a in parsed.activities if a.if_day_off == "keep"}
    kept |= {d.id for d in parsed.deadlines if d.if_day_off == "keep"}
    kept |= {m.id for m in parsed.messages if m.if_day_off == "keep"}
    found = expand(parsed, *window(f"{year}-01-01", f"{year}-12-31"), WITH_CALENDAR)
    for a in found.activities:
        assert a.activity in kept or not OFFICE.is_day_off(a.start), a
    for d in found.deadlines:
        assert d.deadline in kept or not OFFICE.is_day_off(d.due), d
        if d.before is not None:
            assert d.due < d.before
            if d.deadline not in kept:
                assert OFFICE.add(d.due, 1) >= d.before  # the last working day before it
    for m in found.messages:
        assert m.item in kept or not OFFICE.is_day_off(m.due.date()), m


@settings(max_examples=40, deadline=None)
@given(office_files(), YEARS)
def test_moving_keeps_the_keys(file: tuple[str, list[str | None]], year: int) -> None:
    """The calendar changes dates, never which occurrences exist: sync updates them by key."""
    parsed = campaign(file[0])
    bounds = window(f"{year}-01-01", f"{year}-12-31")
    moved = expand(parsed, *bounds, WITH_CALENDAR)
    plain = expand(parsed, *bounds, ChannelCatalog(CATALOG.targets, CATALOG.defaults))
    # an item near the year's edge may move across it: compare the items of the inner months
    for dated in (
        lambda e: [(a.key, a.start) for a in e.activities],
        lambda e: [(d.key, d.due) for d in e.deadlines],
    ):
        with_days_off, without = dated(moved), dated(plain)
        inner = lambda items: {k for k, day in items if 2 <= day.month <= 11}  # noqa: E731
        assert inner(without) <= {k for k, _ in with_days_off}
        assert inner(with_days_off) <= {k for k, _ in without}


# -- the documented examples do what the page says -------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("page", [DOCS / "campaign-files.md", DOCS / "en" / "campaign-files.md"])
def test_the_documented_working_day_examples(page: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", page.read_text("utf-8"), re.S)
    (days_off,) = [b for b in blocks if 'id = "nhac-dau-thang"' in b]
    (before,) = [b for b in blocks if "remind = [7, 1]" in b]
    found = expand(campaign(HEAD + days_off), *window("2030-05-01", "2030-09-30"), WITH_CALENDAR)
    assert [(a.start, a.moved_from) for a in found.activities] == [
        (dt.datetime(2030, 5, 27, 8, tzinfo=VN), dt.date(2030, 5, 25))
    ]
    assert [(m.item, m.due.date()) for m in found.messages] == [
        ("nhac-dau-thang", dt.date(2030, 5, 2)),
        ("nhac-le-phat-dong", dt.date(2030, 5, 24)),
        ("nhac-dau-thang", dt.date(2030, 7, 2)),
        ("nhac-dau-thang", dt.date(2030, 8, 2)),
        ("chuc-mung-quoc-khanh", dt.date(2030, 9, 2)),
    ]
    found = expand(campaign(HEAD + before), *window("2026-12-01", "2026-12-31"), WITH_CALENDAR)
    assert [d.due for d in found.deadlines] == [dt.date(2026, 12, 9)]
    assert found.messages[-1].text == (
        "Nhắc việc: Báo cáo kết quả thực hiện Chỉ số xanh cấp tỉnh (PGI), hạn cuối Thứ Tư, "
        "09/12/2026, trước ngày 10/12."
    )


def test_loa_plan_says_why_a_date_moved(tmp_path: Path) -> None:
    """The real command: the table's line and the JSON's moved_from field."""
    from tests.test_cli import loa

    (tmp_path / "campaigns").mkdir()
    (tmp_path / "config.toml").write_text(
        '[campaigns]\nlibrary = false\ndefault_channels = ["console"]\n'
        '[channels.console]\ntype = "console"\n',
        "utf-8",
    )
    (tmp_path / "campaigns" / "c.toml").write_text(HEAD + LAUNCH + PGI, "utf-8")
    table = loa("plan", "--from", "2030-05-01", "--to", "2030-05-31", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "dời từ Thứ Bảy, 25/05/2030 (ngày nghỉ)" in table.stdout
    found = loa(
        "plan", "--from", "2026-12-01", "--to", "2026-12-31", "--format", "json", cwd=tmp_path
    )
    rows = {r["id"]: r for r in json.loads(found.stdout) if r["kind"] == "deadline"}
    assert rows["pgi"]["start"] == "2026-12-09T00:00:00+07:00"
    assert rows["pgi"]["moved_from"] is None
    moved = loa(
        "plan", "--from", "2030-05-01", "--to", "2030-05-31", "--format", "json", cwd=tmp_path
    )
    (launch,) = [r for r in json.loads(moved.stdout) if r["kind"] == "activity"]
    assert launch["moved_from"] == "2030-05-25"


@settings(max_examples=40, deadline=None)
@given(office_files(), YEARS, st.integers(1, 364))
def test_moved_items_are_found_once_whatever_the_window(
    file: tuple[str, list[str | None]], year: int, split: int
) -> None:
    """An item moved across a window's edge is in exactly one of two adjacent windows, the
    same as in their union (sync expands the horizon window by window)."""
    parsed = campaign(file[0])
    a, c = window(f"{year}-01-01", f"{year}-12-31")
    b = a + dt.timedelta(days=split)

    def keys(found: Any) -> list[tuple[str, object]]:
        return sorted(
            [(x.key, x.start) for x in found.activities]
            + [(x.key, x.due) for x in found.deadlines]
            + [(x.key, x.due) for x in found.messages]
        )

    whole = expand(parsed, a, c, WITH_CALENDAR)
    halves = keys(expand(parsed, a, b, WITH_CALENDAR)) + keys(expand(parsed, b, c, WITH_CALENDAR))
    assert sorted(halves) == keys(whole)
