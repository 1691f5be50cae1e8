"""Splitting a long message into numbered parts that each fit a platform's limit.

Cuts fall at a paragraph break if there is one, else at a line break, a sentence end, or a
space; never inside a word (unless a single word is longer than a whole part) and never
inside a character. Lengths are counted the way the platform counts them (Telegram counts
UTF-16 code units, so an emoji is two).
"""

from __future__ import annotations

import re
from collections.abc import Callable

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


def split_head(text: str, limit: int, measure: Measure = len) -> tuple[str, str]:
    """The longest head of ``text`` within ``limit`` cut at a good boundary, and the rest."""
    text = text.strip()
    if measure(text) <= limit:
        return text, ""
    end = _fit(text, limit, measure)
    for pattern in _BREAKS:
        found = [m for m in pattern.finditer(text, 0, end + 1) if 0 < m.start() <= end]
        if found:
            return text[: found[-1].start()].rstrip(), text[found[-1].end() :].lstrip()
    return text[:end], text[end:].lstrip()  # one word longer than a part: cut it


def split_text(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Parts of at most ``limit`` (by ``measure``), numbered ``(1/3)`` when there are several."""
    text = text.strip()
    if measure(text) <= limit:
        return [text]
    # leave room for the "(12/12) " label, whatever the count turns out to be
    room = limit - 9
    parts: list[str] = []
    rest = text
    while rest:
        head, rest = split_head(rest, room, measure)
        parts.append(head)
    total = len(parts)
    return [f"({i}/{total}) {part}" for i, part in enumerate(parts, start=1)]
