"""A loa feed loaded into a real Radicale CalDAV server started by the test: one resource per
event (a VCALENDAR with its VTIMEZONE and one VEVENT, as CalDAV clients store them) and the
whole feed as one collection. Radicale must accept every PUT, log no warning or error, and
give the events back, Vietnamese text intact, at the right instants in time-range REPORTs."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.feeds import (
    DIA_DIEM,
    EXPECTED_AFTER_EDIT,
    blocks,
    every_feed,
    split_events,
    synced_store,
    unescape,
    value,
)

USER = "loa"
NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav"}


@dataclass
class Radicale:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(USER, "x"), timeout=10)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def problems(self) -> list[str]:
        """WARNING/ERROR/CRITICAL lines logged after start-up (the start-up warnings about no
        authentication and a new storage folder are expected)."""
        text = self.log()
        served = text[max(text.find("Radicale server ready"), 0) :]
        return [
            line for line in served.splitlines() if re.search(r"\[(WARNING|ERROR|CRITICAL)\]", line)
        ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(root: Path) -> Radicale:
    """Radicale on a free loopback port, storage in ``root``, no authentication (any user name
    is accepted; each user owns /USER/). Ready when its port answers HTTP."""
    for attempt in range(3):
        port = _free_port()
        log_path = root / f"radicale-{attempt}.log"
        process = subprocess.Popen(
            [
                sys.executable, "-m", "radicale", "--config", "",
                "--server-hosts", f"127.0.0.1:{port}",
                "--auth-type", "none", "--rights-type", "owner_only",
                "--storage-filesystem-folder", str(root / "collections"),
                "--logging-level", "info",
            ],
            stdout=subprocess.DEVNULL, stderr=log_path.open("wb"),
        )  # fmt: skip
        server = Radicale(f"http://127.0.0.1:{port}", process, log_path)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break  # e.g. the port was taken meanwhile: try another one
            try:
                answer = httpx.request("OPTIONS", server.url + "/", timeout=1)
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            if answer.status_code < 500:
                return server
        process.kill()
        process.wait(timeout=10)
    raise AssertionError(f"Radicale did not start: {log_path.read_text('utf-8', 'replace')}")


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = _start(tmp_path_factory.mktemp("radicale"))
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return every_feed(synced_store(tmp_path_factory.mktemp("store") / "loa.db"))


def _mkcalendar(client: httpx.Client, name: str) -> str:
    path = f"/{USER}/{name}/"
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
        f"<D:displayname>loa {name}</D:displayname>"
        '<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>'
        "</D:prop></D:set></C:mkcalendar>"
    )
    answer = client.request("MKCALENDAR", path, content=body.encode())
    assert answer.status_code == 201, answer.text
    return path


def _report(client: httpx.Client, path: str, time_range: str = "") -> dict[str, str]:
    """calendar-query REPORT: href → calendar-data of the VEVENTs (in ``time_range``)."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        f"{time_range}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    )
    answer = client.request(
        "REPORT",
        path,
        content=body.encode(),
        headers={"Depth": "1", "Content-Type": "application/xml"},
    )
    assert answer.status_code == 207, answer.text
    found = {}
    for response in ET.fromstring(answer.content).findall("D:response", NS):
        data = response.find(".//C:calendar-data", NS)
        if data is not None and data.text:
            found[response.findtext("D:href", "", NS)] = data.text
    return found


def _events(calendar_text: str) -> list[list[str]]:
    data = calendar_text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    return blocks(data, "VEVENT")


def _uids(calendar_text: str) -> list[str]:
    return [unescape(value(b, "UID")) for b in _events(calendar_text)]


def _range(start: dt.datetime, end: dt.datetime) -> str:
    return f'<C:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>'


def _resource(uid: str) -> str:
    return hashlib.sha1(uid.encode()).hexdigest()[:16] + ".ics"


@pytest.fixture(scope="module")
def loaded(radicale: Radicale, feeds: dict[str, bytes]) -> str:
    """A calendar collection with every event of the 'all' feed PUT as its own resource."""
    with radicale.client() as client:
        path = _mkcalendar(client, "tung-su-kien")
        for uid, data in split_events(feeds["all"]):
            answer = client.put(
                path + _resource(uid),
                content=data,
                headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
            )
            assert answer.status_code == 201, (uid, answer.status_code, answer.text, radicale.log())
    return path


def test_every_event_is_accepted_and_comes_back(radicale: Radicale, loaded: str) -> None:
    with radicale.client() as client:
        stored = _report(client, loaded)
        for uid in EXPECTED_AFTER_EDIT:
            got = client.get(loaded + _resource(uid))
            assert got.status_code == 200 and got.headers["content-type"].startswith(
                "text/calendar"
            )
            lines = _events(got.text)
            assert [unescape(value(b, "UID")) for b in lines] == [uid]
            assert unescape(value(lines[0], "SUMMARY")) == EXPECTED_AFTER_EDIT[uid].summary
            assert value(lines[0], "STATUS") == EXPECTED_AFTER_EDIT[uid].status
            assert int(value(lines[0], "SEQUENCE")) == EXPECTED_AFTER_EDIT[uid].sequence
    assert sorted(u for text in stored.values() for u in _uids(text)) == sorted(EXPECTED_AFTER_EDIT)
    assert radicale.problems() == []


def test_vietnamese_text_is_stored_intact(radicale: Radicale, loaded: str) -> None:
    uid = "ngay-moi-truong:le-phat-dong:2026@loa"
    with radicale.client() as client:
        got = client.get(loaded + _resource(uid))
    (lines,) = _events(got.text)
    assert unescape(value(lines, "SUMMARY")) == EXPECTED_AFTER_EDIT[uid].summary
    assert unescape(value(lines, "LOCATION")) == DIA_DIEM
    assert "Đơn vị phối hợp: Tỉnh đoàn, Hội Liên hiệp Phụ nữ tỉnh" in unescape(
        value(lines, "DESCRIPTION")
    )


def test_time_range_reports_find_events_at_their_instants(radicale: Radicale, loaded: str) -> None:
    """Radicale reads DTSTART/DTEND with the VTIMEZONE to answer time-range queries; the
    07:30 Vietnam event is 00:30Z, the all-day 7 June event is the local day in floating time."""
    utc = dt.UTC
    cases = {
        "ngay-moi-truong:le-phat-dong:2026@loa": (
            dt.datetime(2026, 5, 28, 0, 0, tzinfo=utc), dt.datetime(2026, 5, 28, 0, 45, tzinfo=utc)
        ),
        "ngay-moi-truong:ngay-chinh:2026@loa": (
            dt.datetime(2026, 6, 7, 10, tzinfo=utc), dt.datetime(2026, 6, 7, 11, tzinfo=utc)
        ),
    }  # fmt: skip
    with radicale.client() as client:
        for uid, (start, end) in cases.items():
            found = [
                u for t in _report(client, loaded, _range(start, end)).values() for u in _uids(t)
            ]
            assert uid in found, (uid, found)
        before = _range(
            dt.datetime(2026, 5, 27, 20, tzinfo=utc), dt.datetime(2026, 5, 28, 0, 29, tzinfo=utc)
        )
        found = [u for t in _report(client, loaded, before).values() for u in _uids(t)]
        assert "ngay-moi-truong:le-phat-dong:2026@loa" not in found
    assert radicale.problems() == []


def test_summer_time_event_in_berlin_is_found_at_its_instant(
    radicale: Radicale, loaded: str
) -> None:
    """15:00 in Berlin on 20 October 2026 is 13:00Z (summer time until 25 October)."""
    uid = "hop-berlin:hop-mua-thu:once@loa"
    window = _range(
        dt.datetime(2026, 10, 20, 12, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 20, 13, 30, tzinfo=dt.UTC),
    )
    with radicale.client() as client:
        found = [u for t in _report(client, loaded, window).values() for u in _uids(t)]
        stored = client.get(loaded + _resource(uid)).text
    assert uid in found, f"Radicale places {uid} elsewhere; it stored:\n{stored}"


def test_the_whole_feed_is_accepted_as_one_collection(
    radicale: Radicale, feeds: dict[str, bytes]
) -> None:
    """PUT of a whole VCALENDAR on a new collection path (Radicale splits it into items)."""
    with radicale.client() as client:
        for name, path in (("tat-ca", "all"), ("chien-dich", "campaign/ngay-moi-truong")):
            answer = client.put(
                f"/{USER}/{name}/", content=feeds[path],
                headers={"Content-Type": "text/calendar; charset=utf-8"},
            )  # fmt: skip
            assert answer.status_code == 201, (path, answer.text, radicale.log())
            got = client.get(f"/{USER}/{name}/")
            assert got.status_code == 200
            expected = sorted(unescape(value(b, "UID")) for b in blocks(feeds[path], "VEVENT"))
            assert sorted(_uids(got.text)) == expected
            summaries = {unescape(value(b, "SUMMARY")) for b in _events(got.text)}
            assert {EXPECTED_AFTER_EDIT[u].summary for u in expected} == summaries
    assert radicale.problems() == []
