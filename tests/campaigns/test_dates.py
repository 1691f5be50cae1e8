"""Dates written the way Vietnamese documents write them (day before month), in campaign files.

Every accepted form of a date reads back as that date; a form that stays ambiguous (a dash
between two numbers that are each a month, without a year) is a problem that names the form
to write, never a guess and never an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.dates import read_day
from campaigns.errors import ExpressionError
from campaigns.expand import expand
from campaigns.i18n import set_language
from campaigns.timeexpr import FIRST_YEAR, LAST_YEAR, Fixed, Lunar, Yearly, parse_value
from tests.helpers import HEAD, campaign, errors, window

DEADLINE = '[[deadline]]\nid = "bao-cao"\ntitle = "Báo cáo"\ndue = "{due}"\n'


def _due(text: str) -> str:
    return HEAD + DEADLINE.format(due=text)


# -- the examples, through the loader ---------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["15/12/2026", "15-12-2026", "15.12.2026", "ngày 15 tháng 12 năm 2026", "2026-12-15"],
)
def test_a_deadline_on_one_day_as_officers_write_it(written: str) -> None:
    found = expand(campaign(_due(written)), *window("2026-01-01", "2027-12-31")).deadlines
    assert [d.due for d in found] == [dt.date(2026, 12, 15)]


@pytest.mark.parametrize(
    "written",
    [
        "15/12",
        "ngày 15 tháng 12",
        "hằng năm 15/12",
        "hằng năm 15-12",
        "hằng năm ngày 15 tháng 12",
        "hằng năm 12-15",  # the documented MM-DD: 15 December is its only reading
        "yearly 12-15",
        "15/12 hằng năm",
    ],
)
def test_a_deadline_every_year_as_officers_write_it(written: str) -> None:
    found = expand(campaign(_due(written)), *window("2026-01-01", "2027-12-31")).deadlines
    assert [d.due for d in found] == [dt.date(2026, 12, 15), dt.date(2027, 12, 15)]


def test_documented_forms_keep_their_meaning() -> None:
    assert parse_value("yearly 06-05").specs == (Yearly(6, 5),)
    assert parse_value("hằng năm 05/06 07:30").specs == (Yearly(6, 5, dt.time(7, 30)),)
    assert parse_value("lunar 03-10").specs == (Lunar(3, 10),)
    assert parse_value("âm lịch 10/03 nhuận").specs == (Lunar(3, 10, None, True),)
    assert parse_value("ngày 10 tháng 3 âm lịch").specs == (Lunar(3, 10),)


def test_a_time_with_the_date() -> None:
    eight = Fixed(dt.datetime(2026, 12, 15, 8))
    for written in ("15/12/2026 08:00", "15/12/2026 lúc 08:00", "08:00 ngày 15/12/2026"):
        assert parse_value(written).specs == (eight,), written


def test_a_lunar_date_of_one_year() -> None:
    assert parse_value("âm lịch 10/03/2026").specs == (Fixed(dt.date(2026, 4, 26)),)
    assert parse_value("âm lịch 01/06/2025 nhuận").specs == (Fixed(dt.date(2025, 7, 25)),)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "hằng năm 05-06",
            "c.toml:6: deadline[1].due: '05-06' có thể là ngày 5 tháng 6 hoặc ngày 6 tháng 5 "
            "(viết 05/06 (ngày/tháng) nếu là ngày 5 tháng 6, hoặc 06/05 nếu là ngày 6 tháng 5)",
        ),
        (
            "05-06",
            "c.toml:6: deadline[1].due: '05-06' có thể là ngày 5 tháng 6 hoặc ngày 6 tháng 5 "
            "(viết 05/06 (ngày/tháng) nếu là ngày 5 tháng 6, hoặc 06/05 nếu là ngày 6 tháng 5)",
        ),
        (
            "yearly 15-12",
            "c.toml:6: deadline[1].due: sau 'yearly'/'lunar', '15-12' được đọc là tháng-ngày "
            "(MM-DD) nên không có ngày này (viết 15/12 (ngày/tháng, dấu /) hoặc 12-15 "
            "(tháng-ngày, dấu -))",
        ),
        (
            "12/15/2026",
            "c.toml:6: deadline[1].due: ngày 12/15/2026 không tồn tại "
            "(ngày viết trước tháng: 15/12/2026)",
        ),
        (
            "15/12/26",
            "c.toml:6: deadline[1].due: năm trong '15/12/26' cần đủ 4 chữ số (ví dụ 15/12/2026)",
        ),
        (
            "hằng năm 15/12/2026",
            "c.toml:6: deadline[1].due: 'hằng năm' không kèm năm: 'hằng năm 15/12/2026' "
            "(bỏ năm ('hằng năm 15/12'), hoặc bỏ 'hằng năm' nếu chỉ một ngày ('15/12/2026'))",
        ),
        (
            "31/04/2026",
            "c.toml:6: deadline[1].due: ngày 31/04/2026 không tồn tại (kiểm tra ngày và tháng)",
        ),
    ],
)
def test_what_stays_ambiguous_or_impossible_names_the_form_to_write(
    written: str, message: str
) -> None:
    assert errors(_due(written)) == [message]


def test_ambiguity_in_english() -> None:
    set_language("en")
    try:
        with pytest.raises(ExpressionError) as info:
            parse_value("hằng năm 05-06")
    finally:
        set_language("vi")
    assert info.value.message == "'05-06' could be 5 June or 6 May"
    assert info.value.hint == "write 05/06 (day/month) for 5 June, or 06/05 for 6 May"


def test_dates_in_rrule_bounds() -> None:
    text = (
        HEAD
        + 'years = "2026 – 2027"\n'  # an en dash, as a word processor writes it
        + '[[message]]\nid = "m"\ntext = "x"\n'
        + 'at = { rrule = "FREQ=MONTHLY;BYMONTHDAY=15", start = "15/10/2026", until = "ngày 15 tháng 12 năm 2026" }\n'
    )
    found = expand(campaign(text), *window("2026-01-01", "2027-12-31")).messages
    assert [m.due.date() for m in found] == [
        dt.date(2026, 10, 15),
        dt.date(2026, 11, 15),
        dt.date(2026, 12, 15),
    ]


# -- properties ---------------------------------------------------------------------------------

ONE_DAY: list[Callable[[dt.date], str]] = [
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year:04d}",
    lambda d: f"{d.day}/{d.month}/{d.year:04d}",
    lambda d: f"{d.day:02d}-{d.month:02d}-{d.year:04d}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year:04d}",
    lambda d: f"ngày {d.day} tháng {d.month} năm {d.year:04d}",
    lambda d: f"Ngày {d.day:02d}/{d.month:02d}/{d.year:04d}",
    lambda d: d.isoformat(),
]
EVERY_YEAR: list[Callable[[dt.date], str]] = [
    lambda d: f"{d.day:02d}/{d.month:02d}",
    lambda d: f"{d.day}.{d.month}",
    lambda d: f"ngày {d.day} tháng {d.month}",
    lambda d: f"hằng năm {d.day:02d}/{d.month:02d}",
    lambda d: f"Hằng năm ngày {d.day} tháng {d.month}",
    lambda d: f"hàng năm {d.day}/{d.month} 08:00",
    lambda d: f"yearly {d.month:02d}-{d.day:02d}",
]


ACCEPTED = st.dates(dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31))
NOT_ACCEPTED = st.dates(max_value=dt.date(FIRST_YEAR - 1, 12, 31)) | st.dates(
    min_value=dt.date(LAST_YEAR + 1, 1, 1)
)


@settings(max_examples=300, deadline=None)
@given(day=ACCEPTED, form=st.sampled_from(ONE_DAY))
def test_every_date_written_in_each_form_reads_back(
    day: dt.date, form: Callable[[dt.date], str]
) -> None:
    assert parse_value(form(day)).specs == (Fixed(day),)


@settings(max_examples=100, deadline=None)
@given(day=NOT_ACCEPTED, form=st.sampled_from(ONE_DAY))
def test_a_date_outside_the_accepted_years_is_refused_naming_them(
    day: dt.date, form: Callable[[dt.date], str]
) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_value(form(day))
    assert f"{FIRST_YEAR}" in info.value.message and f"{LAST_YEAR}" in info.value.message


@settings(max_examples=300, deadline=None)
@given(day=st.dates(), form=st.sampled_from(ONE_DAY))
def test_a_day_typed_on_the_command_line_reads_back(
    day: dt.date, form: Callable[[dt.date], str]
) -> None:
    assert read_day(form(day)) == day


@settings(max_examples=300, deadline=None)
@given(day=st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), form=st.sampled_from(EVERY_YEAR))
def test_a_day_typed_without_its_year_names_the_form_with_one(
    day: dt.date, form: Callable[[dt.date], str]
) -> None:
    with pytest.raises(ExpressionError) as info:
        read_day(form(day))
    assert "15/12/2026" in info.value.message + info.value.hint


@settings(max_examples=300, deadline=None)
@given(day=st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), form=st.sampled_from(EVERY_YEAR))
def test_every_day_of_the_year_in_each_form_reads_back(
    day: dt.date, form: Callable[[dt.date], str]
) -> None:
    (spec,) = parse_value(form(day)).specs
    assert isinstance(spec, Yearly) and (spec.month, spec.day) == (day.month, day.day)


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    word=st.sampled_from(["", "hằng năm ", "mỗi năm "]),
)
def test_a_dash_without_year_is_read_only_when_one_reading_exists(day: dt.date, word: str) -> None:
    text = f"{word}{day.day:02d}-{day.month:02d}"
    other = (day.day, day.month)  # the same numbers read month first
    try:
        dt.date(2024, *other)
        ambiguous = other != (day.month, day.day)
    except ValueError:
        ambiguous = False
    if not ambiguous:
        assert parse_value(text).specs == (Yearly(day.month, day.day),)
        return
    with pytest.raises(ExpressionError) as info:
        parse_value(text)
    spoken = [f"ngày {day.day} tháng {day.month}", f"ngày {day.month} tháng {day.day}"]
    assert all(s in info.value.message for s in spoken)
    assert f"{day.day:02d}/{day.month:02d}" in info.value.hint


_NUMBER = st.integers(0, 99).map(str) | st.sampled_from(
    ["00", "0", "29", "31", "1900", "0000", "99999"]
)
date_like = st.builds(
    lambda word, a, sep1, b, rest, time: f"{word}{a}{sep1}{b}{rest}{time}",
    st.sampled_from(["", "hằng năm ", "yearly ", "âm lịch ", "lunar ", "ngày ", "mùng "]),
    _NUMBER,
    st.sampled_from(["/", "-", ".", " tháng "]),
    _NUMBER,
    st.sampled_from(["", "/2026", "-2026", ".2026", " năm 2026", "/26", "/0", " nhuận", "-x"])
    | _NUMBER.map(lambda n: "/" + n),
    st.sampled_from(["", " 08:00", " 25:00", " lúc 07:30", " 8:0"]),
)


@settings(max_examples=1500, deadline=None)
@given(text=date_like)
def test_date_like_text_parses_or_gives_a_problem(text: str) -> None:
    try:
        parse_value(text)
    except ExpressionError as exc:
        assert exc.message
    # through the loader as well: a problem on the line of the date, never an exception
    assert all(p.startswith("c.toml:6: deadline[1].due: ") for p in errors(_due(text)))


@pytest.mark.parametrize(
    ("written", "years"),
    [
        ("2024-2035", (2024, 2035, None)),
        ("2025-", (2025, None, None)),
        ("2026 – 2027", (2026, 2027, None)),  # an en dash, as a word processor writes it
        ("từ năm 2026 đến năm 2027", (2026, 2027, None)),
        ("từ 2026", (2026, None, None)),
        ("năm 2026", (None, None, frozenset([2026]))),
    ],
)
def test_active_years_as_documents_write_them(
    written: str, years: tuple[int | None, int | None, frozenset[int] | None]
) -> None:
    found = campaign(HEAD + f'years = "{written}"\n').years
    assert (found.first, found.last, found.only) == years
