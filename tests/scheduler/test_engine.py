"""The dispatch engine with an injected clock and a scripted channel: states, retries,
backoff, grace, recovery after a crash, order per target."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, update
from sqlalchemy.exc import DBAPIError

from channels.base import OutboundMessage, Receipt
from channels.errors import AuthError, PermanentError, RateLimited, TransientError
from channels.file import FileChannel
from scheduler.engine.dispatch import DispatchEngine, RetryPolicy
from scheduler.store import outbox
from scheduler.store.storage import fault_kind
from scheduler.store.tables import Delivery, State

D = Delivery.__table__  # type: ignore[attr-defined]
T0 = dt.datetime(2026, 6, 5, 1, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Scripted:
    """A channel that answers from a script: an exception to raise, or success."""

    name = "kenh"
    confirms_delivery = False

    def __init__(self, clock: Clock, script: Iterable[Exception | None] = ()) -> None:
        self.clock = clock
        self.script = list(script)
        self.sent: list[OutboundMessage] = []
        self.have: dict[str, Receipt] = {}

    async def send(self, message: OutboundMessage) -> Receipt:
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        self.sent.append(message)
        return Receipt(sent_at=self.clock(), provider_message_id=f"id-{len(self.sent)}")

    async def find_sent(self, keys: Iterable[str]) -> dict[str, Receipt]:
        return {k: self.have[k] for k in keys if k in self.have}

    async def close(self) -> None:
        return None


def add(
    db: Engine,
    key: str,
    due: dt.datetime,
    target: str = "",
    grace: int = 3600,
    state: str = "pending",
) -> None:
    with db.begin() as conn:
        conn.execute(
            D.insert().values(
                key=key, message_key=key, campaign="c", item="m", occurrence="once", channel="kenh",
                target=target, due=due, text=f"Tin {key}", content_hash="", state=state,
                next_attempt_at=due, grace_seconds=grace, created_at=due, updated_at=due,
            )
        )  # fmt: skip


def row(db: Engine, key: str) -> dict[str, object]:
    with db.connect() as conn:
        return dict(conn.execute(select(D).where(D.c.key == key)).one()._mapping)


def engine_for(db: Engine, channel: Scripted, clock: Clock, **kwargs: object) -> DispatchEngine:
    addresses = {("kenh", ""): "", ("kenh", "a"): "111", ("kenh", "b"): "222"}
    return DispatchEngine(db, {"kenh": channel}, addresses, "test", clock=clock, seed=1, **kwargs)  # type: ignore[arg-type]


async def test_sent_with_receipt(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock)
    add(db, "k1", T0, target="a")
    report = await engine_for(db, channel, clock).run_due()
    assert report.sent == 1 and channel.sent[0].address == "111"
    stored = row(db, "k1")
    assert stored["state"] == "sent" and stored["attempts"] == 1
    assert stored["provider_message_id"] == "id-1" and stored["sent_at"] == T0


async def test_not_sent_before_due(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock)
    add(db, "k1", T0 + dt.timedelta(seconds=1))
    assert (await engine_for(db, channel, clock).run_due()).sent == 0
    assert row(db, "k1")["state"] == "pending"


async def test_transient_retries_with_backoff_then_succeeds(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock, [TransientError("HTTP 502"), TransientError("HTTP 503")])
    engine = engine_for(db, channel, clock, policy=RetryPolicy(base=10, max_attempts=5))
    add(db, "k1", T0)
    await engine.run_due()
    first = row(db, "k1")
    assert first["state"] == "retrying" and first["last_error"] == "HTTP 502"
    wait = (first["next_attempt_at"] - T0).total_seconds()  # type: ignore[operator]
    assert 5 <= wait <= 10  # base 10 s with jitter in [0.5, 1]
    clock.now = first["next_attempt_at"]  # type: ignore[assignment]
    await engine.run_due()
    second = row(db, "k1")
    wait2 = (second["next_attempt_at"] - clock.now).total_seconds()  # type: ignore[operator]
    assert 10 <= wait2 <= 20  # doubled
    clock.now = second["next_attempt_at"]  # type: ignore[assignment]
    await engine.run_due()
    assert row(db, "k1")["state"] == "sent" and row(db, "k1")["attempts"] == 3


async def test_retry_after_is_honoured_and_other_targets_keep_moving(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock, [RateLimited("429 Too Many Requests", retry_after=30)])
    add(db, "k1", T0, target="a")
    add(db, "k2", T0, target="b")
    await engine_for(db, channel, clock).run_due()
    limited = row(db, "k1")
    assert limited["state"] == "retrying"
    assert 30 <= (limited["next_attempt_at"] - T0).total_seconds() <= 30.25  # type: ignore[operator]
    assert row(db, "k2")["state"] == "sent"


@pytest.mark.parametrize(
    "error", [PermanentError("chat not found"), AuthError("token không hợp lệ")]
)
async def test_permanent_and_auth_errors_fail_at_once(db: Engine, error: Exception) -> None:
    clock = Clock(T0)
    add(db, "k1", T0)
    await engine_for(db, Scripted(clock, [error]), clock).run_due()
    stored = row(db, "k1")
    assert (
        stored["state"] == "failed"
        and stored["attempts"] == 1
        and stored["last_error"] == str(error)
    )


async def test_gives_up_after_max_attempts(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock, [TransientError("timeout")] * 10)
    engine = engine_for(db, channel, clock, policy=RetryPolicy(base=1, max_attempts=3))
    add(db, "k1", T0)
    for _ in range(3):
        await engine.run_due()
        clock.now = row(db, "k1")["next_attempt_at"] or clock.now  # type: ignore[assignment]
    stored = row(db, "k1")
    assert (
        stored["state"] == "failed"
        and stored["attempts"] == 3
        and "3 lần" in str(stored["last_error"])
    )


async def test_overdue_beyond_grace_is_missed_within_grace_is_sent(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock)
    add(db, "late-ok", T0 - dt.timedelta(minutes=59), grace=3600)
    add(db, "too-late", T0 - dt.timedelta(minutes=61), grace=3600)
    report = await engine_for(db, channel, clock).run_due()
    assert (report.sent, report.missed) == (1, 1)
    assert row(db, "late-ok")["state"] == "sent"
    assert row(db, "too-late")["state"] == "missed" and [m.key for m in channel.sent] == ["late-ok"]


async def test_a_retry_past_grace_is_missed(db: Engine) -> None:
    clock = Clock(T0)
    add(db, "k1", T0, grace=20)
    await engine_for(db, Scripted(clock, [RateLimited("429", retry_after=60)]), clock).run_due()
    assert row(db, "k1")["state"] == "missed"


async def test_order_is_kept_per_target(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock)
    for i in range(20):
        add(db, f"a{i:02d}", T0 - dt.timedelta(seconds=20 - i), target="a")
        add(db, f"b{i:02d}", T0 - dt.timedelta(seconds=20 - i), target="b")
    await engine_for(db, channel, clock, batch_size=7).run_due()
    for target in ("a", "b"):
        keys = [m.key for m in channel.sent if m.target == target]
        assert keys == sorted(keys) and len(keys) == 20


async def test_the_wake_up_waits_for_a_retry_that_holds_a_later_message_back(db: Engine) -> None:
    """The next wake-up follows the claim's rule: a message retrying in ten minutes holds a
    later due message to the same target back, so the wake-up is in ten minutes, not now (a
    wake-up now would claim nothing and wake again at once, for ten minutes)."""
    clock = Clock(T0)
    retry_at = T0 + dt.timedelta(minutes=10)
    add(db, "k1", T0 - dt.timedelta(seconds=5), target="a", state="retrying")
    with db.begin() as conn:
        conn.execute(update(D).where(D.c.key == "k1").values(next_attempt_at=retry_at))
    add(db, "k2", T0, target="a")
    add(db, "k3", T0 + dt.timedelta(minutes=20), target="b")
    assert (await engine_for(db, Scripted(clock), clock).run_due()).sent == 0
    assert outbox.next_wake(db, now=clock.now) == retry_at
    clock.now = retry_at
    channel = Scripted(clock)
    await engine_for(db, channel, clock).run_due()
    assert [m.key for m in channel.sent] == ["k1", "k2"]
    assert outbox.next_wake(db, now=clock.now) == T0 + dt.timedelta(minutes=20)


async def test_unknown_target_alias_fails_clearly(db: Engine) -> None:
    clock = Clock(T0)
    add(db, "k1", T0, target="da-xoa")
    await engine_for(db, Scripted(clock), clock).run_due()
    assert row(db, "k1")["state"] == "failed" and "da-xoa" in str(row(db, "k1")["last_error"])


async def test_recovery_confirms_what_the_channel_has_and_resends_the_rest(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock)
    channel.have["k1"] = Receipt(sent_at=T0 - dt.timedelta(seconds=1))
    add(db, "k1", T0 - dt.timedelta(seconds=2), state="sending")
    add(db, "k2", T0 - dt.timedelta(seconds=2), state="sending")
    engine = engine_for(db, channel, clock)
    report = await engine.recover()
    assert (report.in_flight, report.confirmed_sent, report.possible_duplicates) == (2, 1, 1)
    assert row(db, "k1")["state"] == "sent" and not row(db, "k1")["possible_duplicate"]
    assert row(db, "k2")["state"] == "pending" and row(db, "k2")["possible_duplicate"]
    await engine.run_due()
    assert [m.key for m in channel.sent] == ["k2"] and row(db, "k2")["state"] == "sent"


async def test_file_channel_finds_what_it_wrote_and_skips_torn_lines(tmp_path: Path) -> None:
    channel = FileChannel("nhat-ky", tmp_path / "out.jsonl")
    message = OutboundMessage("k1", "c", "m", "nhat-ky", "", "", "Chống ô nhiễm nhựa", T0)
    await channel.send(message)
    with (tmp_path / "out.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"key": "k2", "sent_at": "2026-')  # torn by a crash
    found = await channel.find_sent(["k1", "k2", "k3"])
    assert list(found) == ["k1"]


async def test_record_never_overwrites_a_row_that_left_sending(db: Engine) -> None:
    """A person cancelled it while it was being sent: the cancel stands."""
    clock = Clock(T0)
    add(db, "k1", T0)

    class CancelDuringSend(Scripted):
        async def send(self, message: OutboundMessage) -> Receipt:
            with db.begin() as conn:
                conn.execute(update(D).where(D.c.key == "k1").values(state=State.CANCELLED))
            return await super().send(message)

    await engine_for(db, CancelDuringSend(clock), clock).run_due()
    assert row(db, "k1")["state"] == "cancelled"


async def test_recovery_with_a_certain_channel_resends_without_flag(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock)
    channel.confirms_delivery = True  # it knows everything it received: k2 never arrived
    channel.have["k1"] = Receipt(sent_at=T0)
    add(db, "k1", T0, state="sending")
    add(db, "k2", T0, state="sending")
    report = await engine_for(db, channel, clock).recover()
    assert (report.confirmed_sent, report.confirmed_not_sent, report.possible_duplicates) == (
        1,
        1,
        0,
    )
    assert row(db, "k2")["state"] == "pending" and not row(db, "k2")["possible_duplicate"]


async def test_a_message_over_quota_fails_naming_the_quota(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock)
    add(db, "k1", T0, target="a")
    add(db, "k2", T0, target="b")

    def quota(name: str, target: str, now: dt.datetime, _: object) -> str | None:
        return "hết hạn mức per_user_daily" if target == "a" else None

    await engine_for(db, channel, clock, quota=quota).run_due()
    assert row(db, "k1")["state"] == "failed" and "per_user_daily" in str(
        row(db, "k1")["last_error"]
    )
    assert [m.key for m in channel.sent] == ["k2"]


async def test_a_later_message_never_overtakes_one_waiting_for_the_same_target(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(clock, [TransientError("HTTP 502")])
    engine = engine_for(db, channel, clock, policy=RetryPolicy(base=10))
    add(db, "a1", T0, target="a")
    await engine.run_due()
    assert row(db, "a1")["state"] == "retrying"
    add(db, "a2", T0 + dt.timedelta(seconds=1), target="a")  # due before a1's next try
    add(db, "b1", T0 + dt.timedelta(seconds=1), target="b")
    clock.now = T0 + dt.timedelta(seconds=2)
    await engine.run_due()
    assert row(db, "a2")["state"] == "pending" and row(db, "b1")["state"] == "sent"
    clock.now = row(db, "a1")["next_attempt_at"]  # type: ignore[assignment]
    await engine.run_due()
    assert [m.key for m in channel.sent] == ["b1", "a1", "a2"]


async def test_an_answer_lost_in_flight_marks_a_possible_duplicate_for_good(db: Engine) -> None:
    clock = Clock(T0)
    channel = Scripted(
        clock, [TransientError("ReadTimeout", maybe_delivered=True), TransientError("HTTP 502")]
    )
    engine = engine_for(db, channel, clock, policy=RetryPolicy(base=1))
    add(db, "k1", T0)
    add(db, "k2", T0, target="a")  # both claimed at once: k1 sends first
    await engine.run_due()
    clock.now = T0 + dt.timedelta(minutes=1)
    await engine.run_due()
    assert row(db, "k1")["state"] == "sent" and row(db, "k1")["possible_duplicate"]
    assert (
        row(db, "k2")["state"] == "sent" and not row(db, "k2")["possible_duplicate"]
    )  # a 502: refused


async def test_a_send_the_database_refuses_to_record_is_recorded_first_next_time(
    db: Engine,
) -> None:
    """The disk turns read-only between the send and its record: the message is not left in
    ``sending`` (to be sent again after a restart), it is recorded once writes work again."""
    read_only = False

    @event.listens_for(db, "checkout")
    def _mode(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if db.dialect.name == "sqlite":
            dbapi_connection.execute(
                f"PRAGMA query_only = {int(read_only)}"
            )  # SQLite's own refusal
        else:  # PostgreSQL's, for the transactions that follow
            dbapi_connection.execute(f"set default_transaction_read_only = {int(read_only)}")
            dbapi_connection.commit()

    class TurnsReadOnly(Scripted):
        async def send(self, message: OutboundMessage) -> Receipt:
            nonlocal read_only
            read_only = True
            return await super().send(message)

    clock = Clock(T0)
    channel = TurnsReadOnly(clock)
    engine = engine_for(db, channel, clock)
    add(db, "k1", T0)
    with pytest.raises(DBAPIError) as refused:  # OperationalError on SQLite
        await engine.run_due()
    assert fault_kind(refused.value) == "read_only"
    read_only = False
    assert row(db, "k1")["state"] == "sending"
    await engine.run_due()
    stored = row(db, "k1")
    assert stored["state"] == "sent" and stored["provider_message_id"] == "id-1"
    assert len(channel.sent) == 1 and engine.unrecorded == []


def incidents(db: Engine) -> dict[tuple[str, str], int]:
    from scheduler.alerts import open_incidents

    return {(i["kind"], i["subject"]): i["count"] for i in open_incidents(db)}


async def test_failures_and_misses_open_incidents_for_the_admins(db: Engine) -> None:
    clock = Clock(T0)
    errors = [PermanentError("chat not found"), PermanentError("chat not found"), None]
    channel = Scripted(clock, [*errors, AuthError("Unauthorized")])
    for i in range(3):
        add(db, f"a{i}", T0 - dt.timedelta(milliseconds=3 - i), target="a")
    add(db, "late", T0 - dt.timedelta(hours=2), target="b")
    engine = engine_for(db, channel, clock)
    await engine.run_due()
    add(db, "b0", T0, target="b")
    await engine.run_due()
    assert incidents(db) == {
        ("delivery_failed", "kenh:a"): 2,
        ("channel_auth", "kenh"): 1,
        ("delivery_missed", "kenh:b"): 1,
    }


async def test_alert_deliveries_that_fail_raise_no_incident(db: Engine) -> None:
    from scheduler.alerts.sender import ALERTS

    clock = Clock(T0)
    add(db, "alert", T0, target="a")
    with db.begin() as conn:
        conn.execute(update(D).values(campaign=ALERTS))
    await engine_for(db, Scripted(clock, [PermanentError("chat not found")]), clock).run_due()
    assert row(db, "alert")["state"] == "failed" and incidents(db) == {}


async def test_every_outcome_is_noted_once_over_many_claims_and_runs(db: Engine) -> None:
    """Outcomes are noted after each claim round and at the end of a run: five failures over
    claims of two (in one run or several), then runs with nothing to send, count five, never
    one twice."""
    clock = Clock(T0)
    channel = Scripted(clock, [PermanentError("chat not found")] * 5)
    for i in range(5):
        add(db, f"a{i}", T0 - dt.timedelta(milliseconds=5 - i), target="a")
    engine = engine_for(db, channel, clock, batch_size=2)
    failed = 0
    for _ in range(5):
        failed += (await engine.run_due()).failed
    assert failed == 5 and incidents(db) == {("delivery_failed", "kenh:a"): 5}


async def test_the_happy_path_writes_no_incident(db: Engine) -> None:
    clock = Clock(T0)
    touched: list[str] = []

    @event.listens_for(db, "before_cursor_execute")
    def watch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "incident" in statement.lower():
            touched.append(statement)

    for i in range(4):
        add(db, f"k{i}", T0, target="ab"[i % 2])
    assert (await engine_for(db, Scripted(clock), clock, batch_size=2).run_due()).sent == 4
    event.remove(db, "before_cursor_execute", watch)
    assert touched == []


async def test_a_run_that_breaks_still_notes_what_it_saw(db: Engine) -> None:
    """A lane breaks (the quota guard cannot read the store): the run ends with its error, and
    the failure seen before it is an incident at once, not at the next run (which may never
    come: the daemon stops)."""
    clock = Clock(T0)

    def quota(channel: str, target: str, now: dt.datetime, item: object) -> str | None:
        if target == "b":
            raise RuntimeError("the store cannot be read")
        return None

    add(db, "a0", T0, target="a")
    add(db, "b0", T0 - dt.timedelta(milliseconds=1), target="b")
    engine = engine_for(db, Scripted(clock, [PermanentError("chat not found")]), clock, quota=quota)
    with pytest.raises(RuntimeError):
        await engine.run_due()
    assert incidents(db) == {("delivery_failed", "kenh:a"): 1}
    assert row(db, "a0")["state"] == "failed"


async def test_incidents_the_store_refused_are_noted_by_the_next_run(db: Engine) -> None:
    """The incident's write fails (the outcomes are recorded, the alert is the lesser loss):
    what it would have counted is kept, and counted once by the next write that works."""
    clock = Clock(T0)
    refuse = True

    @event.listens_for(db, "before_cursor_execute")
    def fault(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if refuse and "incident" in statement.lower():
            raise RuntimeError("disk I/O error")

    add(db, "a0", T0 - dt.timedelta(milliseconds=2), target="a")
    add(db, "a1", T0 - dt.timedelta(milliseconds=1), target="a")
    engine = engine_for(db, Scripted(clock, [PermanentError("chat not found")] * 3), clock)
    assert (await engine.run_due()).failed == 2
    assert row(db, "a1")["state"] == "failed"
    refuse = False
    event.remove(db, "before_cursor_execute", fault)
    assert incidents(db) == {}
    add(db, "a2", T0, target="a")
    await engine.run_due()
    assert incidents(db) == {("delivery_failed", "kenh:a"): 3}
