"""The store's own contract, on SQLite and PostgreSQL alike (the ``db`` fixture runs each case
on both): the schema the migrations build, how times are kept, the key-value memory, the
daemon lock, and what PostgreSQL adds: concurrent claims that never take the same row and
migrations that two processes can start together.

The outbox operations themselves (sync, claim, record, retry, cancel, pause, quotas,
subscriptions, answered updates, audit) are tested in tests/scheduler and tests/bot, on both
stores through the same fixture."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, select, text
from sqlmodel import SQLModel

from scheduler import subscriptions
from scheduler.bot import answered
from scheduler.engine.cluster import listen
from scheduler.engine.lock import (
    SYNC,
    AlreadyRunning,
    LeaderLock,
    daemon_lock,
    leader_id,
    nudge,
    unless_daemon,
)
from scheduler.store import meta, outbox
from scheduler.store.db import HEAD, current_revision, migrate, open_engine
from scheduler.store.tables import Delivery, UTCDateTime
from tests.e2e.harness import LOA
from tests.scheduler.test_engine import add

D = Delivery.__table__  # type: ignore[attr-defined]
DUE = dt.datetime(2026, 6, 5, 0, 30, tzinfo=dt.UTC)
postgres_only = pytest.mark.parametrize("backend", ["postgresql"])


def test_migrations_from_an_empty_database_reach_head_and_match_the_tables(
    empty_store_url: str,
) -> None:
    engine = open_engine(empty_store_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == HEAD
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()


@postgres_only
def test_two_processes_starting_together_migrate_once(empty_store_url: str) -> None:
    """Without the advisory lock the second upgrade fails on tables the first one created."""
    engines = [open_engine(empty_store_url) for _ in range(3)]
    errors = _together([lambda e=e: migrate(e) for e in engines])  # type: ignore[misc]
    try:
        assert errors == []
        assert all(current_revision(e) == HEAD for e in engines)
    finally:
        for engine in engines:
            engine.dispose()


def _together(work: list[Callable[[], Any]], timeout: float = 60) -> list[BaseException]:
    """Run each callable in a thread of its own, released at once; the exceptions raised."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a thread is still blocked"
    return errors


def test_times_come_back_aware_in_utc_whatever_zone_they_went_in(db: Engine) -> None:
    hanoi = dt.timezone(dt.timedelta(hours=7))
    add(db, "k", DUE.astimezone(hanoi))
    stored = outbox.get_delivery(db, "k")
    assert stored.due == DUE and stored.due.utcoffset() == dt.timedelta(0)
    assert outbox.next_wake(db) == DUE
    with pytest.raises(Exception, match="naive datetime"):
        add(db, "naive", DUE.replace(tzinfo=None))


def test_times_are_kept_as_sqlite_always_kept_them_and_as_timestamptz_on_postgresql(
    db: Engine,
) -> None:
    add(db, "k", DUE)
    with db.connect() as conn:
        raw = conn.execute(text("select due from delivery")).scalar()
    if db.dialect.name == "sqlite":
        assert raw == "2026-06-05 00:30:00.000000"  # UTC wall time, as every earlier version
        return
    assert raw == DUE  # an instant, whatever the session's time zone
    columns = inspect(db).get_columns("delivery")
    kinds = {c["name"]: c["type"] for c in columns}
    for table in SQLModel.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, UTCDateTime):
                found = {c["name"]: c["type"] for c in inspect(db).get_columns(table.name)}
                assert getattr(found[column.name], "timezone", False), (table.name, column.name)
    assert kinds["due"].timezone  # type: ignore[attr-defined]


def test_the_memory_keeps_one_value_per_name(db: Engine) -> None:
    memory = meta.Memory(db)
    assert memory.get("zalo:oa:refresh") is None
    memory.set("zalo:oa:refresh", "một")
    memory.set("zalo:oa:refresh", "hai")
    memory.set("telegram:offset", "42")
    assert memory.get("zalo:oa:refresh") == "hai" and memory.get("telegram:offset") == "42"


@postgres_only
def test_two_claimers_at_once_take_different_rows(db: Engine) -> None:
    """While one daemon's claim holds its rows, another claims others (SKIP LOCKED) at once,
    instead of waiting for the first or taking the same rows."""
    for i in range(10):
        add(db, f"k{i}", DUE - dt.timedelta(seconds=10 - i), target=f"t{i}")
    other = open_engine(str(db.url.render_as_string(hide_password=False)))
    second: list[list[str]] = []

    def claim_beside(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if not second and statement.lstrip().upper().startswith("UPDATE DELIVERY SET STATE"):
            second.append([])  # once: the second claim runs in a thread while these rows are held
            thread = threading.Thread(
                target=lambda: second[0].extend(
                    c.key for c in outbox.claim_due(other, DUE, "b", 4)[0]
                )
            )
            thread.start()
            thread.join(30)
            assert not thread.is_alive(), "the second claim waited for the first one's rows"

    event.listen(db, "after_cursor_execute", claim_beside)  # the claim's statement has run
    try:
        first = [c.key for c in outbox.claim_due(db, DUE, "a", 4)[0]]
    finally:
        event.remove(db, "after_cursor_execute", claim_beside)
        other.dispose()
    assert first == ["k0", "k1", "k2", "k3"]
    assert second == [["k4", "k5", "k6", "k7"]]
    with db.connect() as conn:
        rows = conn.execute(select(D.c.key, D.c.claimed_by).where(D.c.state == "sending")).all()
    owners = {key: owner for key, owner in rows}
    assert owners == {**dict.fromkeys(first, "a"), **dict.fromkeys(second[0], "b")}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_one_daemon_per_sqlite_file_and_the_cli_knows_one_runs(store_url: str) -> None:
    lock = daemon_lock(store_url)
    assert lock is not None
    lock.acquire()
    try:
        with pytest.raises(AlreadyRunning):
            again = daemon_lock(store_url)
            assert again is not None
            again.acquire()
        with unless_daemon(store_url) as alone:
            assert not alone
    finally:
        lock.release()
    with unless_daemon(store_url) as alone:
        assert alone


@postgres_only
def test_one_daemon_leads_and_the_cli_knows_a_daemon_runs(store_url: str) -> None:
    """Any number of daemons; the one holding the leader lock is named by the id its lock's
    connection carries, and a CLI command leaves the daemon's work to it."""
    assert daemon_lock(store_url) is None  # PostgreSQL takes several
    first, second = (
        LeaderLock(store_url, "loa run web1:41-a1b2"),
        LeaderLock(store_url, "loa run b"),
    )
    engine = open_engine(store_url)
    try:
        assert first.take() and first.holds()
        assert not second.take() and not second.holds()
        with engine.connect() as conn:
            assert leader_id(conn) == "web1:41-a1b2"
        with unless_daemon(store_url) as alone:
            assert not alone
        first.release()
        with unless_daemon(store_url) as alone, engine.connect() as conn:
            assert alone and leader_id(conn) is None  # a command holding it is no daemon
        assert second.take()
    finally:
        first.release()
        second.release()
        engine.dispose()


@postgres_only
def test_a_leader_whose_connection_is_cut_knows_it_and_a_peer_takes_over(store_url: str) -> None:
    first, second = LeaderLock(store_url, "loa run a"), LeaderLock(store_url, "loa run b")
    engine = open_engine(store_url)
    try:
        assert first.take()
        with engine.begin() as conn:  # what a dead network or an operator's kill does
            conn.execute(
                text(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where application_name = 'loa run a'"
                )
            )
        assert second.take()
        assert not first.holds() and not first.take()
    finally:
        first.release()
        second.release()
        engine.dispose()


@postgres_only
async def test_a_cli_command_wakes_every_listening_daemon(store_url: str) -> None:
    """NOTIFY reaches a daemon on any host, where a signal reached only one on the same host."""
    heard: list[list[str]] = [[], []]
    listening = asyncio.Event()

    def woken(into: list[str]) -> Callable[[str], None]:
        def note(what: str) -> None:
            into.append(what)
            if all(heard):
                listening.set()

        return note

    tasks = [asyncio.create_task(listen(store_url, woken(into))) for into in heard]
    try:
        await asyncio.wait_for(listening.wait(), 10)  # each says "" once it listens
        assert await asyncio.to_thread(nudge, store_url)
        assert await asyncio.to_thread(nudge, store_url, SYNC)
        async with asyncio.timeout(10):
            while not all(len(into) == 3 for into in heard):
                await asyncio.sleep(0.02)
        assert heard == [["", "", SYNC], ["", "", SYNC]]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    """``loa status`` on a server that is down: a message and exit code 1, no traceback."""
    (tmp_path / "config.toml").write_text(
        '[database]\nurl = "postgresql+psycopg://loa:mat-khau@127.0.0.1:1/loa"\n'
        "[campaigns]\nlibrary = false\npaths = []\n",
        "utf-8",
    )
    done = subprocess.run(
        [*LOA, "status"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, "LOA_LANG": "vi", "COLUMNS": "300"},
    )  # fmt: skip
    assert done.returncode == 1
    said = done.stdout + done.stderr
    assert "Không kết nối được cơ sở dữ liệu" in said and "127.0.0.1:1/loa" in said
    assert "mat-khau" not in said and "Traceback" not in said


def _beside_first_insert(
    db: Engine, table: str, write: Callable[[Engine], None]
) -> Callable[[], None]:
    """Arrange that, just before the first ``INSERT INTO <table>`` of ``db``, ``write`` runs to
    its commit on a connection of its own (another process doing the same at the same time).
    Returns the function that removes the arrangement."""
    other = open_engine(db.url.render_as_string(hide_password=False))
    done: list[bool] = []

    def beside(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if not done and statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            done.append(True)
            errors = _together([lambda: write(other)], timeout=10)
            assert errors == [], errors

    event.listen(db, "before_cursor_execute", beside)

    def remove() -> None:
        event.remove(db, "before_cursor_execute", beside)
        other.dispose()

    return remove


@pytest.mark.parametrize(
    ("table", "write", "read"),
    [
        (
            "meta",
            lambda db, v: meta.set_meta(db, "zalo:oa:refresh", v),
            lambda db: meta.get_meta(db, "zalo:oa:refresh"),
        ),
        (
            "answered_update",
            lambda db, v: answered.record(db, "tg", "#7", DUE),
            lambda db: answered.seen(db, "tg", "#7"),
        ),
        (
            "chat",
            lambda db, v: subscriptions.note_inbound(db, "oa", "u1", DUE),
            lambda db: subscriptions.last_inbound(db, "oa", "u1"),
        ),
    ],
    ids=["token", "answered-update", "chat"],
)
def test_two_writers_of_one_new_row_at_once_both_succeed(
    db: Engine, table: str, write: Callable[[Engine, str], None], read: Callable[[Engine], Any]
) -> None:
    """A token renewal, a webhook posted twice over two connections, a chat's first message:
    written by two connections at once, the second one neither fails on the key the first one
    just inserted nor waits for it."""
    remove = _beside_first_insert(db, table, lambda other: write(other, "first"))
    try:
        write(db, "second")
    finally:
        remove()
    assert read(db) in ("second", True, DUE)
