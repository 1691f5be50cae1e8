"""On a host kept in UTC, every time ``loa run`` shows is the office's: the console channel's
header and the log lines (with their offset)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from campaigns.dates import format_datetime
from tests.e2e.harness import Office, iso, wait_for

pytestmark = pytest.mark.slow
OFFICE = ZoneInfo("Asia/Ho_Chi_Minh")  # the harness's config.toml timezone


def reminder(at: dt.datetime) -> str:
    return (
        'id = "pgi"\ntitle = "Chỉ số xanh"\n[[message]]\nid = "nhac"\n'
        f'at = {iso(at)}\ntext = "Nhắc: nộp báo cáo trước 10/12"\nchannels = ["man-hinh"]\n'
    )


def test_console_and_logs_show_the_offices_time(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    office.extra_config = '[channels.man-hinh]\ntype = "console"\n'
    office.write_config()
    process, at = office.start_then_move({"pgi": reminder}, 2)
    header = f"[man-hinh] {format_datetime(at.astimezone(OFFICE))} · pgi"
    wait_for(lambda: header in office.out_path.read_text("utf-8"), 30, "the console message")
    code, _, err = office.stop(process)
    assert code == 0, err
    stamps = re.findall(r"^(\S+) +\S+ +loa\.", err, re.MULTILINE)
    assert stamps and all(s.endswith("+07:00") for s in stamps), err
