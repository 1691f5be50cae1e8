"""The one place that knows every secret loa holds, and masks them in any text that leaves.

A secret must never leave the process: not in stored errors, logs, /healthz, CLI output or bot
answers. Platforms do not make that easy: an error may echo the request URL (Telegram and the
Zalo Bot put the token in the path), python-telegram-bot capitalizes a "Bad Request: ..." reason
and so LOWERCASES a token echoed inside it, and a proxy may percent-encode it (``%3A`` for
``:``). So a secret is matched in any letter case, with any of its characters percent-encoded.

What it knows: the values of every environment variable config.toml names (``remember`` at
start-up, from ``Config.secret_values``) and what loa obtains by itself (the Zalo OA access and
refresh tokens, remembered by the ``TokenKeeper`` as it reads or receives them). A token of the
form ``<bot id>:<secret>`` (Telegram, Zalo Bot) also masks its secret half alone.

Values shorter than ``MIN_LENGTH`` (8) characters are not masked: masking "2026" or "loa" would
garble every line that happens to contain them, and a secret that short is guessable anyway.
loa's own rules already ask for 8 or more (webhook secrets: 8-256 characters); platform
tokens are far longer.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

MIN_LENGTH = 8
MASK = "***"


def _character(char: str) -> str:
    """A pattern for one character of a secret: itself, or its UTF-8 bytes percent-encoded."""
    encoded = "".join(f"%{byte:02x}" for byte in char.encode())
    return f"(?:{re.escape(char)}|{encoded})"


class Redactor:
    """Masks every secret it was told about; safe to share between threads."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        # the pattern and the secrets lowered, replaced together so a reader sees one or the other
        self._state: tuple[re.Pattern[str], tuple[str, ...]] | None = None
        self.add(*values)

    def add(self, *values: str) -> None:
        """Remember secrets from now on; values shorter than MIN_LENGTH are left out."""
        found = set()
        for value in values:
            value = value.strip() if value else ""
            found.add(value)
            head, colon, tail = value.partition(":")
            if colon and head.isdigit():
                found.add(tail)  # a bot token's secret half, without the public bot id
        with self._lock:
            new = {v for v in found if len(v) >= MIN_LENGTH} - self._secrets
            if not new:
                return
            self._secrets |= new
            # longest first: where two secrets start at the same place, the longer one wins
            ordered = sorted(self._secrets, key=lambda s: (-len(s), s))
            body = "|".join("".join(_character(c) for c in secret) for secret in ordered)
            # a lookahead finds a match at every position, so overlapping secrets are all seen
            pattern = re.compile(f"(?=({body}))", re.IGNORECASE)
            self._state = (pattern, tuple(s.lower() for s in ordered))

    def __call__(self, text: str) -> str:
        state = self._state
        if state is None or not text or not self._may_hold(text, state[1]):
            return text
        spans: list[list[int]] = []
        for match in state[0].finditer(text):
            start, end = match.start(1), match.end(1)
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        if not spans:
            return text
        pieces, last = [], 0
        for start, end in spans:
            pieces += [text[last:start], MASK]
            last = end
        pieces.append(text[last:])
        return "".join(pieces)

    @staticmethod
    def _may_hold(text: str, lowered: tuple[str, ...]) -> bool:
        """A quick look (plain substring searches) before the slower pattern: most text that
        passes through (every log line) holds no secret."""
        if "%" in text:
            return True  # a mix of literal and encoded characters (a secret may hold "%") decodes to neither
        low = text.lower()
        return any(s in low for s in lowered)


SECRETS = Redactor()
"""The process's redactor: every boundary where text is stored or leaves goes through it."""


def redact(text: str) -> str:
    return SECRETS(text)


def remember(*values: str) -> None:
    SECRETS.add(*values)
