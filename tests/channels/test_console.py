"""The console outlet shows each message's time in the office's zone, whatever the host's."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from channels.base import OutboundMessage
from channels.console import ConsoleChannel

OFFICE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def host_in_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def test_header_time_is_the_offices(host_in_utc: None) -> None:
    due = dt.datetime(2026, 12, 2, 16, 50, tzinfo=dt.UTC)  # 23:50 in Hà Nội
    stream = io.StringIO()
    console = ConsoleChannel("man-hinh", stream, OFFICE)
    text = "Nhắc: nộp báo cáo Chỉ số xanh trước 10/12"
    await console.send(OutboundMessage("k", "pgi", "nhac", "man-hinh", "", "", text, due))
    header = stream.getvalue().splitlines()[1]
    assert header == "[man-hinh] 23:50, Thứ Tư, 02/12/2026 · pgi"
