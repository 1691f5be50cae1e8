"""Editing a campaign file's text by its keys, keeping everything else as the office wrote it.

The staff page's editor writes campaign files that people also edit by hand, so a save must
keep their comments, blank lines, key order and quoting: an edit of one message's text changes
that line and no other. tomlkit keeps a document's layout; where its output still differs from
the file in an untouched line (it drops the space before the ``}`` of an inline table ending in
a date), the edit is laid onto the original text line by line, so only the lines the edit made
differ. Pure text in, text out: reading and writing files is ``scheduler.editor``'s job.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import tomlkit
from tomlkit.items import AoT, Item, String

Path = tuple[str | int, ...]


class Removal(enum.Enum):
    """The value of an edit that removes a key or an item."""

    REMOVE = "remove"


REMOVE = Removal.REMOVE
APPEND = -1  # the index of an item added at the end of its array of tables


@dataclass(frozen=True)
class Edit:
    """``("message", 2, "text")`` set to a value (or removed); ``("message", APPEND)`` with a
    dict adds an item; ``("message", 2)`` with REMOVE takes item 3 out."""

    path: Path
    value: Any


def parse(text: str) -> tomlkit.TOMLDocument:
    return tomlkit.parse(text)


def plain(text: str) -> dict[str, Any]:
    """The document's values as plain Python (dates stay dates)."""
    return tomlkit.parse(text).unwrap()


def apply(text: str, edits: Iterable[Edit]) -> str:
    """The file's text with the edits made, every line they do not touch kept byte for byte.
    An edit that sets a value the file already holds changes nothing."""
    doc = tomlkit.parse(text)
    changes = list(edits)
    keys = [e for e in changes if len(e.path) != 2 or not isinstance(e.path[1], int)]
    removed = sorted(
        (e for e in changes if len(e.path) == 2 and e.value is REMOVE),
        key=lambda e: -int(e.path[1]),
    )
    added = [e for e in changes if len(e.path) == 2 and e.path[1] == APPEND]
    for edit in keys:
        _set(doc, edit.path, edit.value)
    for edit in removed:
        items = doc.get(str(edit.path[0]))
        if isinstance(items, AoT) and 0 <= int(edit.path[1]) < len(items):
            del items[int(edit.path[1])]
            if not len(items):
                del doc[str(edit.path[0])]
    for edit in added:
        _append(doc, str(edit.path[0]), edit.value)
    return _onto(text, tomlkit.dumps(doc))


def unified_diff(old: str, new: str, name: str) -> str:
    """The difference a person reads in the history, ``a/`` before and ``b/`` after."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _container(doc: tomlkit.TOMLDocument, path: Sequence[str | int]) -> Any:
    node: Any = doc
    for part in path:
        node = node[part]
    return node


def _set(doc: tomlkit.TOMLDocument, path: Path, value: Any) -> None:
    *head, key = path
    try:
        node = _container(doc, head)
    except (KeyError, IndexError):
        return
    present = key in node
    if value is REMOVE:
        if present:
            del node[key]
        return
    if present and _unwrap(node[key]) == _unwrap(value):
        return
    node[key] = _item(value, node[key] if present else None)


def _unwrap(value: Any) -> Any:
    return value.unwrap() if isinstance(value, Item) else value


def _item(value: Any, old: Any) -> Any:
    """A string that spans lines, or replaces one written across lines, stays a multi-line
    string; everything else is written as TOML writes it."""
    if isinstance(value, str):
        multiline = "\n" in value or (isinstance(old, String) and old.type.is_multiline())
        return tomlkit.string(value, multiline=multiline)
    return value


def _append(doc: tomlkit.TOMLDocument, kind: str, values: dict[str, Any]) -> None:
    table = tomlkit.table()
    for key, value in values.items():
        table[key] = _item(value, None)
    items = doc.get(kind)
    if isinstance(items, AoT):
        items.append(table)
    else:
        doc.append(kind, tomlkit.aot())
        doc[kind].append(table)


def _onto(original: str, edited: str) -> str:
    """``edited`` laid onto ``original``: the lines tomlkit rewrote without being asked keep
    their original bytes (see the module's docstring)."""
    base = tomlkit.dumps(tomlkit.parse(original))
    if base == original:
        return edited
    old, normal, new = (
        original.splitlines(keepends=True),
        base.splitlines(keepends=True),
        edited.splitlines(keepends=True),
    )
    if len(old) != len(normal):
        return edited
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, normal, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        out.extend(old[i1:i2] if tag == "equal" else new[j1:j2])
    return "".join(out)
