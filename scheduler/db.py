"""Opening the database and bringing its schema up to date.

SQLite is tuned for one daemon plus CLI readers (WAL, a busy timeout); any other SQLAlchemy
URL is used as given. ``migrate`` runs alembic's upgrade to head, so upgrading loa never asks a
user to delete their database.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text

from scheduler.errors import SchemaTooNew

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0008"  # the newest migration; tests/scheduler/test_migrations.py keeps this true


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url and len(url) > len(prefix):
        return Path(url[len(prefix) :])
    return None


def open_engine(url: str) -> Engine:
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
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("select version_num from alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision, in one transaction where the database can;
    ``SchemaTooNew`` if a newer loa wrote it (an older loa cannot read it, nor go back).

    An up-to-date database is recognised with one query; alembic (slow to import) is loaded
    only when there is something to upgrade.
    """
    current = current_revision(engine)
    if current == HEAD:
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config(str(engine.url))
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaTooNew(current)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
