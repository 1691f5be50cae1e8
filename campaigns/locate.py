"""Line numbers for key paths of a TOML document.

``tomllib`` gives values without positions; a user needs ``file:line``. This scanner reads
the same text once and remembers on which line each key (and each ``[[table]]``) starts, so
``("message", 2, "at")`` finds the line of ``at =`` inside the third ``[[message]]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="""
)
_PART = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*""")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in _PART.findall(dotted))


class LineIndex:
    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str | int, ...], int] = {}
        counters: dict[tuple[str | int, ...], int] = {}
        prefix: tuple[str | int, ...] = ()
        in_multiline: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            if match := _ARRAY_HEADER.match(line):
                base = _parts(match[1])
                index = counters.get(base, 0)
                counters[base] = index + 1
                prefix = (*base, index)
                self.lines.setdefault(prefix, number)
                self.lines.setdefault(base, number)
            elif match := _TABLE_HEADER.match(line):
                prefix = _parts(match[1])
                self.lines.setdefault(prefix, number)
            elif match := _KEY.match(line):
                self.lines.setdefault((*prefix, *_parts(match[1])), number)
                rest = line[match.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote

    def line_of(self, path: Sequence[str | int]) -> int:
        """The line of the longest known prefix of ``path`` (0 when nothing is known)."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return 0
