"""Structured logs: one line per event, ``time level logger event key=value …`` or JSON.

Secrets never reach a log: channel code logs keys, targets and error reasons, never tokens,
and ``redact`` masks the values of every environment variable named in config.toml.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterable

_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


class StructuredFormatter(logging.Formatter):
    def __init__(self, as_json: bool = False, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.as_json = as_json
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        when = (
            dt.datetime.fromtimestamp(record.created)
            .astimezone()
            .isoformat(timespec="milliseconds")
        )
        message = record.getMessage()
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        if self.as_json:
            body = {"time": when, "level": record.levelname.lower(), "logger": record.name,
                    "event": message, **fields}  # fmt: skip
            return self.redact(json.dumps(body, ensure_ascii=False, default=str))
        pairs = " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        return self.redact(
            f"{when} {record.levelname.lower():7} {record.name} {message} {pairs}".rstrip()
        )


def _quote(value: object) -> str:
    text = str(value)
    return (
        json.dumps(text, ensure_ascii=False) if (" " in text or not text or "=" in text) else text
    )


def setup(level: str = "info", as_json: bool = False, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(StructuredFormatter(as_json, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
