"""The daemon as a process: messages due seconds ahead go out once and on time; a second
daemon is refused and status names the one running; SIGTERM stops it quickly; downtime is handled by the grace period."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import time
from collections import Counter

import httpx
import pytest

from tests.e2e.harness import TIMED, Office, iso, wait_for

pytestmark = [pytest.mark.slow, TIMED]


def soon_campaign(cid: str, start: dt.datetime, count: int, step: float, grace: str = "1h") -> str:
    lines = [f'id = "{cid}"', f'title = "Chiến dịch {cid}"', f'grace = "{grace}"']
    for i in range(count):
        at = start + dt.timedelta(seconds=i * step)
        lines += [
            "[[message]]",
            f'id = "tin-{i}"',
            f"at = {iso(at)}",
            f'text = "Tin số {i} của {{{{ campaign.title }}}}: Ngày Môi trường thế giới — chống ô nhiễm nhựa 🌱"',
        ]
    return "\n".join(lines) + "\n"


def test_messages_due_seconds_ahead_are_sent_once_and_on_time(office: Office) -> None:
    process, _ = office.start_then_move({"soon": lambda at: soon_campaign("soon", at, 8, 0.5)}, 3)
    records = wait_for(lambda: len(office.sent()) >= 8 and office.sent(), 30, "8 messages")
    code, out, _ = office.stop(process)
    assert code == 0
    assert "loa đang chạy" in out and "8 tin đang chờ gửi" in out
    keys = Counter(r["key"] for r in records)
    assert sorted(keys) == sorted(f"soon:tin-{i}:once@nhat-ky" for i in range(8))
    assert set(keys.values()) == {1}
    for record in records:
        lateness = (
            dt.datetime.fromisoformat(record["sent_at"]) - dt.datetime.fromisoformat(record["due"])
        ).total_seconds()
        assert 0 <= lateness < 1.0, record
        assert "chống ô nhiễm nhựa 🌱" in record["text"] and "Chiến dịch soon" in record["text"]
        assert {
            "key",
            "campaign",
            "message",
            "channel",
            "target",
            "text",
            "due",
            "sent_at",
        } <= record.keys()
    assert office.states() == {"sent": 8}
    listed = office.loa("deliveries", "--format", "json")
    rows = json.loads(listed.stdout)
    assert {r["state"] for r in rows} == {"sent"} and all(r["attempts"] == 1 for r in rows)


def test_second_daemon_on_same_sqlite_refuses_and_status_names_the_one_running(
    office: Office,
) -> None:
    office.campaign(
        "soon", soon_campaign("soon", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), 1, 1)
    )
    first = office.start()
    office.started(first)
    second = office.loa("run", timeout=30)
    assert second.returncode == 1
    assert "đang dùng cơ sở dữ liệu này" in second.stderr and str(first.pid) in second.stderr
    assert "Traceback" not in second.stderr
    assert first.poll() is None  # the first one is untouched
    shown = json.loads(office.loa("status", "--format", "json").stdout)
    (running,) = shown["daemons"]
    assert running["pid"] == first.pid and running["leader"] and shown["leader"] == running["id"]
    health = httpx.get(f"{office.http_url()}/healthz", timeout=5).json()
    assert [d["id"] for d in health["daemons"]] == [running["id"]]
    assert health["leader"] == running["id"]
    said = office.loa("status").stdout
    assert f"pid {first.pid}) · dẫn đầu" in said, said
    office.stop(first)
    assert json.loads(office.loa("status", "--format", "json").stdout)["daemons"] == []
    assert "Không có tiến trình 'loa run' nào đang chạy" in office.loa("status").stdout


def test_sigterm_stops_within_five_seconds(office: Office) -> None:
    office.campaign(
        "soon", soon_campaign("soon", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), 3, 1)
    )
    process = office.start()
    office.started(process)
    began = time.monotonic()
    code, _, err = office.stop(process)
    assert code == 0 and time.monotonic() - began < 5
    assert "loa.daemon đã dừng" in err


def test_downtime_sends_late_within_grace_and_misses_beyond(office: Office) -> None:
    process, due = office.start_then_move(
        {
            "rong": lambda at: soon_campaign("rong", at, 1, 1, grace="1h"),
            "chat": lambda at: soon_campaign("chat", at, 1, 1, grace="1s"),
        },
        3,
    )
    office.stop(process)
    assert dt.datetime.now(dt.UTC) < due, "the daemon must be down before anything is due"
    assert office.states() == {"pending": 2}
    wait_for(
        lambda: dt.datetime.now(dt.UTC) > due + dt.timedelta(seconds=2), 10, "both to be overdue"
    )
    process = office.start()
    office.started(process)
    wait_for(
        lambda: len(office.states()) == 2 and "pending" not in office.states(),
        20,
        "the restart to resolve both",
    )
    office.stop(process)
    assert dict(office.query("select campaign, state from delivery")) == {
        "rong": "sent",
        "chat": "missed",
    }
    assert [r["campaign"] for r in office.sent()] == ["rong"]
    status = office.loa("status")
    assert "bỏ lỡ" in status.stdout and "grace" in status.stdout


def test_edit_updates_pending_and_removal_cancels(office: Office) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    path = office.campaign("sua", soon_campaign("sua", later, 3, 60))
    process = office.start()
    office.started(process)
    office.campaign("sua", soon_campaign("sua", later, 2, 60).replace("Tin số 0", "Tin đã sửa 0"))
    wait_for(lambda: office.states().get("cancelled") == 1, 20, "the edit to be synced")
    texts = dict(office.query("select key, text from delivery where state = 'pending'"))
    assert any("Tin đã sửa 0" in t for t in texts.values()) and len(texts) == 2
    path.write_text("id = [broken\n", "utf-8")  # a broken file keeps the last good version
    wait_for(lambda: "sua.toml:1" in office.log(), 10, "the problem to be logged")
    office.stop(process)
    assert office.states() == {"pending": 2, "cancelled": 1}
    process = office.start()  # a cold start with the file still broken keeps its deliveries
    office.started(process)
    wait_for(lambda: "loa đang chạy" in office.out_path.read_text("utf-8"), 10, "the summary")
    office.stop(process)
    assert office.states() == {"pending": 2, "cancelled": 1}


def daily_for_a_year(cid: str, first: dt.date) -> str:
    """A campaign with a message every day for a year: 365 deliveries to store at start-up."""
    last = first + dt.timedelta(days=364)
    return (
        f'id = "{cid}"\ntitle = "Chiến dịch {cid}"\n'
        f'[[activity]]\nid = "ca-nam"\ntitle = "Cả năm"\nstart = {first}\nend = {last}\n'
        '[[message]]\nid = "moi-ngay"\ntext = "Nhắc việc hằng ngày"\n'
        'at = { every = "day", time = "08:00", during = "ca-nam" }\n'
    )


def slow_start(office: Office) -> subprocess.Popen[str]:
    """``loa run`` with a start-up made long by a large campaign set (thousands of deliveries
    to store), returned as soon as it has printed its first line: still starting. One broken
    file makes sure a line comes early even from a daemon that prints nothing else before its
    first sync."""
    first = dt.date.today() + dt.timedelta(days=1)
    for n in range(20):
        office.campaign(f"c{n}", daily_for_a_year(f"c{n}", first))
    office.campaign("hong", 'id = "hong"\ntitle = "Hỏng"\n[[message]]\nid = "m"\n')
    process = office.start()
    wait_for(lambda: office.log().strip() or process.poll() is not None, 30, "a first line")
    assert not office.has_synced(), "start-up ended before the signal: make it longer"
    return process


def test_a_sighup_during_start_up_reloads_once_started(office: Office) -> None:
    """SIGHUP killed ``loa run`` while it started (its handler came only once the scheduler had
    started, after the first sync). Signals are handled from the daemon's first line on: a
    SIGHUP then is kept and the reload runs once the daemon is up."""
    process = slow_start(office)
    process.send_signal(signal.SIGHUP)
    office.started(process, timeout=120)
    wait_for(
        lambda: "đọc lại các tệp chiến dịch (SIGHUP)" in office.log(),
        30,
        "the reload asked for during start-up",
    )
    assert process.poll() is None
    code, _, log = office.stop(process)
    assert code == 0, log


def test_a_sigterm_during_start_up_stops_cleanly(office: Office) -> None:
    process = slow_start(office)
    code, _, log = office.stop(process, timeout=60)
    assert code == 0 and "loa.daemon đã dừng" in log and "Traceback" not in log
