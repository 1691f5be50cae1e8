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


SHORT_PREFIXES = 8  # a problem names a path this long at most; longer ones are nonsense


def deepest_place(text: str) -> tuple[int, int]:
    """The line and column where ``[`` and ``{`` nest deepest (outside strings and comments):
    where a file too deep for the TOML reader went wrong."""
    depth = best = 0
    line = best_line = 1
    line_start = best_column = 0
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\n":
            line += 1
            line_start = i + 1
            if quote in ('"', "'"):
                quote = ""  # a one-line string does not go on past its line
        elif quote:
            if text.startswith(quote, i) and (quote == "'" or text[i - 1] != "\\"):
                i += len(quote) - 1
                quote = ""
        elif ch == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            i += len(quote) - 1
        elif ch in "[{":
            depth += 1
            if depth > best:
                best, best_line, best_column = depth, line, i - line_start + 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return best_line, best_column


def _within(
    parts: tuple[str, ...], counters: dict[tuple[str | int, ...], int]
) -> tuple[str | int, ...]:
    """``[[trigger.message]]`` as the path of the array in the current ``[[trigger]]``:
    ``("trigger", 1, "message")``, so each trigger's messages count from 0 on their own."""
    resolved: list[str | int] = []
    for k, part in enumerate(parts):
        resolved.append(part)
        if k < len(parts) - 1 and tuple(resolved) in counters:
            resolved.append(counters[tuple(resolved)] - 1)
    return tuple(resolved)


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
                base = _within(_parts(match[1]), counters)
                index = counters.get(base, 0)
                counters[base] = index + 1
                prefix = (*base, index)
                self.lines.setdefault(prefix, number)
                self._header(base, number)
            elif match := _TABLE_HEADER.match(line):
                prefix = _parts(match[1])
                self._header(prefix, number)
            elif match := _KEY.match(line):
                self.lines.setdefault((*prefix, *_parts(match[1])), number)
                rest = line[match.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote

    def _header(self, parts: tuple[str | int, ...], number: int) -> None:
        """``[a.b.c]`` also starts ``a`` and ``a.b`` when nothing did before: an unknown ``a``
        is reported on this line (only short prefixes: a header may be 20,000 keys deep)."""
        for size in range(1, min(len(parts), SHORT_PREFIXES) + 1):
            self.lines.setdefault(parts[:size], number)
        self.lines.setdefault(parts, number)

    def line_of(self, path: Sequence[str | int]) -> int:
        """The line of the longest known prefix of ``path`` (0 when nothing is known)."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return 0
