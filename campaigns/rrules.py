"""RFC 5545 rules through dateutil, with an end: the last year the caller looks at.

dateutil looks for a rule's next date day by day until one matches or the year passes
``datetime.MAXYEAR``. A rule that no date matches any more (``FREQ=MINUTELY;BYMONTH=2;
BYMONTHDAY=30``, or any rule past its last match) so walks to the year 9999 without yielding:
5 to 7 seconds per rule that no bound between occurrences can interrupt. This module runs
dateutil's own rrule code (an unchanged copy of the module) with a ``datetime`` whose MAXYEAR is
the last year the expansion needs, so that walk ends where the window ends.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import importlib.util
import types
from collections.abc import Iterator
from typing import Any

from dateutil import rrule as du_rrule

_LAST_YEAR: contextvars.ContextVar[int] = contextvars.ContextVar("last_year", default=dt.MAXYEAR)


class _Datetime(types.ModuleType):
    """The ``datetime`` module as the copy sees it: the same classes, a movable MAXYEAR."""

    @property
    def MAXYEAR(self) -> int:
        return _LAST_YEAR.get()


def _bounded_copy() -> Any:
    spec = importlib.util.spec_from_file_location("dateutil._loa_rrule", du_rrule.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shim = _Datetime("datetime")
    shim.__dict__.update({k: v for k, v in vars(dt).items() if k != "MAXYEAR"})
    setattr(module, "datetime", shim)  # noqa: B010 - the copy reads this global
    return module


_COPY = _bounded_copy()


def rrulestr(rule: str, dtstart: dt.datetime) -> Any:
    """The rule (always as an rruleset), parsed exactly as dateutil parses it."""
    return _COPY.rrulestr(rule, dtstart=dtstart, forceset=True)


def occurrences(rule: Any, last_year: int) -> Iterator[dt.datetime]:
    """The rule's dates in order, given up after ``last_year``."""
    walls = iter(rule)
    while True:
        token = _LAST_YEAR.set(min(dt.MAXYEAR, last_year))
        try:
            wall = next(walls, None)
        finally:
            _LAST_YEAR.reset(token)
        if wall is None:
            return
        yield wall
