"""A renewed Zalo token pair is stored before it is used, off the event loop, and written again
while the database is busy: Zalo spends the old refresh token at the renewal, so a pair that
is lost cannot be had again without an admin authorizing the OA anew."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator

import pytest

from channels.errors import TransientError
from tests.channels.test_zalo_oa import Memory, channel, message
from tests.fakes.zalo import FakeClock, FakeZalo

FACT = "zalo-oa:oa:tokens"


class BusyMemory(Memory):
    """The ``meta`` store while another process holds the write lock: the next ``busy`` writes
    fail as SQLite's do."""

    def __init__(self, busy: int) -> None:
        super().__init__()
        self.busy = busy
        self.threads: set[int] = set()

    def set(self, name: str, value: str) -> None:
        self.threads.add(threading.get_ident())
        if self.busy:
            self.busy -= 1
            raise RuntimeError("database is locked")
        super().set(name, value)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with FakeZalo(clock=FakeClock()) as server:
        yield server


async def test_a_token_write_refused_while_the_database_is_busy_is_tried_again(
    fake: FakeZalo,
) -> None:
    user = fake.add_follower("2512523625412591", last_interaction=dt.timedelta(hours=1))
    memory = BusyMemory(busy=2)
    oa = channel(fake, memory, fake.issue_refresh_token())
    await oa.send(message(user, "k1"))
    await oa.close()
    assert len(fake.accepted) == 1 and len(fake.renewals) == 1
    assert fake.current_refresh_token in memory[FACT]
    assert threading.get_ident() not in memory.threads  # never a blocking write on the loop


async def test_a_pair_that_could_not_be_stored_is_kept_and_stored_before_the_next_send(
    fake: FakeZalo,
) -> None:
    """The database stays busy past every try: the send waits (transient), the new pair is
    not used unstored and not lost; the next send stores it first and goes out with it,
    without trading the spent refresh token again."""
    user = fake.add_follower("2512523625412592", last_interaction=dt.timedelta(hours=1))
    memory = BusyMemory(busy=100)
    oa = channel(fake, memory, fake.issue_refresh_token())
    with pytest.raises(TransientError):
        await oa.send(message(user, "k1"))
    assert fake.accepted == [] and FACT not in memory
    memory.busy = 0
    await oa.send(message(user, "k2"))
    await oa.close()
    assert len(fake.accepted) == 1 and len(fake.renewals) == 1
    assert fake.current_refresh_token in memory[FACT]
