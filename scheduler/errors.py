"""Errors that stop the daemon from starting, each saying what to change.

They live apart from the modules that raise them, so the CLI can name them without importing a
web server it may not need.
"""

from __future__ import annotations

from campaigns.i18n import t


class PortInUse(Exception):
    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(t("port_in_use", host=host, port=port, reason=reason))


class SchemaTooNew(Exception):
    """A newer loa upgraded the database: this one cannot know its tables, and alembic alone
    would only say "Can't locate revision" with a traceback."""

    def __init__(self, revision: str) -> None:
        super().__init__(t("schema_too_new", revision=revision))
        self.revision = revision
