"""The migrations add up to the tables the code uses; upgrading twice changes nothing."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import scheduler.tables  # noqa: F401
from scheduler.db import migrate


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

    from scheduler.db import HEAD, alembic_config, current_revision

    assert ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() == HEAD
    assert current_revision(db) == HEAD
