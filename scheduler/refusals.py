"""Campaign files refused as a whole, said once each and kept where an operator looks.

A file that does not load, or that sync cannot expand, is refused whole: the version before it
keeps running. The daemon says so once per refused version (a reload for another file, a SIGHUP
or the daily roll do not say it again; a file fixed and broken again is said again), and keeps
the list in the store's key-value memory, so that ``loa status`` (another process, and also
while the daemon is down) shows it as ``/healthz`` does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import Engine

from campaigns.errors import Problem
from scheduler.store import meta

KEY = "campaign_refusals"


@dataclass(frozen=True)
class Refusal:
    file: str
    problem: str  # file:line: what is wrong (what to do)
    since: str  # when this version was first refused (ISO 8601)


class Refusals:
    """The refusals in force, by file: ``update`` answers the ones not said before."""

    def __init__(self) -> None:
        self.current: dict[str, Refusal] = {}
        self._recorded: list[Refusal] | None = None  # None: nothing written by this process yet

    def update(self, found: Mapping[str, Problem], now: dt.datetime) -> list[Refusal]:
        current: dict[str, Refusal] = {}
        new = []
        for file, problem in sorted(found.items()):
            old = self.current.get(file)
            if old is not None and old.problem == str(problem):
                current[file] = old
            else:
                current[file] = Refusal(file, str(problem), now.isoformat())
                new.append(current[file])
        self.current = current
        return new

    def unrecorded(self) -> list[Refusal] | None:
        """The list to write to the store, or None when the store already holds it."""
        listed = list(self.current.values())
        return None if listed == self._recorded else listed

    def recorded(self, listed: list[Refusal]) -> None:
        self._recorded = listed

    def as_json(self) -> list[dict[str, str]]:
        return [asdict(r) for r in self.current.values()]


def record(engine: Engine, refusals: Iterable[Refusal]) -> None:
    value = json.dumps([asdict(r) for r in refusals], ensure_ascii=False)
    meta.set_meta(engine, KEY, value)


def read(engine: Engine) -> list[Refusal]:
    """What the daemon last recorded; nothing before its first sync."""
    value = meta.get_meta(engine, KEY)
    return [Refusal(**item) for item in json.loads(value or "[]")]
