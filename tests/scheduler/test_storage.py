"""Which errors are storage faults: the driver's real errors, as SQLAlchemy wraps them."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from scheduler.store.db import migrate, open_engine
from scheduler.store.storage import HealthFile, StorageWatch, fault_kind, read_fault


def _error(url: str, *statements: str) -> OperationalError:
    engine = create_engine(url)
    with pytest.raises(OperationalError) as caught, engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()
    return caught.value


def test_read_only_full_and_unopenable_databases_are_storage_faults(tmp_path: Path) -> None:
    path = tmp_path / "loa.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table t (a text)")
    read_only = _error(f"sqlite:///file:{path}?mode=ro&uri=true", "insert into t values ('x')")
    assert fault_kind(read_only) == "read_only"
    full = _error(
        f"sqlite:///{path}",
        "pragma max_page_count = 2",
        "insert into t select hex(randomblob(3000)) from (select 1 union all select 2)",
    )
    assert fault_kind(full) == "disk_full"
    missing = _error(f"sqlite:///{tmp_path}/no/such/folder/loa.db", "select 1")
    assert fault_kind(missing) == "cannot_open"
    wrapped = RuntimeError("while dispatching")
    wrapped.__cause__ = full
    assert fault_kind(wrapped) == "disk_full"


def test_other_errors_are_not_storage_faults(tmp_path: Path) -> None:
    assert fault_kind(_error(f"sqlite:///{tmp_path}/x.db", "select * from nothing")) is None
    assert fault_kind(ValueError("attempt")) is None


def test_an_incident_is_logged_once_backs_off_and_clears_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = open_engine(f"sqlite:///{tmp_path}/loa.db")
    migrate(db)
    now = dt.datetime(2026, 6, 5, 7, 0, tzinfo=dt.UTC)
    watch = StorageWatch(db, "loa.db", lambda: now, HealthFile(tmp_path / "loa.db"))
    fault = _error(f"sqlite:///file:{tmp_path}/loa.db?mode=ro&uri=true", "delete from meta")
    caplog.set_level(logging.INFO, "loa.storage")
    waits = []
    for _ in range(6):
        assert watch.failed(fault)
        assert watch.retry_at is not None
        waits.append((watch.retry_at - now).total_seconds())
    assert waits == [1, 2, 4, 5, 5, 5]
    assert watch.health()["reason"] == "attempt to write a readonly database"  # not the SQL
    assert read_fault(tmp_path / "loa.db") == {"pid": os.getpid(), **watch.health()}
    watch.probe()
    watch.cleared()
    watch.cleared()
    assert [r.getMessage() for r in caplog.records] == ["storage fault", "storage recovered"]
    assert watch.health() == {"state": "ok"} and read_fault(tmp_path / "loa.db") is None
    db.dispose()
