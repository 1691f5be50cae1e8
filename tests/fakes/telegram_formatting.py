"""Entity parsing for the fake Telegram server: HTML, MarkdownV2 and legacy Markdown.

The fake must refuse what Telegram refuses, so these parsers follow the rules of the Bot API
"Formatting options" section and word their errors the way Telegram does
(``Unsupported start tag "p" at byte offset 0``, ``Can't find end tag corresponding to start
tag "b"``, ``Character '.' is reserved and must be escaped with the preceding '\\'``).
Byte offsets count UTF-8 bytes of the source, as Telegram's do; entity offsets and lengths
count UTF-16 code units, as the Bot API documents for MessageEntity.

One place is deliberately stricter than Telegram: a bare ``&`` (or an unknown named entity
such as ``&nbsp;``) in HTML text. The documentation says every ``&`` that is not part of an
entity must be written ``&amp;``; the server tolerates a bare one, the fake (by default)
refuses it so that code which forgets to escape is caught in tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FormattingError",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]


class FormattingError(ValueError):
    """The text cannot be parsed in the requested parse_mode (Telegram answers 400)."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: what Telegram uses for entity offsets and lengths."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8", "surrogatepass"))


@dataclass
class _Open:
    """An entity whose start has been read and whose end is still to come."""

    tag: str
    type: str | None
    start: int  # UTF-16 offset in the output
    source_index: int  # index in the source, for error messages
    extra: dict[str, Any] = field(default_factory=dict)


class _Output:
    """Accumulates plain text and entities, tracking the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict[str, Any]] = []

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.pos += utf16_len(text)

    def close(self, item: _Open) -> None:
        length = self.pos - item.start
        if item.type is None or length <= 0:
            return  # Telegram drops empty entities
        entity: dict[str, Any] = {"type": item.type, "offset": item.start, "length": length}
        entity.update(item.extra)
        self.entities.append(entity)

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


# --------------------------------------------------------------------------------------------
# HTML

_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([A-Za-z][A-Za-z0-9]{0,31}));")


def _decode_entity(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code <= 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape_attribute(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        decoded = _decode_entity(match)
        return match.group(0) if decoded is None else decoded

    return _ENTITY_RE.sub(replace, value)


def parse_html(source: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-style HTML into (plain text, entities); raise FormattingError."""
    out = _Output()
    stack: list[_Open] = []
    n = len(source)
    i = 0

    def fail(message: str) -> FormattingError:
        return FormattingError(message)

    while i < n:
        char = source[i]
        if char == "&":
            match = _ENTITY_RE.match(source, i)
            decoded = _decode_entity(match) if match else None
            if match and decoded is not None:
                out.emit(decoded)
                i = match.end()
                continue
            if strict_ampersand:
                shown = match.group(0) if match else "&"
                raise fail(
                    f'Unescaped "{shown}" at byte offset {_byte_offset(source, i)}: '
                    'write "&amp;" for "&" (only &lt; &gt; &amp; &quot; and numeric '
                    "entities are supported)"
                )
            out.emit("&")
            i += 1
            continue
        if char != "<":
            out.emit(char)
            i += 1
            continue

        begin = i
        if i + 1 < n and source[i + 1] == "/":
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
            j = i + 2
            while j < n and not source[j].isspace() and source[j] != ">":
                j += 1
            name = source[i + 2 : j].lower()
            while j < n and source[j].isspace():
                j += 1
            if j >= n or source[j] != ">":
                raise fail(f"Unclosed end tag at byte offset {_byte_offset(source, j)}")
            top = stack[-1]
            if name and name != top.tag:
                raise fail(
                    f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                    f'expected "</{top.tag}>", found "</{name}>"'
                )
            stack.pop()
            if top.tag == "code" and "language" in top.extra and stack and stack[-1].tag == "pre":
                stack[-1].extra["language"] = top.extra["language"]
                top.type = None
            elif top.tag == "code":
                top.extra.pop("language", None)
            out.close(top)
            i = j + 1
            continue

        j = i + 1
        while j < n and not source[j].isspace() and source[j] != ">":
            j += 1
        if j >= n:
            raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        name = source[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise fail(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, begin)}'
            )
        attributes: dict[str, str] = {}
        expandable = False
        while True:
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            if source[j] == ">":
                j += 1
                break
            attribute_begin = j
            while j < n and not source[j].isspace() and source[j] not in "=>":
                j += 1
            attribute = source[attribute_begin:j].lower()
            if not attribute:
                raise fail(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{_byte_offset(source, attribute_begin)}"
                )
            while j < n and source[j].isspace():
                j += 1
            if j >= n or source[j] != "=":
                if name == "blockquote" and attribute == "expandable":
                    expandable = True
                    continue
                raise fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {_byte_offset(source, j)}"
                )
            j += 1
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            quote = source[j]
            if quote in "\"'":
                end = source.find(quote, j + 1)
                if end < 0:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
                value = _unescape_attribute(source[j + 1 : end])
                j = end + 1
            else:
                end = j
                while end < n and (source[end].isalnum() or source[end] in ".-"):
                    end += 1
                if end == j:
                    raise fail(f"Expected quote at byte offset {_byte_offset(source, j)}")
                value = source[j:end]
                j = end
            attributes[attribute] = value

        entity_type: str | None = _HTML_TAGS[name]
        extra: dict[str, Any] = {}
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        if name == "a":
            href = attributes.get("href", "")
            if href:
                extra["url"] = href
            else:
                entity_type = None
        elif name == "code":
            css = attributes.get("class", "")
            if css.startswith("language-") and len(css) > len("language-"):
                extra["language"] = css[len("language-") :]
        elif name == "blockquote":
            if any(item.tag == "blockquote" for item in stack):
                raise fail(
                    f"Blockquote entities can't be nested at byte offset "
                    f"{_byte_offset(source, begin)}"
                )
            if expandable:
                entity_type = "expandable_blockquote"
        elif name == "tg-emoji":
            emoji_id = attributes.get("emoji-id", "")
            if not emoji_id:
                raise fail(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                    f"{_byte_offset(source, begin)}"
                )
            extra["custom_emoji_id"] = emoji_id
        stack.append(_Open(name, entity_type, out.pos, begin, extra))
        i = j

    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return out.result()


# --------------------------------------------------------------------------------------------
# MarkdownV2

_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_TOGGLES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}
_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "blockquote": "BlockQuote",
    "expandable_blockquote": "ExpandableBlockQuote",
}


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 into (plain text, entities); raise FormattingError.

    Covers the documented syntax: *bold*, _italic_, __underline__, ~strikethrough~,
    ||spoiler||, `code`, ```pre``` (with a language), [text](url), >block quotes and **>
    expandable block quotes; every reserved character elsewhere must be escaped.
    """
    out = _Output()
    stack: list[_Open] = []
    quote: _Open | None = None
    n = len(source)
    i = 0

    def reserved(char: str) -> FormattingError:
        return FormattingError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def unclosed(item: _Open) -> FormattingError:
        name = _ENTITY_NAMES.get(item.type or "", item.tag)
        return FormattingError(
            f"Can't find end of {name} entity at byte offset "
            f"{_byte_offset(source, item.source_index)}"
        )

    def end_quote() -> None:
        nonlocal quote
        if quote is None:
            return
        if stack:
            raise unclosed(stack[-1])
        out.close(quote)
        quote = None

    while i < n:
        char = source[i]
        top = stack[-1] if stack else None
        at_line_start = i == 0 or source[i - 1] == "\n"

        if top is not None and top.type in ("code", "pre"):
            if char == "\\" and i + 1 < n and source[i + 1] in "`\\":
                out.emit(source[i + 1])
                i += 2
            elif top.type == "pre" and source.startswith("```", i):
                stack.pop()
                out.close(top)
                i += 3
            elif top.type == "code" and char == "`":
                stack.pop()
                out.close(top)
                i += 1
            else:
                out.emit(char)
                i += 1
            continue

        if at_line_start:
            if source.startswith("**>", i) and quote is None:
                quote = _Open(">", "expandable_blockquote", out.pos, i)
                i += 3
                continue
            if char == ">":
                if quote is None:
                    quote = _Open(">", "blockquote", out.pos, i)
                i += 1
                continue
            if quote is not None:
                end_quote()

        if char == "\n":
            if quote is not None and not source.startswith(">", i + 1):
                end_quote()
            out.emit(char)
            i += 1
            continue
        if (
            quote is not None
            and quote.type == "expandable_blockquote"
            and source.startswith("||", i)
            and (i + 2 == n or source[i + 2] == "\n")
        ):
            end_quote()
            i += 2
            continue
        if char == "\\":
            if i + 1 < n and 0 < ord(source[i + 1]) <= 126:
                out.emit(source[i + 1])
                i += 2
            else:
                out.emit(char)
                i += 1
            continue
        if char == "`":
            if source.startswith("```", i):
                j = i + 3
                newline = source.find("\n", j)
                language = source[j:newline] if newline >= 0 else ""
                item = _Open("```", "pre", 0, i)
                if newline >= 0 and language and not any(c.isspace() for c in language):
                    item.extra["language"] = language
                    j = newline + 1
                item.start = out.pos
                stack.append(item)
                i = j
            else:
                stack.append(_Open("`", "code", out.pos, i))
                i += 1
            continue
        if char == "[":
            stack.append(_Open("[", "text_link", out.pos, i))
            i += 1
            continue
        if char == "]":
            if top is None or top.tag != "[":
                raise reserved(char)
            if not source.startswith("(", i + 1):
                stack.pop()  # "[text]" without a URL: plain text, as Telegram shows it
                i += 1
                continue
            j = i + 2
            url: list[str] = []
            while j < n and source[j] != ")":
                if source[j] == "\\" and j + 1 < n and source[j + 1] in ")\\":
                    url.append(source[j + 1])
                    j += 2
                else:
                    url.append(source[j])
                    j += 1
            if j >= n:
                raise FormattingError(
                    f"Can't find end of a URL at byte offset {_byte_offset(source, i + 1)}"
                )
            stack.pop()
            top.extra["url"] = "".join(url)
            out.close(top)
            i = j + 1
            continue
        marker = None
        if source.startswith("||", i):
            marker = "||"
        elif source.startswith("__", i):
            marker = "__"
        elif char in "*_~":
            marker = char
        if marker is not None:
            kind = _MD2_TOGGLES[marker]
            open_index = next(
                (k for k in range(len(stack) - 1, -1, -1) if stack[k].type == kind), None
            )
            if open_index is None:
                stack.append(_Open(marker, kind, out.pos, i))
            elif open_index == len(stack) - 1:
                out.close(stack.pop())
            else:
                raise unclosed(stack[-1])
            i += len(marker)
            continue
        if char in _MD2_RESERVED:
            raise reserved(char)
        out.emit(char)
        i += 1

    if stack:
        raise unclosed(stack[-1])
    end_quote()
    return out.result()


# --------------------------------------------------------------------------------------------
# Legacy Markdown

_MD1_MARKERS = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}


def parse_markdown(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy Markdown (*bold*, _italic_, `code`, ```pre```, [text](url))."""
    out = _Output()
    n = len(source)
    i = 0
    while i < n:
        char = source[i]
        if char == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.emit(source[i + 1])
            i += 2
            continue
        marker = "```" if source.startswith("```", i) else char
        if marker in _MD1_MARKERS:
            end = source.find(marker, i + len(marker))
            if end < 0:
                raise FormattingError(
                    f"Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(source, i)}"
                )
            item = _Open(marker, _MD1_MARKERS[marker], out.pos, i)
            out.emit(source[i + len(marker) : end])
            out.close(item)
            i = end + len(marker)
            continue
        if char == "[":
            close = source.find("](", i + 1)
            end = source.find(")", close + 2) if close >= 0 else -1
            if close < 0 or end < 0:
                raise FormattingError(
                    f"Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(source, i)}"
                )
            item = _Open("[", "text_link", out.pos, i, {"url": source[close + 2 : end]})
            out.emit(source[i + 1 : close])
            out.close(item)
            i = end + 1
            continue
        out.emit(char)
        i += 1
    return out.result()
