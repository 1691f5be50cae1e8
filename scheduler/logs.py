"""Structured logs: one line per event, ``time level logger event key=value …`` or JSON.

The text form is read by people, so its event and level are in the user's language (the
catalogue's ``log_<event>``); the JSON form keeps the English event names scripts match on.

Times are the office's (config ``timezone``) with their offset, like every time a user sees.
Secrets never reach a log: channel code logs keys, targets and error reasons, never tokens,
and every line goes through ``channels.redact``, which masks every secret loa knows in any
letter case (a platform's error may echo a token lowercased).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any, TextIO

from campaigns.i18n import named
from channels.redact import redact

_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


class StructuredFormatter(logging.Formatter):
    def __init__(self, as_json: bool = False, tz: dt.tzinfo | None = None) -> None:
        super().__init__()
        self.as_json = as_json
        self.tz = tz  # None: the host's zone

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
        when = moment.astimezone(self.tz).isoformat(timespec="milliseconds")
        message = record.getMessage()
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        if self.as_json:
            body = {"time": when, "level": record.levelname.lower(), "logger": record.name,
                    "event": message, **fields}  # fmt: skip
            return redact(json.dumps(body, ensure_ascii=False, default=str))
        # a person reads the text form: the event and level in their language; keys stay as data
        level = named("level", record.levelname.lower())
        if message == record.msg:
            message = named("log", message)
        pairs = " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        return redact(f"{when} {level:9} {record.name} {message} {pairs}".rstrip())


def _quote(value: object) -> str:
    text = str(value)
    return (
        json.dumps(text, ensure_ascii=False) if (" " in text or not text or "=" in text) else text
    )


class MaskedStream:
    """A text stream that masks every secret written to it: the last guard for what bypasses
    the formatter above (uvicorn's own log handler, a traceback printed at exit)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def setup(level: str = "info", as_json: bool = False, tz: dt.tzinfo | None = None) -> None:
    """The daemon's logging; its stdout and stderr are masked from here on."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, MaskedStream):
            setattr(sys, name, MaskedStream(stream))
    _handle(level, as_json, tz)


def quiet(tz: dt.tzinfo | None = None) -> None:
    """The logging of a one-off command (``loa send``, ``loa status``, …): none on the terminal.

    Such a command tells its user what happened in the catalogue's sentences; the log lines of
    the code it runs (the engine's ``failed key=…``) are the daemon's, for an operator's log
    tools, and would repeat the answer in English. With no handler at all, Python's last-resort
    handler printed them bare (no time zone, no masking): a handler of loa's own that passes
    only what loa never logs (CRITICAL) keeps that from happening, and formats it loa's way if
    it ever comes."""
    _handle("critical", False, tz)


def _handle(level: str, as_json: bool, tz: dt.tzinfo | None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(StructuredFormatter(as_json, tz))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
