"""``loa run`` on PostgreSQL, as a process: it syncs, sends what is due to the file channel,
records it where ``loa status`` reads it, wakes at once for ``loa send``, and refuses a second
daemon on the same database in Vietnamese. Due times are judged by the database's clock: a
daemon whose host clock runs ahead (libfaketime, from tests/services/setup.sh) sends nothing
early."""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from scheduler.store.db import open_engine
from tests.e2e.harness import BOT_CAMPAIGN, Office, environment_day, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgresql"])]


@pytest.fixture
def office(tmp_path: Path, store_url: str) -> Iterator[Office]:
    made = Office(tmp_path / "office")
    config = made.root / "config.toml"
    config.write_text(
        config.read_text("utf-8").replace("sqlite:///data/loa.db", store_url), "utf-8"
    )
    yield made
    made.close()


@pytest.fixture
def store(store_url: str) -> Iterator[Engine]:
    engine = open_engine(store_url)
    yield engine
    engine.dispose()


def count(store: Engine, sql: str) -> int:
    with store.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def test_loa_run_sends_a_due_message_and_loa_status_reads_it(office: Office, store: Engine) -> None:
    parked = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    office.campaign(
        "ngay", environment_day(parked.date(), ("tin", parked, "Chào ngày mới", "nhat-ky"))
    )
    process = office.start()
    wait_for(
        lambda: (
            process.poll() is None
            and count(store, "select count(*) from delivery where state = 'pending'") == 1
        ),
        30,
        "loa run to sync on PostgreSQL",
    )
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    office.campaign("ngay", environment_day(at.date(), ("tin", at, "Chào ngày mới", "nhat-ky")))
    records = wait_for(lambda: office.sent(), 30, "the due message in the file channel")
    assert [r["key"] for r in records] == [f"{BOT_CAMPAIGN}:tin:once@nhat-ky"]
    assert "Chào ngày mới" in records[0]["text"]
    wait_for(lambda: count(store, "select count(*) from delivery where state = 'sent'") == 1, 10)

    second = office.start()
    second.wait(timeout=60)
    assert second.returncode != 0
    said = office.log() + office.out_path.read_text("utf-8")
    assert "PostgreSQL" in said and "nhiều tiến trình" in said, said

    sent = office.loa("send", "nhat-ky", "Tin gửi tay", timeout=30)  # the daemon sends it
    assert sent.returncode == 0, sent.stderr
    assert [r["text"] for r in office.sent()][-1] == "Tin gửi tay"

    status = office.loa("status")
    assert status.returncode == 0, status.stderr
    assert re.search(r"đã gửi\W+2\b", status.stdout), status.stdout  # LOA_LANG=vi
    listed = json.loads(office.loa("deliveries", "--format", "json").stdout)
    assert {r["state"] for r in listed} == {"sent"}
    code, _, _ = office.stop(process)
    assert code == 0


def faketime() -> str:
    """libfaketime's preload library; tests/services/setup.sh installs it (CI must have it)."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if found:
        return found[0]
    reason = "libfaketime is not installed: run `bash tests/services/setup.sh` as root"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: this test must run)", pytrace=False)
    pytest.skip(reason)


def test_a_daemon_whose_clock_runs_five_minutes_ahead_sends_nothing_early(
    office: Office, store: Engine
) -> None:
    """Its host clock says the message is five minutes late; the database's says it is due in
    a few seconds, and the database's clock decides."""
    ahead = {
        "LD_PRELOAD": faketime(),
        "FAKETIME": "+5m",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # asyncio's timers keep real time
    }
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=12)).replace(microsecond=0)
    office.campaign("ngay", environment_day(due.date(), ("tin", due, "Chào ngày mới", "nhat-ky")))
    process = office.start(env=ahead)
    wait_for(
        lambda: (
            process.poll() is None
            and count(store, "select count(*) from delivery where state = 'pending'") == 1
        ),
        30,
        "loa run (clock 5 minutes ahead) to sync on PostgreSQL",
    )
    assert dt.datetime.now(dt.UTC) < due - dt.timedelta(seconds=2), "started too slowly to tell"
    records = wait_for(lambda: office.sent(), 40, "the due message in the file channel")
    arrived = dt.datetime.now(dt.UTC)
    assert arrived >= due, f"sent {(due - arrived).total_seconds():.1f} s early"
    assert [r["key"] for r in records] == [f"{BOT_CAMPAIGN}:tin:once@nhat-ky"]
    host_clock = dt.datetime.fromisoformat(records[0]["sent_at"])  # the daemon's own clock
    assert host_clock - arrived > dt.timedelta(minutes=4), "its clock did not run ahead"
