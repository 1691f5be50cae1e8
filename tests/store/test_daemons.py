"""The registry of running daemons, on SQLite and PostgreSQL alike: a daemon is listed from
its start until it stops or stops renewing its row, and on PostgreSQL the database's clock
stamps it, whatever the host's clock says."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text, update

from scheduler.store import daemons
from scheduler.store.tables import DaemonEntry

R = DaemonEntry.__table__  # type: ignore[attr-defined]
HOUR_AHEAD = dt.timedelta(hours=1)


def database_now(db: Engine) -> dt.datetime:
    if db.dialect.name != "postgresql":
        return dt.datetime.now(dt.UTC)
    with db.connect() as conn:
        return conn.execute(text("select now()")).scalar_one()  # type: ignore[no-any-return]


def test_a_daemon_is_listed_from_its_start_until_it_leaves(db: Engine) -> None:
    now = database_now(db)
    daemons.announce(db, "web1:41-a1b2", "web1", 41, now, start=True)
    daemons.announce(db, "web2:7-c3d4", "web2", 7, now, start=True)
    listed = daemons.alive(db, now)
    assert [(m.id, m.host, m.pid) for m in listed] == [
        ("web1:41-a1b2", "web1", 41),
        ("web2:7-c3d4", "web2", 7),
    ]
    assert all(m.started_at.tzinfo is not None and m.seen_at >= m.started_at for m in listed)
    daemons.leave(db, "web1:41-a1b2")
    assert [m.id for m in daemons.alive(db, now)] == ["web2:7-c3d4"]


def test_a_daemon_that_stops_renewing_its_row_is_dead(db: Engine) -> None:
    now = database_now(db)
    daemons.announce(db, "killed", "web1", 1, now, start=True)
    daemons.announce(db, "live", "web1", 2, now, start=True)
    stale = now - daemons.DEAD_AFTER - dt.timedelta(seconds=5)
    with db.begin() as conn:
        conn.execute(update(R).values(seen_at=stale, started_at=stale))
    daemons.announce(db, "live", "web1", 2, now)  # its heartbeat
    assert [m.id for m in daemons.alive(db, now)] == ["live"]
    renewed = daemons.alive(db, now)[0]
    assert renewed.started_at == stale and renewed.seen_at > stale  # the start is kept


def test_a_row_long_dead_is_removed_when_a_daemon_starts(db: Engine) -> None:
    now = database_now(db)
    daemons.announce(db, "old", "web1", 1, now, start=True)
    with db.begin() as conn:
        conn.execute(update(R).values(seen_at=now - daemons.FORGET_AFTER - HOUR_AHEAD))
    daemons.announce(db, "new", "web1", 2, now, start=True)
    with db.connect() as conn:
        assert conn.execute(text("select id from daemon")).scalars().all() == ["new"]


def test_postgresql_stamps_and_judges_by_its_own_clock(db: Engine) -> None:
    """A host whose clock runs an hour ahead neither stamps its row an hour late nor finds
    every other daemon dead; SQLite, one host, keeps the host's clock."""
    now = database_now(db)
    ahead = now + HOUR_AHEAD
    daemons.announce(db, "ahead", "web1", 1, ahead, start=True)
    daemons.announce(db, "on-time", "web2", 2, now, start=True)
    listed = {m.id: m for m in daemons.alive(db, ahead)}
    if db.dialect.name == "postgresql":
        assert set(listed) == {"ahead", "on-time"}
        assert abs(listed["ahead"].seen_at - now) < dt.timedelta(minutes=1)
    else:
        assert set(listed) == {"ahead"}
        assert listed["ahead"].seen_at == ahead


def test_the_sqlite_daemon_forgets_the_rows_of_the_dead(db: Engine) -> None:
    now = database_now(db)
    for name in ("dead-1", "dead-2", "me"):
        daemons.announce(db, name, "web1", 1, now, start=True)
    daemons.forget_others(db, "me")
    assert [m.id for m in daemons.alive(db, now)] == ["me"]
