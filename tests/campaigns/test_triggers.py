"""Triggers in campaign files: the ``at`` expressions timed from an event, the checks with
file:line, and the sequence one event expands to (keys, times, texts, targets)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.errors import ExpressionError
from campaigns.model import ChannelCatalog
from campaigns.sequence import Event, clean_data, start
from campaigns.triggers import MARK, fields_used, parse_event_at
from campaigns.units import Unit, UnitRegistry
from campaigns.workdays import WorkCalendar
from tests.helpers import campaign, errors

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKEND = WorkCalendar(weekend=frozenset({5, 6}))
STORM = """id = "phong-chong-bao"
title = "Phòng chống bão"

[[trigger]]
id = "canh-bao"
event = "canh-bao-bao"
fields = ["ten_bao"]
title = "Bão {{ event.data.ten_bao }}"

[[trigger.message]]
id = "ngay"
at = "event"
text = "Cảnh báo bão {{ event.data.ten_bao }} lúc {{ event.at }}"
channels = ["telegram:nhom-vp"]

[[trigger.message]]
id = "cap-nhat"
at = "event +2h"
text = "Cập nhật bão {{ event.data['ten_bao'] }}"

[[trigger.message]]
id = "don-dep"
at = "the next working day 08:00"
text = "Ra quân dọn dẹp sau bão {{ event.data.ten_bao }}"
channels = ["console", "telegram:kenh-tinh"]
"""
AT = dt.datetime(2026, 12, 4, 9, 30, tzinfo=VN)  # a Friday


def test_a_storm_warning_trigger_expands_to_its_sequence() -> None:
    storm = campaign(STORM)
    (trigger,) = storm.triggers
    assert (trigger.event, trigger.fields) == ("canh-bao-bao", ("ten_bao",))
    catalog = ChannelCatalog(
        targets={"console": (), "telegram": ("nhom-vp", "kenh-tinh")},
        defaults=("console",),
        calendar=WEEKEND,
    )
    started = start(
        storm, trigger, Event("canh-bao-bao", "bao-3", AT, {"ten_bao": "Yagi"}), catalog
    )
    assert started.title == "Bão Yagi"
    got = {(d.item, d.channel, d.target): (d.due, d.text) for d in started.dispatches}
    assert got == {
        ("canh-bao.ngay", "telegram", "nhom-vp"): (
            AT,
            "Cảnh báo bão Yagi lúc 09:30, Thứ Sáu, 04/12/2026",
        ),
        ("canh-bao.cap-nhat", "console", ""): (AT + dt.timedelta(hours=2), "Cập nhật bão Yagi"),
        ("canh-bao.don-dep", "console", ""): (
            dt.datetime(2026, 12, 7, 8, 0, tzinfo=VN),  # Monday: the weekend is skipped
            "Ra quân dọn dẹp sau bão Yagi",
        ),
        ("canh-bao.don-dep", "telegram", "kenh-tinh"): (
            dt.datetime(2026, 12, 7, 8, 0, tzinfo=VN),
            "Ra quân dọn dẹp sau bão Yagi",
        ),
    }
    assert all(
        d.key.startswith(d.message_key) and MARK + "bao-3" in d.key for d in started.dispatches
    )


@pytest.mark.parametrize(
    ("change", "wanted"),
    [
        (('at = "event +2h"', 'at = "event +2h 07:00"'), "c.toml:18: trigger[1].message[2].at:"),
        (('at = "event +2h"', 'at = "event -2h"'), "c.toml:18: trigger[1].message[2].at:"),
        (('at = "event +2h"', 'at = "sau bão"'), "c.toml:18: trigger[1].message[2].at:"),
        (
            ('channels = ["console", "telegram:kenh-tinh"]', 'channels = ["console", "tg"]'),
            "c.toml:25: trigger[1].message[3].channels[2]: không có kênh 'tg'",
        ),
        (
            ('channels = ["telegram:nhom-vp"]', 'channels = ["units:lead"]'),
            "c.toml:14: trigger[1].message[1].channels[1]: kênh 'units:lead'",
        ),
        (
            ("lúc {{ event.at }}", "lúc {{ event.data.noi_do_bo }}"),
            "c.toml:13: trigger[1].message[1].text: mẫu tin dùng trường 'noi_do_bo'",
        ),
        (("lúc {{ event.at }}", "lúc {{ event.gio }}"), "c.toml:13: trigger[1].message[1].text:"),
        (('fields = ["ten_bao"]', 'fields = ["Tên bão"]'), "c.toml:7: trigger[1].fields[1]:"),
        (('event = "canh-bao-bao"', 'event = "Cảnh báo"'), "c.toml:6: trigger[1].event:"),
        (('id = "cap-nhat"', 'id = "ngay"'), "c.toml:17: trigger[1].message[2].id:"),
    ],
)
def test_a_wrong_trigger_is_refused_with_file_and_line(
    change: tuple[str, str], wanted: str
) -> None:
    found = errors(STORM.replace(*change))
    assert any(p.startswith(wanted) for p in found), found


def test_a_trigger_without_messages_is_refused() -> None:
    text = 'id = "c"\ntitle = "C"\n[[trigger]]\nid = "t"\nevent = "e"\n'
    assert errors(text) == [
        "c.toml:3: trigger[1]: sự kiện này không có tin nào "
        "(thêm ít nhất một [[trigger.message]] với id, at, text)"
    ]


def test_units_named_by_the_event_get_the_message() -> None:
    registry = UnitRegistry(
        {"phuong-1": Unit("phuong-1", "Phường 1", targets=(("telegram", "p1"),))}
    )
    catalog = ChannelCatalog(targets={"telegram": ("p1",)}, units=registry)
    text = (
        'id = "c"\ntitle = "C"\n[[trigger]]\nid = "don-dep"\nevent = "sau-bao"\n'
        'fields = ["phuong"]\n[[trigger.message]]\nid = "goi"\nat = "event +1d 07:00"\n'
        'text = "{{ event.data.phuong }} ra quân"\nchannels = ["units:phuong"]\n'
    )
    (trigger,) = campaign(text, catalog).triggers
    data, problem = clean_data([trigger], {"phuong": "phường 1"}, catalog)
    assert problem is None
    started = start(campaign(text, catalog), trigger, Event("sau-bao", "b", AT, data), catalog)
    assert [(d.channel, d.target) for d in started.dispatches] == [("telegram", "p1")]
    _, problem = clean_data([trigger], {"phuong": "Phường 9"}, catalog)
    assert problem is not None and problem.field == "phuong"
    assert "Phường 9" in problem.sentence("vi")
    assert errors(text.replace("units:phuong", "units:xa")) == [
        "c.toml:11: trigger[1].message[1].channels[1]: kênh 'units:xa' không dùng được trong "
        "tin của sự kiện: sự kiện không có đơn vị chủ trì hay phối hợp (gửi tới đơn vị mà sự "
        'kiện nêu tên bằng "units:<trường>", trường khai báo trong "fields" (ở đây: '
        "units:phuong))"
    ]


def test_the_data_is_checked_against_the_declared_fields() -> None:
    (trigger,) = campaign(STORM).triggers
    catalog = ChannelCatalog()
    assert clean_data([trigger], {"ten_bao": " Yagi "}, catalog) == ({"ten_bao": "Yagi"}, None)
    for data, field in [
        ({}, "ten_bao"),
        ({"ten_bao": ""}, "ten_bao"),
        ({"ten_bao": "Yagi", "cap_do": "12"}, "cap_do"),
        ({"ten_bao": ["Yagi"]}, "ten_bao"),
        ({"ten_bao": "x" * 1001}, "ten_bao"),
    ]:
        cleaned, problem = clean_data([trigger], data, catalog)
        assert cleaned == {} and problem is not None and problem.field == field
        assert f"'{field}'" in problem.sentence("vi") and f"'{field}'" in problem.sentence("en")


def test_fields_used_finds_both_spellings() -> None:
    source = "{{ event.data.a }} {{ event.data['b'] }} {{ event.at }} {{ data.c }}"
    assert fields_used(source) == {"a", "b"}


# -- properties ------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 12, 31), timezones=st.just(VN)
)


@given(
    moments,
    st.integers(0, 500),
    st.sampled_from(["h", "m", "d"]),
    st.sampled_from(["event ", "sự kiện ", ""]),
)
def test_an_offset_is_that_long_after_the_event(
    at: dt.datetime, n: int, unit: str, word: str
) -> None:
    text = f"{word}+{n}{unit}"
    delta = dt.timedelta(**{{"h": "hours", "m": "minutes", "d": "days"}[unit]: n})
    if delta > dt.timedelta(days=366):
        with pytest.raises(ExpressionError):
            parse_event_at(text)
        return
    assert parse_event_at(text).resolve(at, VN, WEEKEND) == at + delta


@given(moments, st.integers(1, 30), st.integers(0, 23), st.integers(0, 59))
def test_days_and_a_time_land_on_that_day_at_that_time(
    at: dt.datetime, days: int, hour: int, minute: int
) -> None:
    due = parse_event_at(f"event +{days}d {hour:02d}:{minute:02d}").resolve(at, VN, WEEKEND)
    assert due.date() == at.date() + dt.timedelta(days=days)
    assert (due.hour, due.minute) == (hour, minute)
    assert due > at


@given(moments, st.integers(1, 10), st.integers(0, 23))
def test_working_days_skip_the_weekend_and_never_come_before_the_event(
    at: dt.datetime, count: int, hour: int
) -> None:
    text = "the next working day" if count == 1 else f"event +{count} ngày làm việc"
    due = parse_event_at(f"{text} {hour:02d}:00").resolve(at, VN, WEEKEND)
    assert due.weekday() < 5 and due.date() > at.date() and due.hour == hour
    assert (
        sum(
            1
            for i in range(1, (due.date() - at.date()).days + 1)
            if (at.date() + dt.timedelta(days=i)).weekday() < 5
        )
        == count
    )


@given(st.text(max_size=40))
def test_any_text_is_read_or_refused_with_a_sentence(text: str) -> None:
    try:
        found = parse_event_at(text)
    except ExpressionError as exc:
        assert exc.message and exc.hint
        return
    due = found.resolve(AT, VN, WEEKEND)
    assert due >= AT or found.time is not None  # "event 07:00" may be that morning


@given(
    st.dictionaries(
        st.sampled_from(["ten_bao"]),
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30).filter(
            str.strip
        ),
        min_size=1,
    ),
    st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True),
    moments,
)
def test_one_event_gives_the_same_unique_keys_whatever_its_data(
    data: dict[str, str], event_id: str, at: dt.datetime
) -> None:
    storm = campaign(STORM)
    (trigger,) = storm.triggers
    catalog = ChannelCatalog(
        targets={"console": (), "telegram": ("nhom-vp", "kenh-tinh")}, defaults=("console",)
    )
    cleaned, problem = clean_data([trigger], data, catalog)
    assert problem is None
    first = start(storm, trigger, Event("canh-bao-bao", event_id, at, cleaned), catalog)
    again = start(storm, trigger, Event("canh-bao-bao", event_id, at, {"ten_bao": "khác"}), catalog)
    keys = [d.key for d in first.dispatches]
    assert keys == [d.key for d in again.dispatches]
    assert len(set(keys)) == len(keys) == 4
    assert all(d.due >= at and d.occurrence == event_id and not d.error for d in first.dispatches)
    assert all(cleaned["ten_bao"] in d.text for d in first.dispatches)
