"""Log lines carry the office's time with its offset, and never a secret."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from campaigns.i18n import CATALOG, set_language
from channels.redact import SECRETS
from scheduler.logs import StructuredFormatter, setup

OFFICE = ZoneInfo("Asia/Ho_Chi_Minh")
TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"


def record(**extra: object) -> logging.LogRecord:
    made = logging.LogRecord("loa.engine", logging.ERROR, __file__, 1, "failed", None, None)
    made.created = dt.datetime(2026, 12, 2, 22, 17, 2, tzinfo=dt.UTC).timestamp()
    made.__dict__.update(extra)
    return made


def test_time_in_the_offices_zone_with_its_offset() -> None:
    line = StructuredFormatter(tz=OFFICE).format(record(key="k"))
    assert line.startswith("2026-12-03T05:17:02.000+07:00 lỗi       loa.engine gửi lỗi key=k")
    as_json = json.loads(StructuredFormatter(as_json=True, tz=OFFICE).format(record()))
    assert as_json["time"] == "2026-12-03T05:17:02.000+07:00"


def test_a_lowercased_token_is_masked() -> None:
    SECRETS.add(TOKEN)
    echoed = f"Chat not found (post http://127.0.0.1/bot{TOKEN.lower()}/sendmessage)"
    for as_json in (False, True):
        line = StructuredFormatter(as_json, OFFICE).format(record(error=echoed))
        assert "/bot***/sendmessage" in line and TOKEN.lower() not in line.lower()


def test_what_bypasses_the_formatter_is_masked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn logs through a handler of its own, straight to stderr."""
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    SECRETS.add(TOKEN)
    setup("info", tz=OFFICE)
    own = logging.StreamHandler(sys.stderr)  # made after setup, as uvicorn makes its own
    uvicorn = logging.getLogger("tests.uvicorn-like")
    monkeypatch.setattr(uvicorn, "handlers", [own])
    monkeypatch.setattr(uvicorn, "propagate", False)
    uvicorn.error("Exception in ASGI application: %s", f"GET /bot{TOKEN.upper()}/getMe")
    print(f"token {TOKEN}")
    assert "GET /bot***/getMe" in err.getvalue() and out.getvalue() == "token ***\n"


EVENT = re.compile(
    r"\blog\.(?:debug|info|warning|error|exception|critical|log)\(\s*(?:[\w.]+,\s*)?\"([^\"]+)\"",
    re.S,
)


def test_every_logged_event_reads_in_both_languages() -> None:
    """A person watching ``loa run`` reads its log lines: an event logged anywhere in loa's
    code without a catalogue entry would show English in a Vietnamese office."""
    root = Path(__file__).resolve().parents[2]
    events = {
        found
        for package in ("scheduler", "channels", "campaigns")
        for path in (root / package).rglob("*.py")
        for found in EVENT.findall(path.read_text("utf-8"))
    }
    assert len(events) > 15  # the pattern still finds the calls
    missing = sorted(e for e in events if f"log_{e.replace(' ', '_')}" not in CATALOG)
    assert not missing, f"add log_<event> entries to campaigns/i18n.py for: {missing}"


def test_text_logs_speak_the_users_language_and_json_keeps_the_event() -> None:
    made = record(key="k")
    made.msg = made.message = "retrying"
    try:
        set_language("en")
        assert " info " not in StructuredFormatter(tz=OFFICE).format(made)
        assert "error     loa.engine retrying key=k" in StructuredFormatter(tz=OFFICE).format(made)
        set_language("vi")
        assert "lỗi       loa.engine sẽ thử gửi lại key=k" in StructuredFormatter(tz=OFFICE).format(
            made
        )
        assert json.loads(StructuredFormatter(as_json=True).format(made))["event"] == "retrying"
    finally:
        set_language("vi")
