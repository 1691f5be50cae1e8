"""Opening the database and bringing its schema up to date.

SQLite is tuned for one daemon plus CLI readers (WAL, a busy timeout). PostgreSQL
(``postgresql+psycopg://…``, the ``postgres`` extra) is used as given, with the same
migrations. ``migrate`` runs alembic's upgrade to head, so upgrading loa never asks a user to
delete their database; on PostgreSQL it holds an advisory lock while it does, so that two
processes starting together do not both run the same migration.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from campaigns.i18n import t
from scheduler.errors import SchemaTooNew

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

log = logging.getLogger("loa.store")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0016"  # the newest migration; tests/scheduler/test_migrations.py keeps this true
# pg_advisory_xact_lock key taken around the upgrade (any number other loa locks do not use)
MIGRATION_LOCK = 0x6C6F61_01  # "loa" 1


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class StoreUnavailable(Exception):
    """The database cannot be reached or opened; the message says which (password hidden) and
    what to check."""


@contextlib.contextmanager
def reaching(url: str) -> Iterator[None]:
    """Turns a failed connection to a database server into ``StoreUnavailable``, for the first
    contact of a command or a daemon with its database. A SQLite file's errors are left as they
    are: ``scheduler.store.storage`` tells its faults (read-only, full disk) apart."""
    try:
        yield
    except OperationalError as exc:
        if not is_postgres(url):
            raise
        reason = str(exc.orig or exc).strip().splitlines()[0]
        shown = make_url(url).render_as_string(hide_password=True)
        raise StoreUnavailable(t("store_unreachable", url=shown, reason=reason)) from None


def is_postgres(url: str) -> bool:
    return url.startswith("postgres")


def sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url and len(url) > len(prefix):
        return Path(url[len(prefix) :])
    return None


def open_engine(url: str, name: str | None = None) -> Engine:
    """``name``: the ``application_name`` of every connection on PostgreSQL (a daemon's
    ``loa run <id>``), so that ``pg_stat_activity`` tells whose they are."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    try:
        named = {"connect_args": {"application_name": name}} if name else {}
        return create_engine(url, pool_pre_ping=True, **named)
    except ModuleNotFoundError as exc:  # the postgres extra is not installed
        raise StoreUnavailable(t("store_driver_missing", module=exc.name)) from None


def upsert(
    conn: Connection,
    table: Table,
    values: dict[str, Any],
    keys: list[str],
    changes: dict[str, Any] | None = None,
) -> int:
    """Insert a row, or where its key is taken already, apply ``changes`` (or leave it be), in
    one statement: a read then an insert lets two writers at once both find the key free, and
    the second fails (PostgreSQL) or waits for the first one's lock (SQLite). The rows written:
    0 when the key was taken and nothing changed."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    if changes:
        statement = statement.on_conflict_do_update(index_elements=keys, set_=changes)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    # psycopg tells no rowcount here (-1): the rows written are the rows returned
    return len(conn.execute(statement.returning(table.c[keys[0]])).all())


ANALYZE_AFTER = 500  # deliveries written at once past which the outbox's statistics are redone


def fresh_statistics(engine: Engine, written: int) -> None:
    """After a sync or an event wrote many deliveries at once, PostgreSQL's statistics of the
    outbox say nothing of them until autovacuum's next analyze (a minute away at best, and
    only once a tenth of the table changed). Its planner then takes the thousands now due for
    a handful and, at every claim, walks all of them and their targets (40 ms a claim with
    6,000 due, measured) instead of the due-time index up to the 128 it takes (4 ms).
    ANALYZE reads a sample, in tens of milliseconds, and blocks no reader or writer. SQLite's
    planner keeps to the index without it."""
    if written < ANALYZE_AFTER or engine.dialect.name != "postgresql":
        return
    try:  # what was written is committed: a failure here costs speed, never data
        with engine.connect() as conn:
            conn.execute(text("ANALYZE delivery, target_pace"))
            conn.commit()
    except Exception as exc:
        log.warning("statistics not refreshed", extra={"error": type(exc).__name__})


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def current_revision(engine: Engine | Connection) -> str | None:
    if isinstance(engine, Engine):
        with engine.connect() as conn:
            return current_revision(conn)
    if not inspect(engine).has_table("alembic_version"):
        return None
    return engine.execute(text("select version_num from alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision, in one transaction where the database can;
    ``SchemaTooNew`` if a newer loa wrote it (an older loa cannot read it, nor go back).

    An up-to-date database is recognised with one query; alembic (slow to import) is loaded
    only when there is something to upgrade. On PostgreSQL the upgrade waits for a
    transaction-scoped advisory lock and looks at the revision again once it has it: a process
    that started beside another finds the schema already upgraded, instead of failing halfway
    through a migration the other one ran. PostgreSQL runs DDL in the transaction, so the lock
    is released, with everything applied or nothing, at the commit.
    """
    with reaching(str(engine.url)):
        current = current_revision(engine)
    if current == HEAD:
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config(str(engine.url))  # the password hidden: alembic uses the connection
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaTooNew(current)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("select pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            if current_revision(connection) == HEAD:
                return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
