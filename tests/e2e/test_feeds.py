"""Calendar feeds from the real ``loa run`` process over HTTP: every kind of feed parses with two
independent parsers; conditional requests (ETag, Last-Modified) and HEAD; an edited campaign
file keeps UIDs, raises SEQUENCE and cancels what was deleted; bad requests get clean 4xx
answers and the daemon keeps serving; ``loa export-ics`` writes the same calendar."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream

from tests.e2e.harness import Office, wait_for
from tests.feeds import collect_warnings

pytestmark = pytest.mark.slow

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TOKEN = "Loa-bi-mat-2026_x7Kq"
TOKEN_ENV = "LOA_TEST_FEED_TOKEN"
UNIT = "Sở Tài nguyên và Môi trường"
CALENDAR = "text/calendar; charset=utf-8"


def day(offset: int) -> dt.date:
    """A day ahead of today in Vietnam, so the daemon's horizon always holds the events."""
    return dt.datetime.now(VN).date() + dt.timedelta(days=offset)


def ngay_hoi() -> str:
    d = day
    return f'''id = "ngay-hoi"
title = "Ngày hội Sống xanh"
description = "Thu gom, phân loại rác thải nhựa; trồng cây xanh."
tags = ["môi-trường"]

[[activity]]
id = "le-phat-dong"
title = "Lễ phát động Ngày hội Sống xanh — chống rác thải nhựa 🌱"
start = {d(20)}T07:30:00
end = {d(20)}T11:00:00
location = "Hội trường Ủy ban nhân dân tỉnh, số 1 đường Trần Hưng Đạo"
lead = "{UNIT}"
partners = ["Tỉnh đoàn"]
description = "Diễu hành, ký cam kết; trao tặng túi vải."
tags = ["Đoàn thanh niên", "môi trường"]

[[activity]]
id = "thang-hanh-dong"
title = "Tháng hành động vì môi trường"
start = {d(25)}
end = {d(60)}
lead = "{UNIT}"

[[activity]]
id = "ngay-chinh"
title = "Ngày Môi trường thế giới"
start = {d(30)}
lead = "Văn phòng UBND tỉnh"

[[activity]]
id = "thu-gom"
title = "Ngày hội thu gom pin cũ"
start = {d(35)}T08:00:00
end = {d(35)}T10:00:00
lead = "Tỉnh đoàn"

[[deadline]]
id = "bao-cao"
title = "Báo cáo kết quả Ngày hội"
due = {d(70)}
lead = "{UNIT}"
'''


def ngay_hoi_edited() -> str:
    d = day
    text = ngay_hoi()
    text = text.replace(
        "Lễ phát động Ngày hội Sống xanh — chống rác thải nhựa 🌱",
        "Lễ phát động Ngày hội Sống xanh (đổi giờ, đổi địa điểm) 🌏",
    )
    text = text.replace(f'id = "ngay-chinh"\ntitle = "Ngày Môi trường thế giới"\nstart = {d(30)}',
                        f'id = "ngay-chinh"\ntitle = "Ngày Môi trường thế giới"\nstart = {d(32)}')  # fmt: skip
    deleted = text[text.index('[[activity]]\nid = "thu-gom"') : text.index("[[deadline]]")]
    return text.replace(deleted, "")


BI_MAT = f"""id = "bi-mat"
title = "Kế hoạch kiểm tra đột xuất"

[[activity]]
id = "kiem-tra"
title = "Kiểm tra đột xuất cơ sở sản xuất"
start = {day(40)}T08:00:00
end = {day(40)}T11:30:00
lead = "Thanh tra Sở"
"""

UIDS = {
    f"ngay-hoi:{item}:once@loa"
    for item in ("le-phat-dong", "thang-hanh-dong", "ngay-chinh", "thu-gom", "bao-cao")
}


def parse(data: bytes) -> dict[str, dict[str, Any]]:
    """Both parsers, no warnings; uid → what both read (they must agree)."""
    text = data.decode("utf-8")
    with collect_warnings() as found:
        calendar = IcsCalendarStream.calendar_from_ics(text)
        card = vobject.readOne(text, validate=True)
    assert found == [], found
    by_ical = {
        e.uid: {
            "summary": e.summary, "sequence": e.sequence,
            "status": e.status.value if e.status else "",
            "start": e.dtstart, "end": e.dtend,
        }
        for e in calendar.events
    }  # fmt: skip
    by_vobject = {
        e.uid.value: {
            "summary": e.summary.value, "sequence": int(e.sequence.value),
            "status": e.status.value, "start": e.dtstart.value, "end": e.dtend.value,
        }
        for e in card.contents.get("vevent", [])
    }  # fmt: skip
    assert by_ical == by_vobject
    return by_ical


def raw(
    base: str, target: bytes, method: bytes = b"GET", headers: bytes = b""
) -> tuple[int, bytes]:
    """Send a request line exactly as given (no client normalising dots or escapes); the status
    and body of the answer."""
    where = urlsplit(base)
    with socket.create_connection((where.hostname, where.port), timeout=10) as conn:
        request = (
            method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + headers + b"\r\n"
        )  # fmt: skip
        with contextlib.suppress(OSError):  # it may answer and close before reading it all
            conn.sendall(request)
        data = b""
        try:
            while chunk := conn.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    assert data.startswith(b"HTTP/1.1 "), (target[:200], data[:200])
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def metric(base: str, kind: str, status: str) -> float:
    text = httpx.get(f"{base}/metrics").text
    found = re.search(
        rf'^loa_feed_requests_total\{{kind="{kind}",status="{status}"\}} (\S+)$', text, re.M
    )
    return float(found[1]) if found else 0.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Office, str]]:
    """One daemon for the read-only tests: two campaigns, one of them a private feed."""
    office = Office(tmp_path_factory.mktemp("feeds") / "office")
    office.write_config(http=f'private_feeds = {{ "campaign/bi-mat" = "{TOKEN_ENV}" }}\n')
    office.campaign("ngay-hoi", ngay_hoi())
    office.campaign("bi-mat", BI_MAT)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TOKEN_ENV, TOKEN)
        process = office.start()
    try:
        office.started(process)
        yield office, office.http_url()
        code, _, log = office.stop(process)
        assert code == 0 and "Traceback" not in log, log
    finally:
        office.close()


FEEDS = [
    "/feeds/all.ics",
    "/feeds/campaign/ngay-hoi.ics",
    f"/feeds/unit/{quote('so-tai-nguyen-va-moi-truong')}.ics",
    "/feeds/unit/tinh-doan.ics",
    f"/feeds/tag/{quote('môi-trường')}.ics",
    f"/feeds/campaign/bi-mat.ics?token={TOKEN}",
]


@pytest.mark.parametrize("path", FEEDS)
def test_every_kind_of_feed_is_served_and_parses_cleanly(
    served: tuple[Office, str], path: str
) -> None:
    _, base = served
    answer = httpx.get(base + path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == CALENDAR
    assert answer.headers["etag"].startswith('"') and answer.headers["last-modified"]
    events = parse(answer.content)
    assert events
    if "ngay-hoi" in path or "all" in path:
        lead = events["ngay-hoi:le-phat-dong:once@loa"]
        assert lead["summary"] == "Lễ phát động Ngày hội Sống xanh — chống rác thải nhựa 🌱"
        assert lead["start"] == dt.datetime.combine(day(20), dt.time(7, 30), tzinfo=VN)
        period = events["ngay-hoi:thang-hanh-dong:once@loa"]
        assert (period["start"], period["end"]) == (day(25), day(61))  # exclusive end
    for line in answer.content.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")


def test_conditional_requests_and_head(served: tuple[Office, str]) -> None:
    _, base = served
    url = f"{base}/feeds/campaign/ngay-hoi.ics"
    first = httpx.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert "max-age" in first.headers["cache-control"]
    again = httpx.get(url)
    assert again.headers["etag"] == etag and again.content == first.content

    same = httpx.get(url, headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["etag"] == etag and same.headers["last-modified"] == modified
    listed = httpx.get(url, headers={"If-None-Match": f'"nope", {etag}'})
    assert listed.status_code == 304
    assert httpx.get(url, headers={"If-None-Match": "*"}).status_code == 304
    assert httpx.get(url, headers={"If-None-Match": '"khac"'}).status_code == 200

    assert httpx.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    parsed = email.utils.parsedate_to_datetime(modified)
    later = email.utils.format_datetime(parsed + dt.timedelta(hours=1), usegmt=True)
    earlier = email.utils.format_datetime(parsed - dt.timedelta(seconds=1), usegmt=True)
    assert httpx.get(url, headers={"If-Modified-Since": later}).status_code == 304
    assert httpx.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    assert httpx.get(url, headers={"If-Modified-Since": "yesterday"}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    both = httpx.get(url, headers={"If-None-Match": '"khac"', "If-Modified-Since": later})
    assert both.status_code == 200

    head = httpx.head(url)
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "last-modified", "content-type", "cache-control"):
        assert head.headers[name] == first.headers[name], name
    assert int(head.headers["content-length"]) == first.num_bytes_downloaded
    head_304 = httpx.head(url, headers={"If-None-Match": etag})
    assert head_304.status_code == 304 and head_304.content == b""


def test_feeds_are_gzipped_for_clients_that_ask(served: tuple[Office, str]) -> None:
    """A large feed shrinks about twentyfold with gzip (mobile data, slow links); clients that
    do not ask get it plain. Both are the same version: either ETag gets a 304."""
    _, base = served
    url = f"{base}/feeds/all.ics"
    zipped = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    refused = httpx.get(url, headers={"Accept-Encoding": "gzip;q=0"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers and "content-encoding" not in refused.headers
    assert zipped.content == plain.content == refused.content  # httpx decodes the gzip
    assert zipped.num_bytes_downloaded * 2 < plain.num_bytes_downloaded  # 3 KB here
    assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["etag"] != plain.headers["etag"]  # one ETag per representation
    for etag in (zipped.headers["etag"], plain.headers["etag"]):
        for encoding in ("gzip", "identity"):
            again = httpx.get(url, headers={"If-None-Match": etag, "Accept-Encoding": encoding})
            assert again.status_code == 304


def test_weak_etag_in_if_none_match_gets_304(served: tuple[Office, str]) -> None:
    """RFC 9110 §13.1.2: If-None-Match uses the weak comparison, so W/"x" matches "x". Proxies
    that compress (nginx with gzip on) turn strong ETags into weak ones, and clients send
    those back."""
    _, base = served
    url = f"{base}/feeds/all.ics"
    etag = httpx.get(url).headers["etag"]
    assert httpx.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def test_private_feed_needs_its_token(served: tuple[Office, str]) -> None:
    _, base = served
    url = f"{base}/feeds/campaign/bi-mat.ics"
    unknown = httpx.get(f"{base}/feeds/campaign/khong-co.ics")
    assert unknown.status_code == 404
    for query in ("", "?token=", "?token=sai", f"?token={TOKEN[:-1]}", f"?token={TOKEN}x",
                  f"?TOKEN={TOKEN}", f"?token={TOKEN.lower()}"):  # fmt: skip
        answer = httpx.get(url + query)
        assert answer.status_code == 404, query
        assert answer.content == unknown.content  # a guess learns nothing
        assert "etag" not in answer.headers
        assert httpx.head(url + query).status_code == 404
    good = httpx.get(f"{url}?token={TOKEN}")
    assert good.status_code == 200
    assert set(parse(good.content)) == {"bi-mat:kiem-tra:once@loa"}
    index = httpx.get(f"{base}/")  # the public page, without a session
    assert index.status_code == 200 and "campaign/ngay-hoi.ics" in index.text
    assert "bi-mat" not in index.text


BAD: list[tuple[bytes, set[int]]] = [
    (b"/feeds/campaign/khong-co.ics", {404}),
    (b"/feeds/campaign/..%2F..%2Fetc%2Fpasswd.ics", {404}),
    (b"/feeds/campaign/..%2F..%2Fconfig.toml", {404}),
    (b"/feeds/../config.toml", {400, 404}),
    (b"/feeds/../../../../etc/passwd", {400, 404}),
    (b"/feeds/%2e%2e/config.toml", {400, 404}),
    (b"/feeds/campaign/%2e%2e.ics", {404}),
    (b"/feeds/campaign/%2E%2E%2F%2E%2E%2Fdata%2Floa.db.ics", {404}),
    (b"/feeds/campaign/..%252F..%252Fconfig.toml.ics", {404}),
    (b"/feeds/unit/..%5C..%5Cconfig.toml.ics", {404}),
    (b"/feeds/campaign/%C0%AE%C0%AE%2Fconfig.toml.ics", {400, 404}),
    (b"/feeds/campaign/ngay-hoi%00.ics", {400, 404}),
    (b"/feeds/campaign/%zz.ics", {400, 404}),
    (b"/feeds/campaign/%.ics", {400, 404}),
    (b"/feeds/campaign/ngay-hoi.ics.ics", {404}),
    (b"/feeds/campaign/.ics", {404}),
    (b"/feeds/calendar/ngay-hoi.ics", {404}),
    (b"/feeds/tag/" + b"a" * 300 + b".ics", {404}),
    (b"/feeds/campaign/bi-mat.ics?token=%zz%", {400, 404}),
    (b"/feeds/campaign/bi-mat.ics?token=%ff%fe%00", {400, 404}),
    (b"/feeds/campaign/bi-mat.ics?token=" + TOKEN.encode() + b"%00", {400, 404}),
    (b"/feeds/campaign/bi-mat.ics?token=a&token=b&&&==&%", {400, 404}),
    (b"/feeds/all.ics?" + b"a=" * 5_500, {414}),  # 11 KB
    (b"/feeds/campaign/ngay-hoi.ics?q=" + b"%41" * 4_000, {414}),  # 12 KB of escapes
    (b"/feeds/all.ics?" + b"x" * 15_000, {400, 414, 431}),
    (b"/feeds/all.ics?" + b"x" * 100_000, {400, 414, 431}),
    (b"/feeds/" + b"a/" * 6_000 + b"x.ics", {400, 404, 414, 431}),
    ("/feeds/campaign/ngày-hội.ics".encode(), {400, 404}),  # raw UTF-8 in the request line
]


def test_bad_requests_get_clean_4xx_and_the_daemon_keeps_serving(
    served: tuple[Office, str],
) -> None:
    office, base = served
    invalid_before = metric(base, "invalid", "404")
    wrong = []
    for target, allowed in BAD:
        status, body = raw(base, target)
        if status not in allowed or len(body) > 1000 or b"Traceback" in body:
            wrong.append((target[:80], status, body[:120]))
    for method in (b"POST", b"PUT", b"DELETE", b"PROPFIND"):
        status, _ = raw(base, b"/feeds/all.ics", method=method)
        if status != 405:
            wrong.append((method, status, b""))
    status, _ = raw(base, b"/feeds/all.ics", headers=b"If-None-Match: \x01\xff\r\n")
    if status not in (200, 400):
        wrong.append((b"control bytes in If-None-Match", status, b""))
    assert wrong == []
    assert metric(base, "invalid", "404") > invalid_before
    health = httpx.get(f"{base}/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert httpx.get(f"{base}/feeds/all.ics").status_code == 200
    assert httpx.get(f"{base}/feeds/campaign/bi-mat.ics?token={TOKEN}").status_code == 200
    assert "Traceback" not in office.log() and "Lỗi máy chủ" not in office.log()


def test_tags_with_spaces_and_diacritics_have_feeds_under_one_slug(
    served: tuple[Office, str],
) -> None:
    """docs/campaign-files.md's own example, ``tags = ["môi trường"]``: the feed lives at its
    slug (the rule unit feeds use), the index links it, and its name as written finds it too.
    ``môi-trường`` (the campaign's tag) and ``môi trường`` (an activity's) are one feed."""
    office, base = served
    leader = "ngay-hoi:le-phat-dong:once@loa"
    index = httpx.get(f"{base}/").text  # the public page, without a session
    for slugged in ("doan-thanh-nien", "moi-truong"):
        assert f'href="/feeds/tag/{slugged}.ics"' in index, index
        assert re.search(rf'href="webcal://[^/"]+/feeds/tag/{slugged}\.ics"', index), index
    assert "Nhãn: Đoàn thanh niên" in index
    canonical = httpx.get(f"{base}/feeds/tag/doan-thanh-nien.ics")
    assert canonical.status_code == 200, canonical.text
    assert set(parse(canonical.content)) == {leader}
    for written in ("Đoàn thanh niên", "môi trường", "môi-trường"):
        by_name = httpx.get(f"{base}/feeds/tag/{quote(written)}.ics")
        assert by_name.status_code == 200, written
    assert set(parse(httpx.get(f"{base}/feeds/tag/{quote('Đoàn thanh niên')}.ics").content)) == {
        leader
    }
    assert set(parse(httpx.get(f"{base}/feeds/tag/moi-truong.ics").content)) == UIDS
    assert httpx.get(f"{base}/feeds/tag/{quote('Đoàn thanh')}.ics").status_code == 404
    assert httpx.get(f"{base}/feeds/campaign/NGAY-HOI.ics").status_code == 200  # one rule
    for written in ("Đoàn thanh niên", "doan-thanh-nien"):
        out = office.root / "xuat" / "doan.ics"
        with pytest.MonkeyPatch.context() as env:
            env.setenv(TOKEN_ENV, TOKEN)
            done = office.loa("export-ics", "-o", str(out), "--tag", written)
        assert done.returncode == 0, done.stderr
        assert set(parse(out.read_bytes())) == {leader}, written


def test_metrics_count_feed_requests(served: tuple[Office, str]) -> None:
    _, base = served
    url = f"{base}/feeds/campaign/ngay-hoi.ics"
    before = {s: metric(base, "campaign", s) for s in ("200", "304", "404")}
    etag = httpx.get(url).headers["etag"]
    httpx.get(url, headers={"If-None-Match": etag})
    httpx.get(f"{base}/feeds/campaign/khong-co.ics")
    after = {s: metric(base, "campaign", s) for s in ("200", "304", "404")}
    assert {s: after[s] - before[s] for s in after} == {"200": 1, "304": 1, "404": 1}
    # the whole feed is counted under its own kind (asked here: the module's other tests that
    # read it may run in another xdist worker, with a daemon of its own)
    all_before = metric(base, "all", "200")
    assert httpx.get(f"{base}/feeds/all.ics").status_code == 200
    assert metric(base, "all", "200") == all_before + 1
    text = httpx.get(f"{base}/metrics").text
    assert "# TYPE loa_feed_requests_total counter" in text
    assert re.search(r'^loa_feed_requests_total\{kind="all",status="200"\} [1-9]', text, re.M)


def test_edit_keeps_uids_raises_sequence_and_cancels_the_deleted(office: Office) -> None:
    office.campaign("ngay-hoi", ngay_hoi())
    process = office.start()
    office.started(process)
    base = office.http_url()
    url = f"{base}/feeds/campaign/ngay-hoi.ics"
    first = httpx.get(url)
    assert first.status_code == 200
    before = parse(first.content)
    assert set(before) == UIDS
    assert {e["sequence"] for e in before.values()} == {0}
    etag = first.headers["etag"]

    office.campaign("ngay-hoi", ngay_hoi_edited())
    changed = wait_for(
        lambda: (r := httpx.get(url)).headers["etag"] != etag and r, 20, "the feed to change"
    )
    after = parse(changed.content)
    assert set(after) == set(before)  # UIDs kept, the deleted event included
    raised = {uid for uid in after if after[uid]["sequence"] > before[uid]["sequence"]}
    assert raised == {
        "ngay-hoi:le-phat-dong:once@loa",
        "ngay-hoi:ngay-chinh:once@loa",
        "ngay-hoi:thu-gom:once@loa",
    }
    assert all(after[uid]["sequence"] == 1 for uid in raised)
    renamed = after["ngay-hoi:le-phat-dong:once@loa"]
    assert renamed["summary"] == "Lễ phát động Ngày hội Sống xanh (đổi giờ, đổi địa điểm) 🌏"
    assert renamed["start"] == before["ngay-hoi:le-phat-dong:once@loa"]["start"]
    moved = after["ngay-hoi:ngay-chinh:once@loa"]
    assert (moved["start"], moved["end"]) == (day(32), day(33))
    gone = after["ngay-hoi:thu-gom:once@loa"]
    assert gone["status"] == "CANCELLED" and gone["summary"] == "Ngày hội thu gom pin cũ"
    assert {after[u]["status"] for u in after if u != "ngay-hoi:thu-gom:once@loa"} == {"CONFIRMED"}
    assert b"BEGIN:VALARM" in changed.content  # the deadline keeps its alarm
    assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 200  # old validator
    new_etag = changed.headers["etag"]
    assert httpx.get(url, headers={"If-None-Match": new_etag}).status_code == 304
    everything = parse(httpx.get(f"{base}/feeds/all.ics").content)
    assert everything["ngay-hoi:thu-gom:once@loa"]["status"] == "CANCELLED"
    code, _, log = office.stop(process)
    assert code == 0 and "Traceback" not in log


def test_export_ics_writes_a_calendar_both_parsers_accept(office: Office) -> None:
    office.campaign("ngay-hoi", ngay_hoi())
    for args, expected in (
        ((), UIDS),
        (("--campaign", "ngay-hoi"), UIDS),
        (("--unit", UNIT), {f"ngay-hoi:{i}:once@loa" for i in ("le-phat-dong", "thang-hanh-dong", "bao-cao")}),
        (("--tag", "môi-trường"), UIDS),
    ):  # fmt: skip
        out = Path(office.root / "xuat" / "lich.ics")
        done = office.loa("export-ics", "-o", str(out), *args)
        assert done.returncode == 0, done.stderr
        assert set(parse(out.read_bytes())) == expected, args
    missing = office.loa("export-ics", "-o", "x.ics", "--campaign", "khong-co")
    assert missing.returncode == 1 and "khong-co" in missing.stderr
    assert "Traceback" not in missing.stderr
