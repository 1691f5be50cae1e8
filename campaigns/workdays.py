"""The office's working days: its weekend, the public holidays, and each year's swaps.

A plan is written in working days: a report is due "before 10/12", a launch is held on a
working day. This module holds the calendar as a pure value and the arithmetic on it; the
scheduler builds it from config.toml (public holidays from the ``holidays`` package, the
government's yearly swaps of nghỉ bù and làm bù from the office's own list) and hands it in,
so this package never reads config or knows where holidays come from.

``WorkCalendar()`` has no days off at all: nothing moves, as before the calendar existed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from campaigns.errors import ExpressionError
from campaigns.i18n import t

IfDayOff: TypeAlias = Literal["keep", "before", "after"]

IF_DAY_OFF_WORDS: dict[str, IfDayOff] = {
    "keep": "keep", "giữ": "keep", "giữ nguyên": "keep",
    "before": "before", "trước": "before",
    "after": "after", "sau": "after",
}  # fmt: skip

MAX_DAYS_OFF_IN_A_ROW = 60  # far beyond any Tết; a calendar with no working day is refused


def parse_if_day_off(value: str) -> IfDayOff:
    """``keep``/``giữ``, ``before``/``trước`` or ``after``/``sau``."""
    found = IF_DAY_OFF_WORDS.get(" ".join(value.strip().lower().split()))
    if found is None:
        raise ExpressionError(t("bad_if_day_off", value=value), t("bad_if_day_off_hint"))
    return found


@dataclass(frozen=True)
class WorkCalendar:
    """Which days the office works. Holidays map to their names (shown where a date moved)."""

    weekend: frozenset[int] = frozenset()  # Monday is 0
    holidays: Mapping[dt.date, str] = field(default_factory=dict)
    days_off: frozenset[dt.date] = frozenset()  # nghỉ bù and the office's own days off
    working_days: frozenset[dt.date] = frozenset()  # làm bù: a weekend day worked

    def is_day_off(self, day: dt.date) -> bool:
        if day in self.holidays or day in self.days_off:
            return True
        return day.weekday() in self.weekend and day not in self.working_days

    def step(self, day: dt.date, direction: Literal[-1, 1]) -> dt.date:
        """The nearest working day strictly before (-1) or after (1) ``day``."""
        for _ in range(MAX_DAYS_OFF_IN_A_ROW + 1):
            day += dt.timedelta(days=direction)
            if not self.is_day_off(day):
                return day
        raise ExpressionError(t("no_working_day", day=day.isoformat()), t("no_working_day_hint"))

    def add(self, day: dt.date, count: int) -> dt.date:
        """``count`` working days after ``day`` (before it when negative)."""
        direction: Literal[-1, 1] = 1 if count > 0 else -1
        for _ in range(abs(count)):
            day = self.step(day, direction)
        return day

    def settle(self, day: dt.date, rule: IfDayOff) -> dt.date:
        """``day`` itself when it is worked or the rule keeps it; else the working day before
        or after it."""
        if rule == "keep" or not self.is_day_off(day):
            return day
        return self.step(day, -1 if rule == "before" else 1)

    @functools.cached_property
    def digest(self) -> str:
        """Changes when any day's status changes, so a changed calendar re-expands."""
        data = [
            sorted(self.weekend),
            sorted((d.isoformat(), n) for d, n in self.holidays.items()),
            sorted(d.isoformat() for d in self.days_off),
            sorted(d.isoformat() for d in self.working_days),
        ]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]
