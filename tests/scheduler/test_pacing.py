"""Each target's order and pace hold across daemons: two engines on one store (two daemons on
one PostgreSQL database; on SQLite the same rules hold for its one daemon) never have two
messages to one target in flight together, and a pace or a retry-after one of them learns
holds for the other, and so do the parts of a message one of them sent. A claim takes only
what can be in flight. Store-level: every test takes
the ``db`` fixture, so the same cases run on every store."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from channels.base import OutboundMessage, Receipt
from channels.errors import RateLimited, TransientError
from channels.limits import ChannelLimits, RateLimiter, Window
from channels.parts import PartSender
from scheduler.engine.dispatch import DispatchEngine, RetryPolicy
from scheduler.store import outbox
from scheduler.store.outbox import Claimed
from scheduler.store.tables import Delivery
from tests.scheduler.test_engine import T0, Clock, Scripted, add, row

D = Delivery.__table__  # type: ignore[attr-defined]
ADDRESSES = {
    ("kenh", t): str(100 + i) for i, t in enumerate(["a", "b", *(f"t{i}" for i in range(40))])
}


class Chat(Scripted):
    """A chat platform: every address is one person's chat (per-chat rate)."""

    def is_group(self, address: str) -> bool:
        return False


class Held(Chat):
    """Holds every send to target ``a`` (or to every target) until ``answer`` is set."""

    def __init__(self, clock: Clock, every: bool = False) -> None:
        super().__init__(clock)
        self.every = every
        self.answer = asyncio.Event()
        self.arrived = asyncio.Event()

    async def send(self, message: OutboundMessage) -> Receipt:
        if self.every or message.target == "a":
            self.arrived.set()
            await self.answer.wait()
        return await super().send(message)


def daemon(
    db: Engine, name: str, channel: Scripted, clock: Clock, **kwargs: object
) -> DispatchEngine:
    return DispatchEngine(db, {"kenh": channel}, ADDRESSES, name, clock=clock, seed=1, **kwargs)  # type: ignore[arg-type]


def paced() -> RateLimiter:
    limiter = RateLimiter()
    limiter.configure("kenh", ChannelLimits(per_target=Window(1, 1.0)))
    return limiter


async def test_two_messages_to_one_target_are_never_in_flight_together(db: Engine) -> None:
    """While one daemon sends to a chat, another takes no message to that chat (it would go
    out beside the first, or before it); it goes on with the other chats."""
    clock = Clock(T0)
    add(db, "a1", T0, target="a")
    add(db, "a2", T0 + dt.timedelta(seconds=1), target="a")
    add(db, "b1", T0 + dt.timedelta(seconds=1), target="b")
    slow = Held(clock)
    first = asyncio.create_task(daemon(db, "first", slow, clock, batch_size=1).run_due())
    async with asyncio.timeout(10):
        await slow.arrived.wait()
    clock.now = T0 + dt.timedelta(seconds=2)
    other = Chat(clock)
    await daemon(db, "second", other, clock).run_due()
    assert [m.key for m in other.sent] == ["b1"]
    assert row(db, "a2")["state"] == "pending"
    slow.answer.set()
    await first  # once the chat is free, the next message to it goes, after the first
    assert [m.key for m in slow.sent] == ["a1", "a2"] and [m.key for m in other.sent] == ["b1"]


async def test_a_retry_after_one_daemon_was_told_holds_for_another(db: Engine) -> None:
    """The platform said wait 30 s to the one daemon that sent to the chat; another daemon
    waits too, though the message that was told gave up (it is no longer retrying)."""
    clock = Clock(T0)
    add(db, "a1", T0, target="a")
    told = Chat(clock, [RateLimited("429 Too Many Requests", retry_after=30)])
    once = RetryPolicy(max_attempts=1)
    await daemon(db, "first", told, clock, policy=once, limiter=paced()).run_due()
    assert row(db, "a1")["state"] == "failed"
    add(db, "a2", T0, target="a")
    clock.now = T0 + dt.timedelta(seconds=5)
    other = Chat(clock)
    second = daemon(db, "second", other, clock, limiter=paced())
    await second.run_due()
    assert other.sent == [] and row(db, "a2")["state"] == "pending"
    wake = outbox.next_wake(db, second.paced, now=clock.now)
    assert wake is not None and T0 + dt.timedelta(seconds=30) <= wake <= clock.now + dt.timedelta(
        seconds=31
    )
    clock.now = wake
    await second.run_due()
    assert [m.key for m in other.sent] == ["a2"]


async def test_a_chats_pace_holds_across_daemons_and_drives_the_wake_up(db: Engine) -> None:
    """About one message a second to a chat, whichever daemon sends it: the second daemon,
    half a second after the first sent, waits, and its wake-up is when the pace lets go (not
    now: it would wake, claim nothing, and wake again at once)."""
    clock = Clock(T0)
    add(db, "a1", T0, target="a")
    first = daemon(db, "first", Chat(clock), clock, limiter=paced())
    assert (await first.run_due()).sent == 1
    clock.now = T0 + dt.timedelta(milliseconds=500)
    add(db, "a2", clock.now, target="a")
    other = Chat(clock)
    second = daemon(db, "second", other, clock, limiter=paced())
    await second.run_due()
    assert other.sent == [] and row(db, "a2")["state"] == "pending"
    wake = outbox.next_wake(db, second.paced, now=clock.now)
    assert wake is not None and T0 + dt.timedelta(seconds=1) <= wake <= T0 + dt.timedelta(
        seconds=1.5
    )
    clock.now = wake
    await second.run_due()
    assert [m.key for m in other.sent] == ["a2"]
    assert outbox.next_wake(db, second.paced, now=clock.now) is None


async def test_a_claim_takes_only_what_can_be_in_flight(db: Engine) -> None:
    """A daemon sending to many chats at once holds no more claims than it can have in flight
    (its concurrency): a crash puts in doubt only what may really have reached a platform."""
    clock = Clock(T0)
    for i in range(40):
        add(db, f"k{i:02d}", T0, target=f"t{i}")
    slow = Held(clock, every=True)
    run = asyncio.create_task(daemon(db, "first", slow, clock, concurrency=8).run_due())
    async with asyncio.timeout(10):
        await slow.arrived.wait()
    with db.connect() as conn:
        sending = conn.execute(select(func.count()).where(D.c.state == "sending")).scalar()
    assert sending is not None and 1 <= sending <= 8
    slow.answer.set()
    assert (await run).sent == 40


async def test_a_claim_takes_about_what_the_outlet_can_have_in_flight(db: Engine) -> None:
    """An outlet that hands 3 sends at a time to its platform (``Channel.in_flight``): the
    daemon holds no more than 3 claims, not its 128 lanes' worth, and the platform never has
    more than 3 at once. Killed then, it would leave only those 3 in doubt."""
    clock = Clock(T0)
    for i in range(40):
        add(db, f"k{i:02d}", T0, target=f"t{i}")
    slow = Held(clock, every=True)
    slow.in_flight = 3
    at_once = 0
    send = slow.send

    async def counted(message: OutboundMessage) -> Receipt:
        nonlocal at_once
        at_once += 1
        try:
            assert at_once <= 3, "more sends with the platform than the outlet takes"
            return await send(message)
        finally:
            at_once -= 1

    slow.send = counted  # type: ignore[method-assign]
    engine = daemon(db, "first", slow, clock)
    run = asyncio.create_task(engine.run_due())
    async with asyncio.timeout(10):
        await slow.arrived.wait()
    with db.connect() as conn:
        sending = conn.execute(select(func.count()).where(D.c.state == "sending")).scalar()
    assert engine.bounds == {"kenh": 3}
    assert sending == 3
    slow.answer.set()
    assert (await run).sent == 40


def on_channel(db: Engine, channel: str, keys: list[str]) -> None:
    with db.begin() as conn:
        conn.execute(update(D).where(D.c.key.in_(keys)).values(channel=channel))


async def test_a_bounded_outlet_leaves_the_others_the_room_it_does_not_use(db: Engine) -> None:
    """An outlet that bounds its sends (12 in flight) beside a local one, with claims of at
    most 10 (``[daemon] batch_size``): the outlet's one row takes one place, not ten, and the
    local outlet's rows go out in the same run. They were left pending for good, and the
    daemon woke for them at once, again and again."""
    clock = Clock(T0)
    add(db, "tg1", T0, target="a")
    for i in range(3):
        add(db, f"so{i}", T0, target=f"t{i}")
    on_channel(db, "so", [f"so{i}" for i in range(3)])
    bounded, local = Chat(clock), Chat(clock)
    bounded.in_flight = 12
    addresses = {**ADDRESSES, **{("so", f"t{i}"): str(900 + i) for i in range(3)}}
    engine = DispatchEngine(db, {"kenh": bounded, "so": local}, addresses, "first", clock=clock,
                            seed=1, batch_size=10)  # type: ignore[dict-item]  # fmt: skip
    assert (await engine.run_due()).sent == 4
    assert len(local.sent) == 3
    assert outbox.next_wake(db, engine.paced, now=clock.now) is None


async def test_bounded_outlets_together_claim_no_more_than_a_claim_may_take(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two outlets of 12 in flight each, claims of at most 10 (``batch_size``): no claim takes
    more than 10 between them, and the daemon holds no more than their 24."""
    clock = Clock(T0)
    for i in range(12):
        add(db, f"k{i:02d}", T0, target=f"t{i}")
        add(db, f"z{i:02d}", T0, target=f"t{i}")
    on_channel(db, "za", [f"z{i:02d}" for i in range(12)])
    first, second = Held(clock, every=True), Held(clock, every=True)
    first.in_flight = second.in_flight = 12
    claims: list[int] = []
    claim_due = outbox.claim_due

    def counted(*args: Any, **kwargs: Any) -> tuple[list[Claimed], list[Claimed]]:
        send, late = claim_due(*args, **kwargs)
        claims.append(len(send) + len(late))
        return send, late

    monkeypatch.setattr(outbox, "claim_due", counted)
    addresses = {**ADDRESSES, **{("za", f"t{i}"): str(900 + i) for i in range(12)}}
    engine = DispatchEngine(db, {"kenh": first, "za": second}, addresses, "first", clock=clock,
                            seed=1, batch_size=10)  # type: ignore[dict-item]  # fmt: skip
    run = asyncio.create_task(engine.run_due())
    async with asyncio.timeout(10):
        await first.arrived.wait()
        await second.arrived.wait()
    with db.connect() as conn:
        sending = conn.execute(select(func.count()).where(D.c.state == "sending")).scalar()
    assert sending is not None and 10 <= sending <= 24
    first.answer.set()
    second.answer.set()
    assert (await run).sent == 24
    assert max(claims) == 10, claims


class InParts(Chat):
    """Sends a text as its parts (split at "|"), through the outlets' own ``PartSender``;
    the platform fails the parts listed in ``refused``, once each."""

    def __init__(self, clock: Clock, refused: set[str] | None = None) -> None:
        super().__init__(clock)
        self.parts = PartSender("kenh", None)
        self.refused = refused or set()
        self.received: list[str] = []

    async def send(self, message: OutboundMessage) -> Receipt:
        async def one(part: str) -> str:
            if part in self.refused:
                self.refused.discard(part)
                raise TransientError("HTTP 502")
            self.received.append(part)
            return f"id-{part}"

        return await self.parts.send(message, message.text.split("|"), one)


async def test_a_message_in_parts_goes_on_where_another_daemon_stopped(db: Engine) -> None:
    """The second of three parts failed at one daemon; the retry, made by another, sends the
    second and third, not the first again."""
    clock = Clock(T0)
    with db.begin() as conn:
        conn.execute(D.insert().values(
            key="k1", message_key="k1", campaign="c", item="m", occurrence="once", channel="kenh",
            target="a", due=T0, text="một|hai|ba", content_hash="", state="pending",
            next_attempt_at=T0, grace_seconds=3600, created_at=T0, updated_at=T0,
        ))  # fmt: skip
    first = InParts(clock, refused={"hai"})
    policy = RetryPolicy(base=1)
    await daemon(db, "first", first, clock, policy=policy).run_due()
    assert first.received == ["một"] and row(db, "k1")["state"] == "retrying"
    clock.now = T0 + dt.timedelta(minutes=1)
    other = InParts(clock)
    await daemon(db, "second", other, clock, policy=policy).run_due()
    assert other.received == ["hai", "ba"]
    stored = row(db, "k1")
    assert stored["state"] == "sent" and stored["provider_message_id"] == "id-một,id-hai,id-ba"


async def test_a_retry_that_falls_due_while_the_run_goes_on_is_sent(db: Engine) -> None:
    """A message retrying comes due again while the engine is still sending to another chat:
    its chat is no longer held (the hold was for it), so it is sent, not put back again and
    again (a spin that left every such chat stuck)."""
    clock = Clock(T0)
    add(db, "a1", T0, target="a")
    add(db, "b1", T0, target="b")

    class SlowB(Chat):
        def __init__(self) -> None:
            super().__init__(clock, [TransientError("HTTP 502")])
            self.answer = asyncio.Event()

        async def send(self, message: OutboundMessage) -> Receipt:
            if message.target == "b":
                await self.answer.wait()
                return Receipt(sent_at=clock(), provider_message_id="b")
            return await super().send(message)

    channel = SlowB()
    run = asyncio.create_task(
        daemon(db, "first", channel, clock, policy=RetryPolicy(base=1)).run_due()
    )
    async with asyncio.timeout(10):
        while row(db, "a1")["state"] != "retrying":
            await asyncio.sleep(0.01)
    clock.now = row(db, "a1")["next_attempt_at"]  # type: ignore[assignment]
    channel.answer.set()
    async with asyncio.timeout(10):
        await run
    assert row(db, "a1")["state"] == "sent" and [m.key for m in channel.sent] == ["a1"]


async def test_a_message_found_missed_holds_no_target(db: Engine) -> None:
    """After downtime a message past its grace is recorded missed, never handed over: the next
    message to its chat goes at once (on PostgreSQL the claim marked the chat busy for the
    missed one's lease, and the chat stayed silent until it ran out)."""
    clock = Clock(T0)
    add(db, "late", T0 - dt.timedelta(hours=2), target="a")
    chat = Chat(clock)
    engine = daemon(db, "first", chat, clock, limiter=paced())
    await engine.run_due()
    assert row(db, "late")["state"] == "missed" and chat.sent == []
    add(db, "a1", T0, target="a")
    await engine.run_due()
    assert [m.key for m in chat.sent] == ["a1"]
