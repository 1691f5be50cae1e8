"""Every kind of feed read by two strict iCalendar parsers that loa did not write and does not
write with: ``ical`` (pydantic models, RFC 5545 validation) and ``vobject`` (with
``validate=True``). Both must accept each feed, and each event cut out as its own calendar,
with no exception, no Python warning and no WARNING log record, and read back the same
events: UIDs, SEQUENCE, STATUS, dates and times, and the Vietnamese text."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream
from ical.exceptions import CalendarParseError
from vobject.icalendar import stringToDurations

from tests.feeds import (
    DIA_DIEM,
    EDITED,
    EXPECTED_AFTER_EDIT,
    FEED_MEMBERS,
    MO_TA,
    PHAT_DONG,
    UNIT,
    collect_warnings,
    every_feed,
    split_events,
    synced_store,
)

ONE_HOUR = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every feed after the edit (confirmed, updated and cancelled events)."""
    return every_feed(synced_store(tmp_path_factory.mktemp("feeds") / "loa.db"))


@pytest.fixture(scope="module")
def first_feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every feed as first synced, before the edit."""
    path = tmp_path_factory.mktemp("first") / "loa.db"
    return every_feed(synced_store(path, edited=False), EDITED - dt.timedelta(days=1))


def read_ical(data: bytes) -> list[dict[str, Any]]:
    calendar = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    assert calendar.prodid == "-//loa//lịch chiến dịch//VI" and calendar.version == "2.0"
    return [
        {
            "uid": e.uid, "summary": e.summary, "sequence": e.sequence,
            "status": str(e.status.value if e.status else ""), "start": e.dtstart, "end": e.dtend,
            "description": e.description, "location": e.location or "",
            "categories": list(e.categories), "url": e.url or "",
            "alarms": [a.trigger for a in e.alarm],
        }
        for e in calendar.events
    ]  # fmt: skip


def read_vobject(data: bytes) -> list[dict[str, Any]]:
    text = data.decode("utf-8")
    assert len(list(vobject.readComponents(text))) == 1
    calendar = vobject.readOne(text, validate=True)
    events = []
    for e in calendar.contents.get("vevent", []):

        def one(name: str, e: Any = e) -> Any:
            found = e.contents.get(name, [])
            assert len(found) <= 1, name
            return found[0].value if found else ""

        events.append({
            "uid": one("uid"), "summary": one("summary"), "sequence": int(one("sequence")),
            "status": one("status"), "start": one("dtstart"), "end": one("dtend"),
            "description": one("description"), "location": one("location"),
            "categories": [c for line in e.contents.get("categories", []) for c in line.value],
            "url": one("url"),
            "alarms": [a.trigger.value for a in e.contents.get("valarm", [])],
        })  # fmt: skip
    return events


PARSERS = {"ical": read_ical, "vobject": read_vobject}


def parse_cleanly(name: str, data: bytes) -> list[dict[str, Any]]:
    with collect_warnings() as found:
        events = PARSERS[name](data)
    assert found == [], f"{name} warned: {found}"
    return events


def wall(moment: dt.date) -> tuple[Any, ...]:
    """What a calendar shows: the date, or the local wall time (offset checked elsewhere)."""
    if isinstance(moment, dt.datetime):
        return ("time", moment.replace(tzinfo=None))
    return ("date", moment)


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("path", FEED_MEMBERS)
def test_every_feed_parses_cleanly_with_the_events_it_should_hold(
    feeds: dict[str, bytes], path: str, parser: str
) -> None:
    events = parse_cleanly(parser, feeds[path])
    assert sorted(e["uid"] for e in events) == sorted(FEED_MEMBERS[path])
    for event in events:
        expected = EXPECTED_AFTER_EDIT[event["uid"]]
        assert event["summary"] == expected.summary
        assert event["sequence"] == expected.sequence
        assert event["status"] == expected.status
        assert wall(event["start"]) == wall(expected.start), event["uid"]
        assert wall(event["end"]) == wall(expected.end), event["uid"]
        assert event["description"].startswith("Chiến dịch: "), event["uid"]
        if expected.all_day:
            assert type(event["start"]) is dt.date and type(event["end"]) is dt.date
        else:
            assert event["start"].tzinfo is not None and event["end"].tzinfo is not None


@pytest.mark.parametrize("parser", PARSERS)
def test_the_first_version_parses_with_sequence_zero(
    first_feeds: dict[str, bytes], parser: str
) -> None:
    for path, data in first_feeds.items():
        events = parse_cleanly(parser, data)
        assert {e["sequence"] for e in events} == {0}, path
        assert {e["status"] for e in events} == {"CONFIRMED"}, path


@pytest.mark.parametrize("parser", PARSERS)
def test_vietnamese_text_comes_back_intact(feeds: dict[str, bytes], parser: str) -> None:
    events = {e["uid"]: e for e in parse_cleanly(parser, feeds["campaign/ngay-moi-truong"])}
    le = events["ngay-moi-truong:le-phat-dong:2026@loa"]
    assert le["location"] == DIA_DIEM
    assert le["description"] == (
        "Chiến dịch: Ngày Môi trường thế giới\n"
        f"Đơn vị chủ trì: {UNIT}\n"
        "Đơn vị phối hợp: Tỉnh đoàn, Hội Liên hiệp Phụ nữ tỉnh\n\n" + MO_TA
    )
    assert le["categories"] == ["phát-động", "môi trường", "nhựa"]
    assert le["url"] == "https://lich.example.vn/su-kien?nam=2026&muc=phat-dong"
    assert le["summary"] != PHAT_DONG  # the renamed title, read back whole
    report = events["ngay-moi-truong:bao-cao:2026@loa"]
    assert report["alarms"] == [-dt.timedelta(days=1)]
    assert events["ngay-moi-truong:thu-gom:2026@loa"]["alarms"] == []


def test_calendar_properties_read_as_durations(feeds: dict[str, bytes]) -> None:
    data = feeds["all"]
    with collect_warnings() as found:
        calendar = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
        card = vobject.readOne(data.decode("utf-8"), validate=True)
    assert found == []
    assert calendar.refresh_interval == ONE_HOUR
    assert calendar.name == ["loa: lịch chiến dịch"]
    assert {x.name: x.value for x in calendar.extras}["x-published-ttl"] == "PT1H"
    refresh = card.contents["refresh-interval"][0]
    assert refresh.params == {"VALUE": ["DURATION"]}
    assert stringToDurations(refresh.value) == [ONE_HOUR]
    assert stringToDurations(card.contents["x-published-ttl"][0].value) == [ONE_HOUR]
    assert card.contents["x-wr-calname"][0].value == "loa: lịch chiến dịch"


def test_vietnam_zone_is_one_standard_observance_at_plus_seven(feeds: dict[str, bytes]) -> None:
    data = feeds["campaign/ngay-moi-truong"].decode("utf-8")
    calendar = IcsCalendarStream.calendar_from_ics(data)
    (zone,) = calendar.timezones
    assert zone.tz_id == "Asia/Ho_Chi_Minh"
    assert len(zone.standard) == 1 and zone.daylight == []
    assert zone.standard[0].tz_offset_to.offset == dt.timedelta(hours=7)
    assert zone.standard[0].tz_offset_from.offset == dt.timedelta(hours=7)
    card = vobject.readOne(data, validate=True)
    (vtz,) = card.contents["vtimezone"]
    tz = vtz.gettzinfo()
    for moment in (
        dt.datetime(1980, 1, 1),
        dt.datetime(2026, 5, 28, 7, 30),
        dt.datetime(2090, 7, 1),
    ):
        assert tz.utcoffset(moment) == dt.timedelta(hours=7), moment


@pytest.mark.parametrize("parser", PARSERS)
def test_instants_of_timed_events_agree_with_the_campaign(
    feeds: dict[str, bytes], parser: str
) -> None:
    """The UTC instant each parser reads, in Vietnam (fixed +07:00) and in Berlin (summer time
    on 20 October, winter time on 1 December)."""
    events = parse_cleanly(parser, feeds["all"])
    wrong = {}
    for event in events:
        expected = EXPECTED_AFTER_EDIT[event["uid"]]
        if expected.all_day:
            continue
        got = (event["start"].astimezone(dt.UTC), event["end"].astimezone(dt.UTC))
        want = (expected.start.astimezone(dt.UTC), expected.end.astimezone(dt.UTC))  # type: ignore[attr-defined]
        if got != want:
            wrong[event["uid"]] = f"read {got[0]:%Y-%m-%d %H:%M}Z, is {want[0]:%Y-%m-%d %H:%M}Z"
    assert wrong == {}, f"{parser} misreads the time of: {wrong}"


@pytest.mark.parametrize("parser", PARSERS)
def test_each_event_alone_parses_cleanly(feeds: dict[str, bytes], parser: str) -> None:
    """What a CalDAV client stores: one VCALENDAR per event with the zones it uses."""
    pieces = split_events(feeds["all"])
    assert len(pieces) == len(EXPECTED_AFTER_EDIT)
    for uid, data in pieces:
        (event,) = parse_cleanly(parser, data)
        assert event["uid"] == uid and event["summary"] == EXPECTED_AFTER_EDIT[uid].summary


BROKEN = [
    ("DTSTART;VALUE=DATE:20260525", "DTSTART;VALUE=DATE:2026-05-25"),
    ("TZOFFSETTO:+0700", "TZOFFSETTO:+07"),
    ("END:VEVENT\r\nBEGIN:VEVENT", "BEGIN:VEVENT"),
]


@pytest.mark.parametrize(("good", "bad"), BROKEN)
def test_the_parsers_are_strict_enough_to_catch_a_broken_feed(
    feeds: dict[str, bytes], good: str, bad: str
) -> None:
    """A canary: the same feed with one mistake is rejected by both, so their silence above
    means something."""
    text = feeds["campaign/ngay-moi-truong"].decode("utf-8")
    assert good in text
    broken = text.replace(good, bad, 1)
    with pytest.raises((CalendarParseError, ValueError)):
        IcsCalendarStream.calendar_from_ics(broken)
    with pytest.raises((vobject.base.VObjectError, ValueError)):
        vobject.readOne(broken, validate=True).vevent_list  # noqa: B018
