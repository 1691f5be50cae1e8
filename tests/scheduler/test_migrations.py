"""The migrations add up to the tables the code uses; upgrading twice changes nothing."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import scheduler.store.tables  # noqa: F401
from scheduler.store.db import migrate


def test_migrated_schema_matches_models(db: Engine) -> None:
    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrade_is_idempotent(db: Engine) -> None:
    before = sorted(inspect(db).get_table_names())
    migrate(db)
    assert sorted(inspect(db).get_table_names()) == before
    assert {"delivery", "occurrence", "campaign_version", "alembic_version"} <= set(before)


def test_head_constant_is_the_newest_migration(db: Engine) -> None:
    from alembic.script import ScriptDirectory

    from scheduler.store.db import HEAD, alembic_config, current_revision

    assert ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() == HEAD
    assert current_revision(db) == HEAD


def test_upgrade_keeps_data_written_by_an_older_version(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import text

    from scheduler.store.db import alembic_config, open_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into campaign_version (campaign, digest, title, source, grace_seconds, "
                "updated_at) values ('c', 'd', 'Chiến dịch', 'c.toml', 3600, '2026-01-01')"
            )
        )
    migrate(engine)
    with engine.connect() as conn:
        row = conn.execute(text("select title, timezone, tags from campaign_version")).one()
    assert tuple(row) == ("Chiến dịch", "Asia/Ho_Chi_Minh", "")
