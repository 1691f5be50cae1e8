"""The editor's form: a campaign file's values as text fields, and the fields sent back as
edits of the file (``campaigns.editing``).

A field left as it was shown makes no edit, so a form saved without change writes the same
bytes, and a changed field touches its own key only. A time (``at``, ``start``, ``end``,
``due``) is shown as the file writes it: a sentence such as ``ngay-hoi -1d 16:00`` as is, a
TOML date as ``2026-06-05``, a table or a list as inline TOML; what is typed back is read the
same way, so the loader, not the form, says whether it makes sense.

A yes/no key (``approval``) is a checkbox, ticked when the file says ``true``. A browser posts
no unticked box, so the form carries a hidden ``NAME.shown`` beside each box: the box was on
the form and left unticked. Unticking takes the key out (the campaign's, then the channel's
setting applies again, as for any optional key left empty); ticking writes ``approval = true``.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import tomlkit
from tomlkit.items import Date, DateTime, Item, Time

from campaigns.editing import APPEND, REMOVE, Edit

Kind = Literal["text", "long", "lines", "csv", "time", "years", "remind", "names", "flag"]


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind = "text"
    required: bool = False


HEAD = (
    Field("id", required=True),
    Field("title", required=True),
    Field("description", "long"),
    Field("years", "years"),
    Field("tags", "csv"),
    Field("approval", "flag"),
)
ITEMS: dict[str, tuple[Field, ...]] = {
    "activity": (
        Field("id", required=True),
        Field("title", required=True),
        Field("start", "time", required=True),
        Field("end", "time"),
        Field("location"),
        Field("lead", "names"),
        Field("partners", "lines"),
    ),
    "message": (
        Field("id", required=True),
        Field("at", "time", required=True),
        Field("text", "long", required=True),
        Field("channels", "csv"),
        Field("activity"),
        Field("approval", "flag"),
    ),
    "deadline": (
        Field("id", required=True),
        Field("title", required=True),
        Field("due", "time", required=True),
        Field("remind", "remind"),
        Field("remind_at"),
        Field("text", "long"),
        Field("channels", "csv"),
        Field("lead", "names"),
        Field("partners", "lines"),
    ),
}
NEW = "new"  # the index of the blank item each kind offers in the form
TICKED = "true"  # what a ticked box posts
SHOWN = ".shown"  # the suffix of the hidden field that says a box was on the form


def as_text(value: Any, kind: Kind = "text") -> str:
    """A value of the file as a field of ``kind`` shows it: a list one item a line (a list of
    units), or separated by commas on one line (channels, days), or as TOML (times, years)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, dt.date, dt.time)):
        return value.isoformat() if not isinstance(value, int) else str(value)
    plain_list = isinstance(value, list) and all(isinstance(v, (str, int)) for v in value)
    if plain_list and kind in ("lines", "names"):
        return "\n".join(str(v) for v in value)
    if plain_list and kind in ("csv", "remind"):
        return ", ".join(str(v) for v in value)
    return str(_inline(value).as_string()).strip()


def _inline(value: Any) -> Any:
    """A value as TOML writes it on one line (a table inside a list stays inline too)."""
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update({k: _inline(v) for k, v in value.items()})
        return table
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(_inline(v) for v in value)
        return array
    return tomlkit.item(value)


def shown(node: Any, key: str, kind: Kind) -> str:
    """The field's text for ``key`` of a table of the file: a date or time as the file writes
    it (``2026-06-05T07:30:00.250+07:00`` stays so), anything else by ``as_text``."""
    found = node.get(key) if isinstance(node, Mapping) else None
    if kind == "flag":
        return TICKED if _unwrap(found) is True else ""
    if isinstance(found, (DateTime, Date, Time)):
        return str(found.as_string()).strip()
    return as_text(_unwrap(found), kind)


def _unwrap(found: Any) -> Any:
    return found.unwrap() if isinstance(found, Item) else found


def posted(fields: Mapping[str, str], name: str) -> str | None:
    """The field ``name`` as the form sent it: ``""`` for a box left unticked, None when the
    field was not on the form."""
    if name in fields:
        return fields[name]
    return "" if f"{name}{SHOWN}" in fields else None


def normal(text: str) -> str:
    """What a browser sends back, as the form showed it: its line ends, no outer blanks."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _split(text: str, commas: bool) -> list[str]:
    parts = re.split(r"[\n,]" if commas else r"\n", text)
    return [p.strip() for p in parts if p.strip()]


def _toml_value(text: str) -> Any:
    """The TOML value ``text`` writes, kept as written (tomlkit's item), or None."""
    try:
        tomllib.loads(f"v = {text}")
        return tomlkit.parse(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return None


def from_text(text: str, kind: Kind) -> Any:
    """A field's text as the value the file gets."""
    if kind in ("text", "long"):
        return text
    if kind == "flag":
        return text == TICKED
    if kind == "names":
        names = _split(text, commas=False)
        return names if len(names) > 1 else text
    if kind in ("lines", "csv"):
        return _split(text, commas=kind == "csv")
    if kind == "remind":
        return [int(p) if p.isdigit() else p for p in _split(text, commas=True)]
    if kind == "years" and text.isdigit():
        return int(text)
    found = _toml_value(text)
    timely = (dt.date, dt.time, list, dict) if kind == "time" else (list,)
    return found if isinstance(found, Item) and isinstance(found.unwrap(), timely) else text


@dataclass(frozen=True)
class FormItem:
    index: str  # its place in the file ("0", "1", …) or NEW
    values: Mapping[str, str]

    def name(self, kind: str, key: str) -> str:
        return f"{kind}.{self.index}.{key}"


@dataclass(frozen=True)
class View:
    """The form's fields for one file."""

    head: Mapping[str, str]
    items: Mapping[str, list[FormItem]]
    triggers: int  # the file's [[trigger]] items, kept as they are (edited in the file)


def _rows(doc: Any, kind: str) -> list[Any]:
    found = doc.get(kind)
    return [row for row in found if isinstance(row, Mapping)] if isinstance(found, list) else []


def view(text: str) -> View:
    doc = tomlkit.parse(text)
    head = {f.key: shown(doc, f.key, f.kind) for f in HEAD}
    items: dict[str, list[FormItem]] = {}
    for kind, fields in ITEMS.items():
        items[kind] = [
            FormItem(str(i), {f.key: shown(row, f.key, f.kind) for f in fields})
            for i, row in enumerate(_rows(doc, kind))
        ] + [FormItem(NEW, {f.key: "" for f in fields})]
    return View(head, items, len(_rows(doc, "trigger")))


def _edit(path: tuple[str | int, ...], field: Field, node: Any, given: str) -> Edit | None:
    text = normal(given)
    if field.kind == "flag":  # anything but a ticked box is unticked
        text = TICKED if text == TICKED else ""
    if text == normal(shown(node, field.key, field.kind)):
        return None
    if not text and not field.required:
        return Edit(path, REMOVE)
    return Edit(path, from_text(text, field.kind))


def edits(original: str, fields: Mapping[str, str]) -> list[Edit]:
    """The edits the posted ``fields`` make to ``original``; a field not posted is left."""
    doc = tomlkit.parse(original)
    out: list[Edit] = []
    for field in HEAD:
        given = posted(fields, field.key)
        if given is not None:
            found = _edit((field.key,), field, doc, given)
            out += [found] if found else []
    for kind, specs in ITEMS.items():
        for i, row in enumerate(_rows(doc, kind)):
            if fields.get(f"{kind}.{i}.remove"):
                out.append(Edit((kind, i), REMOVE))
                continue
            for field in specs:
                given = posted(fields, f"{kind}.{i}.{field.key}")
                if given is not None:
                    found = _edit((kind, i, field.key), field, row, given)
                    out += [found] if found else []
        added = {
            f.key: from_text(normal(fields[f"{kind}.{NEW}.{f.key}"]), f.kind)
            for f in specs
            if normal(fields.get(f"{kind}.{NEW}.{f.key}", ""))
        }
        if added:
            out.append(Edit((kind, APPEND), added))
    return out


_ITEM_PATH = re.compile(r"^(activity|message|deadline)\[(\d+)\](?:\.([a-z_]+))?")


def field_of(path: str, original: str, removed: Sequence[str]) -> str | None:
    """The field a problem's key path (``message[3].text``, of the file as it would be saved)
    points at, or None when it is no field of the form (the problem is shown above it)."""
    if path in {f.key for f in HEAD}:
        return path
    found = _ITEM_PATH.match(path)
    if found is None:
        return None
    kind, place, key = found[1], int(found[2]) - 1, found[3] or "id"
    count = len(_rows(tomlkit.parse(original), kind))
    kept = [str(i) for i in range(count) if f"{kind}.{i}" not in removed] + [NEW]
    if place >= len(kept) or key not in {f.key for f in ITEMS[kind]}:
        return None
    return f"{kind}.{kept[place]}.{key}"


def removed_items(fields: Mapping[str, str]) -> list[str]:
    """``message.2`` for each item the form takes out."""
    return [name.removesuffix(".remove") for name in fields if name.endswith(".remove")]
