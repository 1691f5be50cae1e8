"""A bad campaign file dropped into a running daemon (issue 12): it is refused on its own,
reported once with file:line, named by /healthz; the other files keep being applied, SIGTERM
still stops the daemon at once, and ``loa run`` starts again with the bad file still there."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import TIMED, Office, iso, refusals_said, wait_for

pytestmark = [pytest.mark.slow, TIMED]

HEAD = 'id = "hong"\ntitle = "Tệp hỏng"\n'
# name -> (file, the line its problem names)
BAD_FILES = {
    # defect 1: passed the loader, then expansion raised OverflowError on every reload
    "end-9999-12-31": (
        HEAD + '[[activity]]\nid = "a"\ntitle = "A"\nstart = 2026-12-10\nend = 9999-12-31\n',
        7,
    ),
    # defect 2: a rule firing every second grew the daemon to 1.6 GB
    "rule-every-second": (
        HEAD + '[[message]]\nid = "moi-giay"\n'
        'at = { rrule = "FREQ=SECONDLY", start = 2026-12-03 }\ntext = "x"\n',
        5,
    ),
    # defect 3: a template looping 10^10 times hung the daemon
    "nested-template-loop": (
        HEAD + '[[message]]\nid = "vong-lap"\nat = 2026-12-10\ntext = "{% for i in range(100000) %}'
        '{% for j in range(100000) %}{% endfor %}{% endfor %}"\n',
        6,
    ),
}


def good(cid: str, at: dt.datetime) -> str:
    return (
        f'id = "{cid}"\ntitle = "Chiến dịch {cid}"\n[[message]]\nid = "tin"\nat = {iso(at)}\n'
        f'text = "Tin của {cid}"\n'
    )


def peak_mb(pid: int) -> float:
    """The process's peak resident memory (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    assert found is not None, status
    return int(found[1]) / 1024


def health(base: str) -> dict[str, object]:
    response = httpx.get(f"{base}/healthz", timeout=5)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_refused_alone_while_the_daemon_runs(name: str, office: Office) -> None:
    text, line = BAD_FILES[name]
    where = f"campaigns/hong.toml:{line}:"
    office.campaign("dau", good("dau", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)))
    process = office.start()
    office.started(process)
    base = office.http_url()
    assert health(base)["status"] == "ok"

    office.campaign("hong", text)
    wait_for(lambda: where in office.log(), 30, "the bad file reported")
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    office.campaign("moi", good("moi", at))
    sent = wait_for(lambda: office.sent(), 30, "the new file's message")
    assert [r["key"] for r in sent] == ["moi:tin:once@nhat-ky"]
    lateness = dt.datetime.fromisoformat(sent[0]["sent_at"]) - at
    assert dt.timedelta(0) <= lateness < dt.timedelta(seconds=1), sent

    body = health(base)
    assert body["status"] == "degraded" and body["refused_files"] == ["campaigns/hong.toml"]
    assert peak_mb(process.pid) < 300
    log = office.log()
    assert refusals_said(log, where) == [True], log
    assert "Traceback" not in log

    stopping = time.monotonic()
    code, _, _ = office.stop(process, timeout=5)
    assert code == 0 and time.monotonic() - stopping < 5

    again = office.start()
    office.started(again)
    base = office.http_url()
    assert health(base)["refused_files"] == ["campaigns/hong.toml"]
    assert where in office.log() and "Traceback" not in office.log()
    assert office.stop(again, timeout=5)[0] == 0


def test_a_file_edited_into_a_bad_one_keeps_its_last_good_version(office: Office) -> None:
    """The bad edit is refused; the version before it still sends its message on time."""
    process, at = office.start_then_move({"dau": lambda at: good("dau", at)}, 5)
    base = office.http_url()
    bad_edit = good("dau", at) + BAD_FILES["end-9999-12-31"][0].replace(HEAD, "")
    office.campaign("dau", bad_edit)
    wait_for(lambda: "campaigns/dau.toml:11:" in office.log(), 30, "the bad edit reported")
    assert health(base)["refused_files"] == ["campaigns/dau.toml"]
    sent = wait_for(lambda: office.sent(), 30, "the last good version's message")
    assert [r["key"] for r in sent] == ["dau:tin:once@nhat-ky"]
    assert dt.datetime.fromisoformat(sent[0]["sent_at"]) - at < dt.timedelta(seconds=1)
    office.campaign("dau", good("dau", at))  # fixed: it runs again, and /healthz says so
    wait_for(lambda: health(base)["refused_files"] == [], 30, "the fixed file taken back")
    assert health(base)["status"] == "ok"
    assert office.stop(process, timeout=5)[0] == 0
