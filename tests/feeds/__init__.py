"""Shared material for the calendar-feed tests: campaigns, a synced store, the feeds it serves,
and small readers of iCalendar text that do not use the library loa writes with.

The store is synced at a fixed ``NOW`` and edited one day later (an activity renamed, one
moved, one deleted), so every kind of feed holds confirmed, updated and cancelled events.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from campaigns.model import ChannelCatalog
from scheduler.http.feeds import FeedSelector, FeedStore
from scheduler.store.db import migrate, open_engine
from scheduler.sync import sync
from tests.helpers import campaign

CAT = ChannelCatalog(targets={"nhat-ky": ()}, defaults=("nhat-ky",))
NOW = dt.datetime(2026, 5, 1, 1, 0, tzinfo=dt.UTC)
EDITED = NOW + dt.timedelta(days=1)
HORIZON = dt.timedelta(days=400)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")

# Long Vietnamese texts with commas and semicolons (escaped in iCalendar), emoji (4 bytes in
# UTF-8) and many 2- and 3-byte letters, so folding at 75 octets lands inside characters.
PHAT_DONG = "Lễ phát động Tháng hành động vì môi trường — chống rác thải nhựa 🌱🌏 năm 2026"
PHAT_DONG_MOI = "Lễ phát động Tháng hành động vì môi trường (đổi giờ, đổi địa điểm) 🌱"
DIA_DIEM = (
    "Hội trường Ủy ban nhân dân tỉnh, số 1 đường Trần Hưng Đạo; phường Đông Hà, tỉnh Quảng Trị"
)
MO_TA = (
    "Diễu hành, ký cam kết; trao tặng túi vải thân thiện môi trường. Đề nghị các đơn vị cử "
    "đại biểu tham dự đúng giờ, mặc áo xanh — «Hành động vì một Việt Nam không rác thải nhựa»."
)
UNIT = "Sở Tài nguyên và Môi trường"
UNIT_SLUG = "so-tai-nguyen-va-moi-truong"

MOI_TRUONG = f'''id = "ngay-moi-truong"
title = "Ngày Môi trường thế giới"
description = "Hưởng ứng Ngày Môi trường thế giới 05/6: chống ô nhiễm nhựa, trồng cây xanh; thu gom rác."
tags = ["môi trường", "nhựa"]
years = 2026

[[activity]]
id = "le-phat-dong"
title = "{PHAT_DONG}"
start = "hằng năm 28/05 07:30"
end = "hằng năm 28/05 11:00"
location = "{DIA_DIEM}"
lead = "{UNIT}"
partners = ["Tỉnh đoàn", "Hội Liên hiệp Phụ nữ tỉnh"]
description = "{MO_TA}"
url = "https://lich.example.vn/su-kien?nam=2026&muc=phat-dong"
tags = ["phát-động"]

[[activity]]
id = "thang-hanh-dong"
title = "Tháng hành động vì môi trường"
start = "hằng năm 25/05"
end = "hằng năm 30/06"
lead = "{UNIT}"

[[activity]]
id = "ngay-chinh"
title = "Ngày Môi trường thế giới"
start = "hằng năm 05/06"
lead = "Văn phòng UBND tỉnh"
partners = ["{UNIT}"]

[[activity]]
id = "thu-gom"
title = "Ngày hội thu gom pin cũ và rác thải điện tử"
start = "hằng năm 12/06 08:00"
end = "hằng năm 12/06 10:00"
location = "Quảng trường 3/2"
lead = "Tỉnh đoàn"

[[deadline]]
id = "bao-cao"
title = "Báo cáo kết quả Tháng hành động vì môi trường"
due = "hằng năm 10/07"
lead = "{UNIT}"
'''

# The edit a person makes: rename an activity, move another by two days, delete a third.
MOI_TRUONG_EDITED = (
    MOI_TRUONG.replace(f'title = "{PHAT_DONG}"', f'title = "{PHAT_DONG_MOI}"')
    .replace('start = "hằng năm 05/06"', 'start = "hằng năm 07/06"')
    .replace(
        '[[activity]]\nid = "thu-gom"\ntitle = "Ngày hội thu gom pin cũ và rác thải điện tử"\n'
        'start = "hằng năm 12/06 08:00"\nend = "hằng năm 12/06 10:00"\n'
        'location = "Quảng trường 3/2"\nlead = "Tỉnh đoàn"\n',
        "",
    )
)

HOP_BERLIN = """id = "hop-berlin"
title = "Họp đối tác ở Berlin"
timezone = "Europe/Berlin"
tags = ["đối-ngoại"]

[[activity]]
id = "hop-mua-thu"
title = "Họp trực tuyến với đối tác Đức về kinh tế tuần hoàn"
start = 2026-10-20T15:00:00
end = 2026-10-20T16:30:00
lead = "Văn phòng UBND tỉnh"

[[activity]]
id = "hop-mua-dong"
title = "Họp tổng kết năm với đối tác Đức"
start = 2026-12-01T15:00:00
end = 2026-12-01T16:00:00
lead = "Văn phòng UBND tỉnh"
"""


@dataclass(frozen=True)
class Expected:
    """What an event must be, written from the campaign files above, not from loa's code."""

    uid: str
    summary: str
    start: dt.date  # a date (all day) or an aware datetime
    end: dt.date
    sequence: int
    status: str = "CONFIRMED"

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)


def _at(day: str, time: str, tz: ZoneInfo = VN) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=tz)


D = dt.date.fromisoformat
EXPECTED_AFTER_EDIT = {
    e.uid: e
    for e in [
        Expected(
            "ngay-moi-truong:le-phat-dong:2026@loa", PHAT_DONG_MOI,
            _at("2026-05-28", "07:30"), _at("2026-05-28", "11:00"), 1,
        ),
        Expected(
            "ngay-moi-truong:thang-hanh-dong:2026@loa", "Tháng hành động vì môi trường",
            D("2026-05-25"), D("2026-07-01"), 0,
        ),
        Expected(
            "ngay-moi-truong:ngay-chinh:2026@loa", "Ngày Môi trường thế giới",
            D("2026-06-07"), D("2026-06-08"), 1,
        ),
        Expected(
            "ngay-moi-truong:thu-gom:2026@loa", "Ngày hội thu gom pin cũ và rác thải điện tử",
            _at("2026-06-12", "08:00"), _at("2026-06-12", "10:00"), 1, "CANCELLED",
        ),
        Expected(
            "ngay-moi-truong:bao-cao:2026@loa",
            "Hạn: Báo cáo kết quả Tháng hành động vì môi trường",
            D("2026-07-10"), D("2026-07-11"), 0,
        ),
        Expected(
            "hop-berlin:hop-mua-thu:once@loa",
            "Họp trực tuyến với đối tác Đức về kinh tế tuần hoàn",
            _at("2026-10-20", "15:00", BERLIN), _at("2026-10-20", "16:30", BERLIN), 0,
        ),
        Expected(
            "hop-berlin:hop-mua-dong:once@loa", "Họp tổng kết năm với đối tác Đức",
            _at("2026-12-01", "15:00", BERLIN), _at("2026-12-01", "16:00", BERLIN), 0,
        ),
    ]
}  # fmt: skip

# Which events each feed must hold after the edit.
MOI = {u for u in EXPECTED_AFTER_EDIT if u.startswith("ngay-moi-truong:")}
FEED_MEMBERS: dict[str, set[str]] = {
    "all": set(EXPECTED_AFTER_EDIT),
    "campaign/ngay-moi-truong": MOI,
    "campaign/hop-berlin": {u for u in EXPECTED_AFTER_EDIT if u.startswith("hop-berlin:")},
    f"unit/{UNIT_SLUG}": MOI - {"ngay-moi-truong:thu-gom:2026@loa"},
    "unit/tinh-doan": {
        "ngay-moi-truong:le-phat-dong:2026@loa",
        "ngay-moi-truong:thu-gom:2026@loa",
    },
    "unit/van-phong-ubnd-tinh": {
        "ngay-moi-truong:ngay-chinh:2026@loa",
        "hop-berlin:hop-mua-thu:once@loa",
        "hop-berlin:hop-mua-dong:once@loa",
    },
    "tag/nhựa": MOI,
    "tag/phát-động": {"ngay-moi-truong:le-phat-dong:2026@loa"},
    "tag/đối-ngoại": {u for u in EXPECTED_AFTER_EDIT if u.startswith("hop-berlin:")},
}


def selector(path: str) -> FeedSelector:
    if path == "all":
        return FeedSelector("all")
    kind, _, value = path.partition("/")
    return FeedSelector(kind, value)


def open_store(path: Path) -> Engine:
    engine = open_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


def synced_store(path: Path, edited: bool = True) -> Engine:
    """A store synced at NOW, and (``edited``) synced again one day later after the edit."""
    engine = open_store(path)
    sync(engine, [campaign(MOI_TRUONG, CAT), campaign(HOP_BERLIN, CAT)], CAT, NOW, HORIZON)
    if edited:
        edit = [campaign(MOI_TRUONG_EDITED, CAT), campaign(HOP_BERLIN, CAT)]
        sync(engine, edit, CAT, EDITED, HORIZON)
    return engine


def render(store: FeedStore, path: str, now: dt.datetime = EDITED) -> bytes:
    chosen = selector(path)
    assert store.exists(chosen), path
    return store.render(chosen, store.version(chosen, now), now)


def every_feed(engine: Engine, now: dt.datetime = EDITED) -> dict[str, bytes]:
    """Every kind of feed the daemon serves, rendered by the store it serves them from."""
    store = FeedStore(engine, "https://lich.example.vn")
    return {path: render(store, path, now) for path in FEED_MEMBERS}


# --- reading iCalendar text without the icalendar package -------------------------------------


def unfold(data: bytes) -> list[str]:
    """RFC 5545 §3.1: content lines, CRLF followed by one space or tab continues a line."""
    text = data.decode("utf-8")
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def blocks(data: bytes, name: str) -> list[list[str]]:
    """The unfolded content lines of each top-level ``name`` component (VEVENT, VTIMEZONE)."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for line in unfold(data):
        if line == f"BEGIN:{name}" and current is None:
            current = [line]
        elif current is not None:
            current.append(line)
            if line == f"END:{name}":
                found.append(current)
                current = None
    return found


def prop(lines: list[str], name: str) -> list[str]:
    """Every ``NAME[;params]:value`` of ``lines`` at the top level of its component."""
    depth, out = 0, []
    for line in lines[1:-1]:
        if line.startswith("BEGIN:"):
            depth += 1
        elif line.startswith("END:"):
            depth -= 1
        elif depth == 0 and re.match(rf"{name}[;:]", line):
            out.append(line)
    return out


def value(lines: list[str], name: str) -> str:
    """The value of the one ``name`` property (parameters, if any, dropped)."""
    found = prop(lines, name)
    assert len(found) == 1, (name, found)
    return found[0].split(":", 1)[1]


def unescape(text: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], text)


def split_events(data: bytes) -> list[tuple[str, bytes]]:
    """Each VEVENT of a feed as its own VCALENDAR (header lines, the VTIMEZONEs it names, the
    VEVENT), cut from loa's bytes as they are: what a CalDAV client PUTs one resource at a time."""
    text = data.decode("utf-8")
    zones = {
        re.search(r"\r\nTZID:([^\r]+)\r\n", z)[1]: z  # type: ignore[index]
        for z in re.findall(r"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", text, re.S)
    }
    head = "BEGIN:VCALENDAR\r\n" + "".join(
        m[0] for m in re.finditer(r"^(?:VERSION|PRODID|CALSCALE):[^\r]*\r\n", text, re.M)
    )
    out = []
    for event in re.findall(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", text, re.S):
        lines = unfold(event.encode())
        uid = unescape(value(lines, "UID"))
        used = sorted(set(re.findall(r";TZID=([^:;]+)[:;]", "\n".join(lines))))
        body = head + "".join(zones[z] for z in used) + event + "END:VCALENDAR\r\n"
        out.append((uid, body.encode("utf-8")))
    return out


@contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """Python warnings and WARNING-or-worse log records from any logger, while parsing."""
    found: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(f"{record.levelname} {record.name}: {record.getMessage()}")

    handler = Keep(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield found
        found.extend(f"{w.category.__name__}: {w.message}" for w in caught)
    finally:
        root.removeHandler(handler)


def params(line: str) -> tuple[str, dict[str, str], str]:
    """``DTSTART;TZID=X:2026…`` → ("DTSTART", {"TZID": "X"}, "2026…") (no quoted params here)."""
    head, _, val = line.partition(":")
    name, *rest = head.split(";")
    return name, dict(p.split("=", 1) for p in rest), val
