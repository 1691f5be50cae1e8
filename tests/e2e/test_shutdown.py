"""SIGTERM in the middle of a burst: the daemon stops claiming, lets the sends in flight finish
(within a bound), records them, and exits; what it had not handed over waits, unflagged, for
the next start. After the restart every message has arrived exactly once and none is flagged
a possible duplicate."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.e2e.harness import TIMED, Office, iso, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = [pytest.mark.slow, TIMED]

CHATS = 4
PER_CHAT = 4
SLOW = 3.0  # seconds the slow platform takes to answer a send
STOPS_WITHIN = 5.0


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def burst(at: dt.datetime) -> str:
    lines = ['id = "dot"', 'title = "Đợt ra quân"', 'grace = "1h"']
    for chat in range(CHATS):
        for i in range(PER_CHAT):
            lines += [
                "[[message]]",
                f'id = "nhom{chat}-{i}"',
                f"at = {iso(at + dt.timedelta(milliseconds=i))}",
                f'text = "Tin {i} cho nhóm {chat}: ra quân làm sạch bờ sông"',
                f'channels = ["tg:nhom{chat}"]',
            ]
    return "\n".join(lines) + "\n"


def office_for(office: Office, fake: FakeTelegram) -> None:
    chats = [fake.add_private_chat() for _ in range(CHATS)]
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        "[channels.tg.targets]\n" + "".join(f'nhom{i} = "{c}"\n' for i, c in enumerate(chats))
    )
    office.write_config()


def sends_started(fake: FakeTelegram) -> int:
    return sum(1 for method, _ in fake.calls if method == "sendMessage")


def stop_mid_burst_then_restart(office: Office, fake: FakeTelegram, in_flight: int) -> float:
    """Stop once ``in_flight`` sends have reached the platform; check the stop and the restart;
    return how long the stop took."""
    process, _ = office.start_then_move({"dot": burst}, 1.5)
    wait_for(lambda: sends_started(fake) >= in_flight, 30, f"{in_flight} sends in flight")
    started = time.monotonic()
    code, _, err = office.stop(process, timeout=STOPS_WITHIN + 5)
    took = time.monotonic() - started
    assert code == 0, err
    assert "CancelledError" not in err and "Traceback" not in err, err
    delivered = Counter(m.plain_text for m in fake.accepted)
    states = office.states()
    assert "sending" not in states, states  # every send in flight was recorded
    assert states.get("sent", 0) == len(delivered)  # ... and only those
    fake.delay = 0.0
    process = office.start()
    office.started(process)
    office.settled()
    office.stop(process)
    arrived = Counter(m.plain_text for m in fake.accepted)
    assert len(arrived) == CHATS * PER_CHAT and set(arrived.values()) == {1}, arrived
    flagged = office.query("select key from delivery where possible_duplicate")
    assert flagged == []  # nothing was in doubt: nothing is flagged
    return took


def test_sigterm_waits_for_the_sends_in_flight_to_a_slow_platform(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    office_for(office, fake)
    fake.delay = SLOW
    took = stop_mid_burst_then_restart(office, fake, CHATS)
    assert took < STOPS_WITHIN


def test_sigterm_mid_burst_to_a_fast_platform_is_clean(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    office_for(office, fake)
    took = stop_mid_burst_then_restart(office, fake, CHATS + 1)
    assert took < 2.0
