"""Log lines carry the office's time with its offset, and never a secret."""

from __future__ import annotations

import datetime as dt
import json
import logging
from zoneinfo import ZoneInfo

from channels.redact import SECRETS
from scheduler.logs import StructuredFormatter

OFFICE = ZoneInfo("Asia/Ho_Chi_Minh")
TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"


def record(**extra: object) -> logging.LogRecord:
    made = logging.LogRecord("loa.engine", logging.ERROR, __file__, 1, "failed", None, None)
    made.created = dt.datetime(2026, 12, 2, 22, 17, 2, tzinfo=dt.UTC).timestamp()
    made.__dict__.update(extra)
    return made


def test_time_in_the_offices_zone_with_its_offset() -> None:
    line = StructuredFormatter(tz=OFFICE).format(record(key="k"))
    assert line.startswith("2026-12-03T05:17:02.000+07:00 error   loa.engine failed key=k")
    as_json = json.loads(StructuredFormatter(as_json=True, tz=OFFICE).format(record()))
    assert as_json["time"] == "2026-12-03T05:17:02.000+07:00"


def test_a_lowercased_token_is_masked() -> None:
    SECRETS.add(TOKEN)
    echoed = f"Chat not found (post http://127.0.0.1/bot{TOKEN.lower()}/sendmessage)"
    for as_json in (False, True):
        line = StructuredFormatter(as_json, OFFICE).format(record(error=echoed))
        assert "/bot***/sendmessage" in line and TOKEN.lower() not in line.lower()
