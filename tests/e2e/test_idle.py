"""A daemon with nothing it may send sleeps: a message retrying after an error holds a later
due message to the same chat back, and the daemon waits for the retry without spinning."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import TIMED, Office, iso, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = [pytest.mark.slow, TIMED]

WATCH = 3.0  # seconds of waiting measured
LATER = 2.0  # seconds after the first message the second falls due: after the first failed
MOST = 0.10  # share of one core the waiting daemon may use


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (/proc/PID/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def two_messages(at: dt.datetime) -> str:
    lines = ['id = "nhac"', 'title = "Nhắc việc"', 'grace = "1h"']
    for i in range(2):
        lines += [
            "[[message]]",
            f'id = "tin-{i}"',
            f"at = {iso(at + dt.timedelta(seconds=LATER * i))}",
            f'text = "Tin {i}: thu gom rác thải nhựa"',
            'channels = ["tg:nhom"]',
        ]
    return "\n".join(lines) + "\n"


def test_a_retry_ahead_of_a_due_message_keeps_the_daemon_idle(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    group = fake.add_group()
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        f'[channels.tg.targets]\nnhom = "{group}"\n'
    )
    office.write_config(daemon="reload_seconds = 1\nretry_base_seconds = 120\n")
    fake.fail_next(1, "500", methods=["sendMessage"])
    process, at = office.start_then_move({"nhac": two_messages}, 1.5)
    retrying = "select count(*) from delivery where state = 'retrying'"
    wait_for(lambda: office.query(retrying)[0][0] == 1, 30, "the first message retrying")
    second_due = at + dt.timedelta(seconds=LATER + 0.2)
    wait_for(lambda: dt.datetime.now(dt.UTC) > second_due, 10, "the second message due")
    assert office.states().get("pending") == 1  # due, and held back by the first
    before, started = cpu_seconds(process.pid), time.monotonic()
    time.sleep(WATCH)  # the measured interval: nothing to wait for, by design
    used = cpu_seconds(process.pid) - before
    elapsed = time.monotonic() - started
    assert used / elapsed < MOST, f"{used:.2f} s of CPU in {elapsed:.1f} s while waiting"
    assert fake.accepted == [] and office.states().get("pending") == 1
    code, _, _ = office.stop(process)
    assert code == 0
