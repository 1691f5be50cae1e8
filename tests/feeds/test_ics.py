"""The iCalendar text loa writes (campaigns/ics.py) and what each feed holds (scheduler/http/feeds.py),
checked on the bytes against RFC 5545/7986, with no iCalendar library reading them back."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import quote

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.ics import FeedEvent, FeedInfo, event_block, render_feed, render_plain
from scheduler.http.app import HttpState, create_app
from scheduler.http.feeds import KEEP_CANCELLED, FeedSelector, FeedStore, slug
from scheduler.sync import sync
from tests.feeds import (
    CAT,
    DIA_DIEM,
    EDITED,
    EXPECTED_AFTER_EDIT,
    FEED_MEMBERS,
    HOP_BERLIN,
    HORIZON,
    MO_TA,
    MOI_TRUONG_EDITED,
    NOW,
    PHAT_DONG,
    PHAT_DONG_MOI,
    UNIT,
    UNIT_SLUG,
    blocks,
    every_feed,
    params,
    prop,
    render,
    selector,
    synced_store,
    unescape,
    unfold,
    value,
)
from tests.helpers import campaign

STAMP = dt.datetime(2026, 5, 1, 1, 0, tzinfo=dt.UTC)
INFO = FeedInfo(name="loa: thử", description="Lịch thử, có dấu phẩy; và chấm phẩy")


def event(**changes: object) -> FeedEvent:
    base: dict[str, object] = {
        "uid": "c:le:2026@loa", "sequence": 0, "cancelled": False, "summary": "Lễ phát động",
        "start": dt.datetime(2026, 5, 28, 0, 30, tzinfo=dt.UTC),
        "end": dt.datetime(2026, 5, 28, 4, 0, tzinfo=dt.UTC),
        "timezone": "Asia/Ho_Chi_Minh", "stamp": STAMP,
    }  # fmt: skip
    base.update(changes)
    return FeedEvent(**base)  # type: ignore[arg-type]


def only(data: bytes) -> list[str]:
    found = blocks(data, "VEVENT")
    assert len(found) == 1
    return found[0]


def calendar_props(data: bytes) -> list[str]:
    """The VCALENDAR's own properties (before its first component)."""
    lines = unfold(data)
    end = next(i for i, line in enumerate(lines) if line.startswith("BEGIN:V") and i > 0)
    return lines[1:end]


# --- campaigns/ics.py -------------------------------------------------------------------------


def test_all_day_events_are_dates_with_an_exclusive_end_and_no_zone() -> None:
    one_day = event(start=dt.date(2026, 6, 5), end=None)
    period = event(uid="c:thang:2026@loa", start=dt.date(2026, 5, 25), end=dt.date(2026, 7, 1))
    data = render_feed(INFO, [one_day, period])
    first, second = blocks(data, "VEVENT")
    assert prop(first, "DTSTART") == ["DTSTART;VALUE=DATE:20260605"]
    assert prop(first, "DTEND") == ["DTEND;VALUE=DATE:20260606"]  # the day after: exclusive
    assert prop(second, "DTSTART") == ["DTSTART;VALUE=DATE:20260525"]
    assert prop(second, "DTEND") == ["DTEND;VALUE=DATE:20260701"]
    assert value(first, "TRANSP") == "TRANSPARENT"
    assert b"TZID" not in data and b"VTIMEZONE" not in data  # floating dates need no zone


def test_timed_events_are_local_times_of_their_zone() -> None:
    data = render_feed(INFO, [event()])
    lines = only(data)
    assert prop(lines, "DTSTART") == ["DTSTART;TZID=Asia/Ho_Chi_Minh:20260528T073000"]
    assert prop(lines, "DTEND") == ["DTEND;TZID=Asia/Ho_Chi_Minh:20260528T110000"]
    assert value(lines, "DTSTAMP") == "20260501T010000Z"  # UTC, as RFC 5545 requires
    assert value(lines, "LAST-MODIFIED") == "20260501T010000Z"
    assert value(lines, "TRANSP") == "OPAQUE"
    assert value(lines, "STATUS") == "CONFIRMED" and value(lines, "SEQUENCE") == "0"


def test_timed_event_without_an_end_has_no_dtend_equal_to_its_start() -> None:
    """RFC 5545 §3.8.2.2: DTEND, if present, MUST be later than DTSTART. An instant event
    (a timed deadline, an activity with only a start) should leave DTEND out (or give
    DURATION), not repeat DTSTART."""
    lines = only(render_feed(INFO, [event(end=None)]))
    starts, ends = prop(lines, "DTSTART"), prop(lines, "DTEND")
    assert not ends or params(ends[0])[2] > params(starts[0])[2], (starts, ends)


def test_header_has_duration_valued_refresh_interval_and_published_ttl() -> None:
    data = render_feed(INFO, [event()])
    head = calendar_props(data)
    assert "VERSION:2.0" in head and "CALSCALE:GREGORIAN" in head and "METHOD:PUBLISH" in head
    assert "PRODID:-//loa//lịch chiến dịch//VI" in head
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in head  # RFC 7986 §5.7
    assert "X-PUBLISHED-TTL:PT1H" in head
    assert "NAME:loa: thử" in head and "X-WR-CALNAME:loa: thử" in head
    assert "DESCRIPTION:Lịch thử\\, có dấu phẩy\\; và chấm phẩy" in head
    assert b"1:00:00" not in data
    custom = calendar_props(
        render_feed(
            FeedInfo("n", "", refresh=dt.timedelta(minutes=30), url="https://x.vn/feeds/all.ics"),
            [event()],
        )
    )
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT30M" in custom and "X-PUBLISHED-TTL:PT30M" in custom
    assert "SOURCE;VALUE=URI:https://x.vn/feeds/all.ics" in custom
    day = calendar_props(render_feed(FeedInfo("n", "", refresh=dt.timedelta(days=1)), [event()]))
    assert "REFRESH-INTERVAL;VALUE=DURATION:P1D" in day and "X-PUBLISHED-TTL:P1D" in day


def test_one_vtimezone_for_every_zone_used_and_none_other() -> None:
    events = [
        event(),
        event(uid="b@loa", start=dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC), end=None),
        event(uid="c@loa", timezone="Europe/Berlin"),
        event(uid="d@loa", timezone="America/New_York", start=dt.date(2026, 6, 5), end=None),
    ]
    data = render_feed(INFO, events)
    zones = [value(z, "TZID") for z in blocks(data, "VTIMEZONE")]
    used = set(re.findall(r";TZID=([^:;]+)[:;]", "\n".join(unfold(data))))
    assert sorted(zones) == sorted(used) == ["Asia/Ho_Chi_Minh", "Europe/Berlin"]


def test_vietnam_has_one_standard_component_and_berlin_its_transitions() -> None:
    data = render_feed(INFO, [event(), event(uid="c@loa", timezone="Europe/Berlin")])
    zones = {value(z, "TZID"): z for z in blocks(data, "VTIMEZONE")}
    vn = zones["Asia/Ho_Chi_Minh"]
    assert vn.count("BEGIN:STANDARD") == 1 and "BEGIN:DAYLIGHT" not in vn
    standard = vn[vn.index("BEGIN:STANDARD") : vn.index("END:STANDARD")]
    assert "TZOFFSETFROM:+0700" in standard and "TZOFFSETTO:+0700" in standard
    assert not [line for line in standard if line.startswith(("RDATE", "RRULE"))]
    assert any(line.startswith("DTSTART:") for line in standard)
    berlin = zones["Europe/Berlin"]
    assert "BEGIN:DAYLIGHT" in berlin and "TZOFFSETTO:+0200" in berlin
    assert "TZOFFSETTO:+0100" in berlin


def _check_lines(data: bytes) -> None:
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"") and b"\r" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line  # RFC 5545 §3.1: 75 octets, excluding the line break
        line.decode("utf-8")  # a fold never splits a UTF-8 sequence


def test_lines_fold_at_75_octets_without_splitting_a_character() -> None:
    long = event(
        summary=PHAT_DONG * 2,
        description=MO_TA + "\n\nDòng thứ hai: ở đâu, khi nào; ai?",
        location=DIA_DIEM,
        categories=("môi trường", "phát-động", "nhựa; vải, giấy"),
        url="https://lich.example.vn/su-kien?nam=2026&muc=phat-dong&ghi-chu=" + "x" * 80,
    )
    data = render_feed(INFO, [long])
    _check_lines(data)
    assert max(len(line) for line in data.split(b"\r\n")) == 75  # really folded
    lines = only(data)
    assert unescape(value(lines, "SUMMARY")) == PHAT_DONG * 2
    assert unescape(value(lines, "DESCRIPTION")) == long.description
    assert unescape(value(lines, "LOCATION")) == DIA_DIEM
    assert value(lines, "CATEGORIES") == "môi trường,phát-động,nhựa\\; vải\\, giấy"
    assert value(lines, "URL") == long.url


VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐƯƠ"
)


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=VIETNAMESE + " ,;:\\\"'🌱🇻🇳—«»", min_size=1, max_size=200),
    st.text(alphabet=VIETNAMESE + " ,;\n🌏", max_size=300),
)
def test_any_vietnamese_text_folds_cleanly_and_comes_back_intact(
    summary: str, description: str
) -> None:
    data = event_block(event(summary=summary, description=description))
    _check_lines(data)
    lines = only(b"BEGIN:VCALENDAR\r\n" + data + b"END:VCALENDAR\r\n")
    assert unescape(value(lines, "SUMMARY")) == summary
    if description:
        assert unescape(value(lines, "DESCRIPTION")) == description


def test_cancelled_event_says_so_and_rings_no_alarm() -> None:
    deadline = event(start=dt.date(2026, 7, 10), end=None, alarms=(dt.timedelta(days=1),))
    live = only(render_feed(INFO, [deadline]))
    assert value(live, "STATUS") == "CONFIRMED"
    assert "BEGIN:VALARM" in live and "TRIGGER:-P1D" in live and "ACTION:DISPLAY" in live
    gone = only(
        render_feed(INFO, [event(**{**deadline.__dict__, "cancelled": True, "sequence": 2})])
    )
    assert value(gone, "STATUS") == "CANCELLED" and value(gone, "SEQUENCE") == "2"
    assert "BEGIN:VALARM" not in gone


def test_event_blocks_are_cached_by_value() -> None:
    first = event(summary="Bộ nhớ đệm")
    assert event_block(first) is event_block(event(summary="Bộ nhớ đệm"))
    changed = event_block(event(summary="Bộ nhớ đệm", sequence=1))
    assert changed != event_block(first) and b"SEQUENCE:1" in changed


def test_cached_rendering_equals_plain_icalendar_rendering() -> None:
    events = [
        event(),
        event(uid="d@loa", start=dt.date(2026, 6, 5), end=None, alarms=(dt.timedelta(days=1),)),
        event(uid="x@loa", cancelled=True, sequence=3, timezone="Europe/Berlin"),
    ]
    assert render_feed(INFO, events) == render_plain(INFO, events)


# --- scheduler/http/feeds.py -----------------------------------------------------------------------


def test_slugs_of_vietnamese_unit_names() -> None:
    assert slug(UNIT) == UNIT_SLUG
    assert slug("Đoàn Thanh niên Cộng sản Hồ Chí Minh") == "doan-thanh-nien-cong-san-ho-chi-minh"
    assert slug("  Văn phòng UBND tỉnh (VP)  ") == "van-phong-ubnd-tinh-vp"
    assert slug("môi trường") == slug("Môi-trường") == "moi-truong"
    assert slug("Đường đua xanh") == "duong-dua-xanh"
    assert slug("ngay-moi-truong") == "ngay-moi-truong"  # a campaign id is its own slug


@given(st.text(max_size=40).filter(str.strip))
def test_every_name_has_a_slug_fit_for_a_url(name: str) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug(name)), name
    assert slug(slug(name)) == slug(name)


def test_each_feed_holds_exactly_its_events(tmp_path: Path) -> None:
    engine = synced_store(tmp_path / "loa.db")
    for path, data in every_feed(engine).items():
        uids = [value(b, "UID") for b in blocks(data, "VEVENT")]
        assert sorted(uids) == sorted(FEED_MEMBERS[path]), path
        _check_lines(data)
        zones = {value(z, "TZID") for z in blocks(data, "VTIMEZONE")}
        used = set(re.findall(r";TZID=([^:;]+)[:;]", "\n".join(unfold(data))))
        assert zones == used, path


def test_unknown_feeds_do_not_exist(tmp_path: Path) -> None:
    store = FeedStore(synced_store(tmp_path / "loa.db"))
    for path in ("campaign/khong-co", "unit/khong-co", "tag/khong-co", "unit/so-tai-nguyen"):
        assert not store.exists(selector(path)), path
    assert store.exists(FeedSelector("all"))


def test_events_carry_campaign_units_tags_and_vietnamese_text(tmp_path: Path) -> None:
    store = FeedStore(synced_store(tmp_path / "loa.db"), "https://lich.example.vn")
    data = render(store, "campaign/ngay-moi-truong")
    events = {value(b, "UID"): b for b in blocks(data, "VEVENT")}
    le = events["ngay-moi-truong:le-phat-dong:2026@loa"]
    assert unescape(value(le, "SUMMARY")) == PHAT_DONG_MOI
    assert unescape(value(le, "LOCATION")) == DIA_DIEM
    assert unescape(value(le, "DESCRIPTION")) == (
        "Chiến dịch: Ngày Môi trường thế giới\n"
        f"Đơn vị chủ trì: {UNIT}\n"
        "Đơn vị phối hợp: Tỉnh đoàn, Hội Liên hiệp Phụ nữ tỉnh\n\n" + MO_TA
    )
    assert value(le, "CATEGORIES") == "phát-động,môi trường,nhựa"
    assert value(le, "URL") == "https://lich.example.vn/su-kien?nam=2026&muc=phat-dong"
    report = events["ngay-moi-truong:bao-cao:2026@loa"]
    assert (
        unescape(value(report, "SUMMARY")) == "Hạn: Báo cáo kết quả Tháng hành động vì môi trường"
    )
    assert "TRIGGER:-P1D" in report
    head = calendar_props(data)
    assert "NAME:loa: Ngày Môi trường thế giới" in head
    assert "SOURCE;VALUE=URI:https://lich.example.vn/feeds/campaign/ngay-moi-truong.ics" in head
    unit_head = calendar_props(render(store, f"unit/{UNIT_SLUG}"))
    assert f"NAME:loa: {UNIT}" in unit_head


def test_edit_keeps_uids_raises_sequence_and_cancels_the_deleted(tmp_path: Path) -> None:
    engine = synced_store(tmp_path / "loa.db", edited=False)
    store = FeedStore(engine)
    path = "campaign/ngay-moi-truong"
    before = {value(b, "UID"): b for b in blocks(render(store, path, NOW), "VEVENT")}
    version_before = store.version(selector(path), NOW)
    sync(
        engine, [campaign(MOI_TRUONG_EDITED, CAT), campaign(HOP_BERLIN, CAT)], CAT, EDITED, HORIZON
    )
    version_after = store.version(selector(path), EDITED)
    after = {value(b, "UID"): b for b in blocks(render(store, path, EDITED), "VEVENT")}
    assert set(after) == set(before)  # the deleted one is still there, cancelled
    assert version_after.etag != version_before.etag
    assert version_after.last_modified == EDITED
    for uid, lines in after.items():
        expected = EXPECTED_AFTER_EDIT[uid]
        assert int(value(lines, "SEQUENCE")) == expected.sequence, uid
        assert int(value(lines, "SEQUENCE")) - int(value(before[uid], "SEQUENCE")) == (
            expected.sequence
        )
        assert value(lines, "STATUS") == expected.status, uid
        changed = expected.sequence > 0
        assert value(lines, "DTSTAMP") == ("20260502T010000Z" if changed else "20260501T010000Z")
    assert unescape(value(before["ngay-moi-truong:le-phat-dong:2026@loa"], "SUMMARY")) == PHAT_DONG
    assert unescape(value(after["ngay-moi-truong:le-phat-dong:2026@loa"], "SUMMARY")) == (
        PHAT_DONG_MOI
    )
    moved = after["ngay-moi-truong:ngay-chinh:2026@loa"]
    assert prop(moved, "DTSTART") == ["DTSTART;VALUE=DATE:20260607"]
    assert prop(moved, "DTEND") == ["DTEND;VALUE=DATE:20260608"]
    gone = after["ngay-moi-truong:thu-gom:2026@loa"]
    assert prop(gone, "DTSTART") == ["DTSTART;TZID=Asia/Ho_Chi_Minh:20260612T080000"]


def test_version_is_stable_until_something_changes_and_renders_are_reused(tmp_path: Path) -> None:
    engine = synced_store(tmp_path / "loa.db")
    store = FeedStore(engine)
    chosen = selector("all")
    first = store.version(chosen, EDITED)
    assert store.version(chosen, EDITED) == first
    body = store.render(chosen, first, EDITED)
    assert store.render(chosen, first, EDITED) is body
    sync(
        engine, [campaign(MOI_TRUONG_EDITED, CAT), campaign(HOP_BERLIN, CAT)], CAT, EDITED, HORIZON
    )
    assert store.version(chosen, EDITED) == first  # a sync that changes nothing
    assert store.version(chosen, EDITED + dt.timedelta(days=1)).etag != first.etag  # day rolls


def test_cancelled_events_stay_for_thirty_days_then_leave(tmp_path: Path) -> None:
    store = FeedStore(synced_store(tmp_path / "loa.db"))
    cancelled = "ngay-moi-truong:thu-gom:2026@loa"
    for days, present in ((0, True), (29, True), (31, False)):
        now = EDITED + dt.timedelta(days=days)
        uids = {value(b, "UID") for b in blocks(render(store, "all", now), "VEVENT")}
        assert (cancelled in uids) is present, days
        assert "ngay-moi-truong:le-phat-dong:2026@loa" in uids  # confirmed ones stay
    assert dt.timedelta(days=30) == KEEP_CANCELLED


def test_renaming_a_campaign_changes_its_feeds(tmp_path: Path) -> None:
    """The campaign title is in every event's DESCRIPTION and in the calendar NAME; a rename
    must change the feed's validator, or clients (and the daemon's render cache) keep the old
    text for good."""
    engine = synced_store(tmp_path / "loa.db")
    store = FeedStore(engine)
    path = "campaign/ngay-moi-truong"
    old_version = store.version(selector(path), EDITED)
    assert "Chiến dịch: Ngày Môi trường thế giới".encode() in render(store, path)
    renamed = MOI_TRUONG_EDITED.replace(
        'title = "Ngày Môi trường thế giới"\ndescription',
        'title = "Hưởng ứng Ngày Môi trường"\ndescription',
    )
    later = EDITED + dt.timedelta(hours=1)
    sync(engine, [campaign(renamed, CAT), campaign(HOP_BERLIN, CAT)], CAT, later, HORIZON)
    new_version = store.version(selector(path), later)
    served = store.render(selector(path), new_version, later)
    assert new_version.etag != old_version.etag
    assert "NAME:loa: Hưởng ứng Ngày Môi trường" in calendar_props(served)
    assert "Chiến dịch: Hưởng ứng Ngày Môi trường" in served.decode()


def test_a_deleted_campaign_stays_in_its_feeds_as_cancelled(tmp_path: Path) -> None:
    """feeds.py: "A removed or cancelled occurrence stays in its feeds as STATUS:CANCELLED for
    KEEP_CANCELLED so subscribed clients remove it". Subscribers of a deleted campaign's own
    feed (or of its tag) must get the cancellations, not a 404 or an empty feed."""
    engine = synced_store(tmp_path / "loa.db")
    store = FeedStore(engine)
    later = EDITED + dt.timedelta(hours=1)
    sync(engine, [campaign(MOI_TRUONG_EDITED, CAT)], CAT, later, HORIZON)  # hop-berlin deleted
    berlin = {u for u in EXPECTED_AFTER_EDIT if u.startswith("hop-berlin:")}
    everything = {value(b, "UID"): b for b in blocks(render(store, "all", later), "VEVENT")}
    assert {value(everything[u], "STATUS") for u in berlin} == {"CANCELLED"}
    for path in ("campaign/hop-berlin", "tag/đối-ngoại"):
        chosen = selector(path)
        assert store.exists(chosen), f"{path} is a 404 once its campaign file is deleted"
        data = store.render(chosen, store.version(chosen, later), later)
        found = {value(b, "UID"): value(b, "STATUS") for b in blocks(data, "VEVENT")}
        assert found == dict.fromkeys(berlin, "CANCELLED"), path


async def test_a_private_feed_stays_private_however_its_name_is_written(tmp_path: Path) -> None:
    """config.toml may name a private feed as people write it (``tag/Đối ngoại``); it is served
    at its slug, so the token must guard the slug, and the index must not list it."""
    engine = synced_store(tmp_path / "loa.db")
    state = HttpState(db=engine, feed_tokens={"tag/Đối ngoại": "bi-mat-42"})
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://loa") as http:
        for path in ("doi-ngoai", quote("đối-ngoại"), quote("Đối ngoại")):
            assert (await http.get(f"/feeds/tag/{path}.ics")).status_code == 404, path
            with_token = await http.get(f"/feeds/tag/{path}.ics?token=bi-mat-42")
            assert with_token.status_code == 200, path
        index = (await http.get("/")).text
        assert "tag/nhua.ics" in index and "ngoai" not in index
