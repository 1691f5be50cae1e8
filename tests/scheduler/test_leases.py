"""Each delivery on its own lease: a claim has an owner and an expiry, outcomes are recorded as
sends complete (and again while the database is busy), a live daemon renews its claims, and
recovery takes back only what a dead one left. Store-level: every test takes the ``db``
fixture, so the same cases can run on every store."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterable
from typing import Any

import pytest
from sqlalchemy import Engine, event, update

from campaigns.model import ChannelCatalog
from channels.base import OutboundMessage, Receipt
from scheduler.engine.dispatch import LEASE, DispatchEngine
from scheduler.engine.quotas import Quota, QuotaGuard
from scheduler.store import outbox
from scheduler.store.tables import Delivery
from tests.scheduler.test_engine import T0, Clock, Scripted, add, engine_for, row

D = Delivery.__table__  # type: ignore[attr-defined]


def claimed_by(db: Engine, key: str, owner: str, lease_until: dt.datetime) -> None:
    with db.begin() as conn:
        conn.execute(
            update(D)
            .where(D.c.key == key)
            .values(state="sending", claimed_by=owner, claimed_at=T0, lease_until=lease_until)
        )


# "database is locked" is SQLite's one writer at a time; PostgreSQL takes row locks instead
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_record_refused_while_the_database_is_busy_is_written_once_it_is_free(
    db: Engine,
) -> None:
    """Another process holds the write lock while the sends complete: the outcomes are written
    when it lets go, and no row stays in ``sending`` (where only a restart would find it)."""
    busy = 3

    @event.listens_for(db, "before_cursor_execute")
    def _locked(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        nonlocal busy
        if "provider_message_id=?" in statement and busy:
            busy -= 1
            raise sqlite3.OperationalError("database is locked")

    clock = Clock(T0)
    channel = Scripted(clock)
    add(db, "k1", T0, target="a")
    add(db, "k2", T0, target="b")
    report = await engine_for(db, channel, clock).run_due()
    assert report.sent == 2 and busy == 0
    assert [row(db, k)["state"] for k in ("k1", "k2")] == ["sent", "sent"]
    assert len(channel.sent) == 2


async def test_each_outcome_is_recorded_as_its_send_completes(db: Engine) -> None:
    """A slow send does not hold back the record of a quick one: a crash while the slow one
    is in flight puts only that one in doubt."""
    clock = Clock(T0)
    answer = asyncio.Event()

    class SlowToB(Scripted):
        async def send(self, message: OutboundMessage) -> Receipt:
            if message.target == "b":
                await answer.wait()
            return await super().send(message)

    add(db, "k1", T0, target="a")
    add(db, "k2", T0, target="b")
    run = asyncio.create_task(engine_for(db, SlowToB(clock), clock).run_due())
    async with asyncio.timeout(10):
        while row(db, "k1")["state"] != "sent":
            await asyncio.sleep(0.01)
    assert row(db, "k2")["state"] == "sending"
    answer.set()
    assert (await run).sent == 2 and row(db, "k2")["state"] == "sent"


async def test_a_claim_has_an_owner_and_a_lease_that_its_daemon_renews(db: Engine) -> None:
    clock = Clock(T0)
    engine = engine_for(db, Scripted(clock), clock)
    add(db, "k1", T0)
    send, _ = outbox.claim_due(db, T0, "test", lease=engine.lease)
    assert [c.key for c in send] == ["k1"]
    claimed = row(db, "k1")
    assert claimed["claimed_by"] == "test" and claimed["lease_until"] == T0 + engine.lease
    clock.now = T0 + dt.timedelta(seconds=45)
    assert await engine.heartbeat() == 1
    assert row(db, "k1")["lease_until"] == clock.now + engine.lease


async def test_start_up_on_a_shared_store_takes_only_what_dead_daemons_left(db: Engine) -> None:
    """A daemon starting beside live ones takes none of their claims: only expired leases,
    and the rows of its own id from an earlier run of it."""
    clock = Clock(T0)
    for key in ("live", "expired", "mine"):
        add(db, key, T0 - dt.timedelta(minutes=1))
    claimed_by(db, "live", "other", T0 + dt.timedelta(seconds=30))
    claimed_by(db, "expired", "dead", T0 - dt.timedelta(seconds=1))
    claimed_by(db, "mine", "test", T0 + dt.timedelta(seconds=30))
    report = await engine_for(db, Scripted(clock), clock).recover(start=True, alone=False)
    assert sorted(report.keys) == ["expired", "mine"] and report.possible_duplicates == 2
    assert row(db, "live")["state"] == "sending"
    assert row(db, "expired")["state"] == "pending" and row(db, "expired")["possible_duplicate"]


async def test_start_up_alone_on_its_store_takes_every_claim(db: Engine) -> None:
    """The SQLite lock makes the daemon the store's only one: a claim left by a kill -9 is
    resolved at once, not when its lease runs out."""
    clock = Clock(T0)
    add(db, "k1", T0 - dt.timedelta(minutes=1))
    claimed_by(db, "k1", "killed", T0 + dt.timedelta(seconds=30))
    report = await engine_for(db, Scripted(clock), clock).recover(start=True, alone=True)
    assert report.keys == ["k1"] and row(db, "k1")["possible_duplicate"]


async def test_the_rescuer_takes_back_expired_claims_but_never_its_own(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock)
    channel.have["confirmed"] = Receipt(sent_at=T0 - dt.timedelta(seconds=70))
    for key in ("expired", "confirmed", "mine"):
        add(db, key, T0 - dt.timedelta(minutes=2))
    for key in ("expired", "confirmed"):
        claimed_by(db, key, "dead", T0 - dt.timedelta(seconds=1))
    claimed_by(db, "mine", "test", T0 - dt.timedelta(seconds=1))  # a heartbeat came late
    engine = engine_for(db, channel, clock)
    report = await engine.recover(start=False)
    assert (report.in_flight, report.confirmed_sent, report.possible_duplicates) == (2, 1, 1)
    assert row(db, "confirmed")["state"] == "sent"
    assert row(db, "expired")["state"] == "pending" and row(db, "expired")["possible_duplicate"]
    assert row(db, "mine")["state"] == "sending"


async def test_two_rescuers_at_once_take_each_claim_once(db: Engine) -> None:
    """Every daemon runs a rescuer. Two that find a dead one's claim at the same moment must
    not both take it: each would count it in its recovery report (the operator reads twice
    the deliveries in doubt), and each would decide it alone."""
    clock = Clock(T0)
    asked: list[str] = []
    both = asyncio.Event()

    class Checked(Scripted):
        async def find_sent(self, keys: Iterable[str]) -> dict[str, Receipt]:
            asked.append(",".join(keys))
            if len(asked) == 2:
                both.set()
            with contextlib.suppress(TimeoutError):  # the other rescuer asks meanwhile, if it can
                await asyncio.wait_for(both.wait(), 0.5)
            return {}

    add(db, "k1", T0 - dt.timedelta(minutes=2))
    claimed_by(db, "k1", "dead", T0 - dt.timedelta(seconds=1))
    addresses = {("kenh", ""): ""}
    rescuers = [
        DispatchEngine(db, {"kenh": Checked(clock)}, addresses, name, clock=clock, seed=1)  # type: ignore[dict-item]
        for name in ("a", "b")
    ]
    reports = await asyncio.gather(*(r.recover(start=False) for r in rescuers))
    assert sorted(r.in_flight for r in reports) == [0, 1], reports
    assert sum(r.possible_duplicates for r in reports) == 1
    assert row(db, "k1")["state"] == "pending" and row(db, "k1")["possible_duplicate"]


async def test_a_late_record_does_not_undo_a_rescue(db: Engine) -> None:
    """Once a claim is taken back, its old owner's outcome no longer writes: the delivery is
    another's to send (flagged), and is not marked sent under it."""
    add(db, "k1", T0 - dt.timedelta(minutes=2))
    claimed_by(db, "k1", "slow", T0 - dt.timedelta(seconds=1))
    assert [c.key for c in outbox.take_in_flight(db, T0, "test", False, T0 + LEASE)] == ["k1"]
    assert outbox.release(db, ["k1"], T0, True, "test") == 1
    outbox.claim_due(db, T0, "test")
    sent = outbox.Outcome("k1", outbox.State.SENT, sent_at=T0)
    outbox.record(db, [sent], T0, owner="slow")
    assert row(db, "k1")["state"] == "sending" and row(db, "k1")["claimed_by"] == "test"


@pytest.mark.parametrize(
    ("quota", "targets"),
    [(Quota(per_user_daily=1), ("a", "a")), (Quota(monthly=1), ("a", "b"))],
    ids=["one follower", "two followers"],
)
async def test_deliveries_claimed_together_never_exceed_a_quota(
    db: Engine, quota: Quota, targets: tuple[str, str]
) -> None:
    """Two messages due in the same second, claimed together: the first in due order takes
    the quota of 1, the second is refused, whether the first is recorded yet or not."""
    clock = Clock(T0 + dt.timedelta(seconds=1))
    channel = Scripted(clock)
    guard = QuotaGuard(db, {"kenh": quota}, "Asia/Ho_Chi_Minh")
    add(db, "k1", T0, target=targets[0])
    add(db, "k2", T0 + dt.timedelta(milliseconds=500), target=targets[1])
    report = await engine_for(db, channel, clock, quota=guard.refusal).run_due()
    assert [m.key for m in channel.sent] == ["k1"]
    assert (report.sent, report.failed) == (1, 1) and row(db, "k2")["state"] == "failed"


def test_loa_retry_racing_a_claim_leaves_the_claimed_row_to_its_daemon(db: Engine) -> None:
    """``loa retry`` reads a retrying delivery; before it writes, the delivery falls due and a
    daemon claims it and hands it to the platform. The retry leaves it as it is: put back to
    ``pending`` it would go out a second time, and unflagged."""
    add(db, "k1", T0 - dt.timedelta(minutes=5), target="a", state="retrying")
    raced = False

    @event.listens_for(db, "after_cursor_execute")
    def _claim_meanwhile(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        nonlocal raced
        if "delivery.due, delivery.grace_seconds" in statement and not raced:
            raced = True
            assert [c.key for c in outbox.claim_due(db, T0, "daemon")[0]] == ["k1"]

    catalog = ChannelCatalog(targets={"kenh": ("a",)}, defaults=("kenh",))
    assert outbox.retry(db, T0, catalog, "k1").count == 0 and raced
    assert row(db, "k1")["state"] == "sending"
    outbox.record(db, [outbox.Outcome("k1", outbox.State.SENT, sent_at=T0)], T0, "daemon")
    assert row(db, "k1")["state"] == "sent" and outbox.next_wake(db) is None
