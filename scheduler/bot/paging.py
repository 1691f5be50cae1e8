"""Long answers as several messages, each within the platform's limit, cut between lines.

A line is never cut unless it alone is longer than a message; pages are numbered ``(1/3)``
like the parts of a long outbound message.
"""

from __future__ import annotations

from channels.split import Measure, split_head, utf16_length

LABEL_ROOM = 12  # "(123/123) " and a newline, whatever the count turns out to be


def paginate(lines: list[str], limit: int, measure: Measure = utf16_length) -> list[str]:
    if limit <= LABEL_ROOM * 2:
        raise ValueError("a message limit this small cannot hold a page")
    text = "\n".join(lines).strip()
    if measure(text) <= limit:
        return [text]
    room = limit - LABEL_ROOM
    pieces: list[str] = []
    for line in lines:
        rest = line
        while measure(rest) > room:  # one line longer than a page: cut at a good boundary
            head, rest = split_head(rest, room, measure)
            pieces.append(head)
        pieces.append(rest)
    pages: list[list[str]] = [[]]
    size = 0
    for piece in pieces:
        extra = measure(piece) + (1 if pages[-1] else 0)
        if pages[-1] and size + extra > room:
            pages.append([])
            size, extra = 0, measure(piece)
        pages[-1].append(piece)
        size += extra
    bodies = ["\n".join(page).strip() for page in pages]
    bodies = [body for body in bodies if body]
    total = len(bodies)
    return [f"({i}/{total})\n{body}" for i, body in enumerate(bodies, start=1)]
