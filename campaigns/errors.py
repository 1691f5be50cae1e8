"""Errors of the campaign domain.

    CampaignError                 root: something in a campaign or config file is wrong
    ├── ExpressionError           one time expression or template could not be read
    │   └── ExpansionRefused      one item cannot be expanded (past the calendar, or a bound)
    └── ValidationFailed          a whole run of files held problems (carries every Problem)

A `Problem` is one line of the report a user reads: ``file:line: key.path: what (hint)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One finding in a file, worded so a non-programmer can fix it."""

    file: str
    line: int
    path: str
    message: str
    hint: str = ""
    severity: str = "error"  # "error" stops loading; "warning" is reported and loading goes on

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        if self.severity != "error":
            text = f"{text} [{self.severity}]"
        return text


class CampaignError(Exception):
    """A campaign or configuration file is not usable; fix the file and run again."""


class ExpressionError(CampaignError):
    """A value could not be understood.

    Raised by the pure parsers (time expressions, templates, durations) with a message and a
    hint; the loader attaches the file, line and key path.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ExpansionRefused(ExpressionError):
    """An item of a campaign cannot be turned into moments: a date falls past the calendar's
    ends (years 1 to 9999), or the item needs more occurrences or time than a file is allowed.

    ``where`` is ``(kind, item id, key)``, e.g. ``("message", "nhac-truoc", "at")``: the loader
    knows the line of each, so the refusal reads ``file:line`` like any other problem.
    """

    def __init__(self, where: tuple[str, str, str], message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.where = where


class ValidationFailed(CampaignError):
    """Files held problems; every one of them is in ``problems``, in file and line order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
