"""The ``loa`` command."""

from scheduler.cli.commands import app, main

__all__ = ["app", "main"]
