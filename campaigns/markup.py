"""The small markup a message text may use: ``**đậm**``, ``*nghiêng*`` or ``_nghiêng_``,
``[chữ](https://…)``, and ``\\`` before one of ``\\ * _ [ ] ( )`` for the character itself.

Everything else is literal text: HTML in a text is shown as written, never sent as tags, so
a campaign file (or a variable filled into it) cannot inject markup; a marker without its
partner, a link to anything but ``http(s)://`` and markers across a blank line stay as typed.
The parsed text becomes Telegram HTML (``<b>``, ``<i>``, ``<a href>``) or, for Zalo, plain
text with the markers gone and each link written ``chữ (https://…)``. Telegram parts are cut
on the text as readers see it, and each part is rendered on its own, so a bold run across a
cut is closed at the end of one part and opened again at the start of the next.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from itertools import groupby

ESCAPABLE = "\\*_[]()"
_URL = re.compile(r"\((https?://[^\s()<>]+)\)")


@dataclass(frozen=True)
class Span:
    """A run of text with one style."""

    text: str
    bold: bool = False
    italic: bool = False
    href: str = ""


@dataclass(frozen=True)
class Marked:
    """A message text once its markup is read."""

    spans: tuple[Span, ...]

    @property
    def visible(self) -> str:
        """The text as a Telegram reader sees it (what its length limit counts)."""
        return "".join(span.text for span in self.spans)

    def slice(self, start: int, end: int) -> Marked:
        """The part between two offsets of ``visible``, each span keeping its style."""
        kept: list[Span] = []
        offset = 0
        for span in self.spans:
            low, high = max(start, offset), min(end, offset + len(span.text))
            if low < high:
                kept.append(replace(span, text=span.text[low - offset : high - offset]))
            offset += len(span.text)
        return Marked(tuple(kept))

    def html(self) -> str:
        """Telegram HTML: text escaped, ``<a>`` outside ``<b>`` outside ``<i>``."""
        return _html([s for s in self.spans if s.text], 0)

    def plain(self) -> str:
        """For outlets without formatting (Zalo): markers gone, ``chữ (https://…)``."""
        out: list[str] = []
        for href, group in groupby(self.spans, key=lambda s: s.href):
            text = "".join(s.text for s in group)
            out.append(f"{text} ({href})" if href and text.strip() != href else text)
        return "".join(out)


def parse(text: str) -> Marked:
    spans: list[Span] = []
    _inline(text, Span(""), spans)
    merged: list[Span] = []
    for span in spans:
        if merged and replace(merged[-1], text="") == replace(span, text=""):
            merged[-1] = replace(span, text=merged[-1].text + span.text)
        elif span.text:
            merged.append(span)
    return Marked(tuple(merged))


_HTML_TAG = re.compile(r"</?(b|strong|i|em|u|s|a|code|pre)(\s[^<>]*)?>", re.IGNORECASE)


def html_tag(text: str) -> str | None:
    """The first HTML formatting tag in ``text``: it will be shown as written, which a writer
    who expected HTML (``<b>``) should hear about before anything is sent."""
    found = _HTML_TAG.search(text)
    return found[0] if found else None


def literal(text: str) -> str:
    """``text`` written so that it shows exactly as it is (a bot's reply, say): unchanged when
    no marker in it would take effect, else with every markup character escaped."""
    if parse(text).spans in ((), (Span(text),)):
        return text
    return "".join("\\" + c if c in ESCAPABLE else c for c in text)


def _inline(text: str, style: Span, out: list[Span]) -> None:
    """Read ``text`` in ``style`` into ``out``: markers it opens and closes add to the style."""
    plain: list[str] = []

    def flush() -> None:
        if plain:
            out.append(replace(style, text="".join(plain)))
            plain.clear()

    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPABLE:
            plain.append(text[i + 1])
            i += 2
            continue
        if char == "[" and not style.href:
            link = _link(text, i)
            if link is not None:
                label_end, href, after = link
                flush()
                _inline(text[i + 1 : label_end], replace(style, href=href), out)
                i = after
                continue
        if text.startswith("**", i):
            close = _closer(text, i, "**")
            if close is not None:
                flush()
                _inline(text[i + 2 : close], replace(style, bold=True), out)
                i = close + 2
            else:
                plain.append("**")
                i += 2
            continue
        if char in "*_":
            close = _closer(text, i, char)
            if close is not None:
                flush()
                _inline(text[i + 1 : close], replace(style, italic=True), out)
                i = close + 1
                continue
        plain.append(char)
        i += 1
    flush()


def _closer(text: str, start: int, marker: str) -> int | None:
    """Where the marker opened at ``start`` closes, within its paragraph; None when it does
    not open anything (followed by a space, inside a word for ``_``, or never closed)."""
    inner = start + len(marker)
    if inner >= len(text) or text[inner].isspace():
        return None
    if marker == "_" and start > 0 and text[start - 1].isalnum():
        return None
    paragraph = text.find("\n\n", inner)
    end = len(text) if paragraph < 0 else paragraph
    j = inner + 1
    while j < end:
        if text[j] == "\\":
            j += 2
            continue
        if marker == "*" and text.startswith("**", j):
            j += 2  # a bold marker inside an italic run is not its end
            continue
        link = _link(text, j) if text[j] == "[" else None
        if link is not None:
            j = link[2]  # nor is a marker inside a link's label
            continue
        if text.startswith(marker, j) and not text[j - 1].isspace():
            after = j + len(marker)
            if not (marker == "_" and after < len(text) and text[after].isalnum()):
                return j
        j += 1
    return None


def _link(text: str, start: int) -> tuple[int, str, int] | None:
    """``[chữ](https://…)`` at ``start``: where the label ends, the address, where it ends."""
    j = start + 1
    while j < len(text) and text[j] not in "[]\n":
        j += 2 if text[j] == "\\" else 1
    if j >= len(text) or text[j] != "]" or j == start + 1:
        return None
    found = _URL.match(text, j + 1)
    return (j, found[1], found.end()) if found else None


_LEVELS = ("href", "bold", "italic")


def _html(spans: list[Span], level: int) -> str:
    if level == len(_LEVELS):
        return "".join(html.escape(s.text, quote=False) for s in spans)
    name = _LEVELS[level]
    out: list[str] = []
    for value, group in groupby(spans, key=lambda s: getattr(s, name)):
        inner = _html(list(group), level + 1)
        if not value:
            out.append(inner)
        elif name == "href":
            out.append(f'<a href="{html.escape(str(value), quote=True)}">{inner}</a>')
        else:
            tag = "b" if name == "bold" else "i"
            out.append(f"<{tag}>{inner}</{tag}>")
    return "".join(out)
