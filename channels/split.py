"""Splitting a long message into numbered parts that each fit a platform's limit.

Cuts fall at a paragraph break if there is one, else at a line break, a sentence end, or a
space; never inside a word (unless a single word is longer than a whole part) and never
inside a character. Lengths are counted the way the platform counts them (Telegram counts
UTF-16 code units, so an emoji is two).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from campaigns import markup

Measure = Callable[[str], int]

_BREAKS = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…;:])\s+"),
    re.compile(r"\s+"),
)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int, measure: Measure) -> int:
    """The longest prefix length (in characters) of ``text`` whose measure is within limit."""
    if measure(text) <= limit:
        return len(text)
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if measure(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


def head_range(text: str, start: int, limit: int, measure: Measure = len) -> tuple[int, int]:
    """For ``text[start:]`` (which starts with no space): where its longest head within
    ``limit`` ends, cut at a good boundary, and where the rest begins (past the spaces)."""
    rest = text[start:].rstrip()
    if measure(rest) <= limit:
        return start + len(rest), len(text)
    end = _fit(rest, limit, measure)
    for pattern in _BREAKS:
        found = [m for m in pattern.finditer(rest, 0, end + 1) if 0 < m.start() <= end]
        if found:
            cut, resume = found[-1].start(), found[-1].end()
            break
    else:
        cut, resume = end, end  # one word longer than a part: cut it
    resume += len(rest[resume:]) - len(rest[resume:].lstrip())
    return start + len(rest[:cut].rstrip()), start + resume


def numbered_ranges(
    text: str, limit: int, measure: Measure = len, start: int = 0
) -> list[tuple[str, int, int]]:
    """Where ``text[start:]`` is cut into parts of at most ``limit`` (by ``measure``): each
    part's label (``(1/3) ``, or "" for a single part) and its start and end in ``text``. The
    offsets let a caller render each part from something richer than the text (markup)."""
    start += len(text[start:]) - len(text[start:].lstrip())
    stop = len(text.rstrip())
    if start >= stop or measure(text[start:stop]) <= limit:
        return [("", start, max(start, stop))]
    # leave room for the "(12/12) " label, whatever the count turns out to be
    ranges = []
    while start < stop:
        end, following = head_range(text[:stop], start, limit - 9, measure)
        ranges.append((start, end))
        start = following
    total = len(ranges)
    return [(f"({i}/{total}) ", a, b) for i, (a, b) in enumerate(ranges, start=1)]


def split_head(text: str, limit: int, measure: Measure = len) -> tuple[str, str]:
    """The longest head of ``text`` within ``limit`` cut at a good boundary, and the rest."""
    text = text.strip()
    end, rest = head_range(text, 0, limit, measure)
    return text[:end], text[rest:]


def split_text(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Parts of at most ``limit`` (by ``measure``), numbered ``(1/3)`` when there are several."""
    return [label + text[a:b] for label, a, b in numbered_ranges(text, limit, measure)]


def plain_parts(text: str, limit: int) -> list[str]:
    """A message for an outlet without formatting (Zalo): its markup read, the markers gone and
    links written ``chữ (https://…)``, then split like any text (UTF-16 units)."""
    return split_text(markup.parse(text).plain(), limit, utf16_length)
