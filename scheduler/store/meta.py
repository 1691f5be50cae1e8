"""The key-value memory of the store: tokens a channel renews, bot offsets, health facts.

It is kept apart from the outbox because it has nothing to do with deliveries: channels and bots
write their own small facts here, and the outbox never reads them.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from scheduler.store.db import upsert
from scheduler.store.tables import Meta

M = Meta.__table__  # type: ignore[attr-defined]


def get_meta(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(M.c.value).where(M.c.name == name)).scalar()


def set_meta(engine: Engine, name: str, value: str) -> None:
    with engine.begin() as conn:
        upsert(conn, M, {"name": name, "value": value}, ["name"], {"value": value})


class Memory:
    """The ``meta`` table as the small key-value memory channels keep between runs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> str | None:
        return get_meta(self.engine, name)

    def set(self, name: str, value: str) -> None:
        set_meta(self.engine, name, value)
