"""The ready library, and office files that adapt one of its campaigns instead of copying it.

An office file that says ``extends = "ngay-moi-truong-the-gioi"`` is laid over that library
file before anything is checked: its top-level keys replace the library's (``vars`` and
``vars_by_year`` key by key), an item with a library item's id replaces only the keys it
writes, a new id adds an item, and ``remove = ["id"]`` drops one. The merged document is then
validated as one campaign, and every problem names the file that wrote the value: the office
file for what it overrides, the library file for the rest. Campaign and item ids stay those of
the library, so what the office did not change keeps its delivery keys and is neither sent
again nor cancelled.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaigns.errors import Problem
from campaigns.i18n import t
from campaigns.locate import LineIndex
from campaigns.report import dotted
from campaigns.schema import ITEM_MODELS

LIBRARY = Path(__file__).parent / "library"

# What ``library = true`` gives every office: the days and the month every office observes.
# Left out: the PGI report (Sở Tư pháp's plan, with its own Phòng Nghiệp vụ II), the Party
# bodies' reporting deadlines of the green-transition guidance, and the optional calendar of
# environment days, which an office names in ``library = [...]`` when it wants them.
GENERAL = ("ngay-moi-truong-the-gioi", "thang-hanh-dong-vi-moi-truong")

Path_ = tuple[str | int, ...]
Locate = Callable[[Sequence[str | int]], tuple[str, int]]


@dataclass(frozen=True)
class LibraryEntry:
    """One ready campaign: its file, and the library files that extend it under another id
    (a year the plan dated differently), which come with it when an office chooses it."""

    path: Path
    variants: tuple[Path, ...] = ()


@functools.cache
def library_index(folder: Path = LIBRARY) -> dict[str, LibraryEntry]:
    """The library's campaigns by id. Read once: the library ships with loa."""
    heads: dict[str, tuple[Path, str]] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(data.get("id"), str):
            base = data.get("extends")
            heads[data["id"]] = (path, base if isinstance(base, str) else "")
    variants: dict[str, list[Path]] = {}
    for path, base in heads.values():
        if base:
            variants.setdefault(base, []).append(path)
    return {
        cid: LibraryEntry(path, tuple(variants.get(cid, ())))
        for cid, (path, base) in heads.items()
        if not base
    }


def library_files(ids: Iterable[str], folder: Path = LIBRARY) -> list[Path]:
    """The files of the chosen library campaigns (unknown ids are left to the config check)."""
    index = library_index(folder)
    files = [p for cid in ids if cid in index for p in (index[cid].path, *index[cid].variants)]
    return list(dict.fromkeys(files))


def unknown_library_hint(value: str, folder: Path = LIBRARY) -> str:
    """Did-you-mean and the library's ids, for an id that names no ready campaign."""
    known = sorted(library_index(folder))
    close = difflib.get_close_matches(value, known, n=1)
    listing = t("library_ids", ids=", ".join(known))
    return f"{t('did_you_mean', suggestion=close[0])} {listing}" if close else listing


def in_library(path: Path, folder: Path = LIBRARY) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _Origin:
    name: str
    index: LineIndex


@dataclass
class Merged:
    """The library document with the office file laid over it, and where each value came from."""

    data: dict[str, Any]
    problems: list[Problem]
    base_raw: bytes
    office: _Origin
    origins: dict[Path_, tuple[_Origin, Path_]] = field(default_factory=dict)

    def locate(self, path: Sequence[str | int]) -> tuple[str, int]:
        """The file and line that wrote ``path`` of the merged document."""
        key = tuple(path)
        for length in range(len(key), 0, -1):
            found = self.origins.get(key[:length])
            if found is not None:
                origin, prefix = found
                line = origin.index.line_of((*prefix, *key[length:]))
                return origin.name, line
        return self.office.name, self.office.index.line_of(key)


def fixed_in(problem: Problem, office: str) -> Problem:
    """A problem found in the library's part of an adapted campaign, with where to fix it:
    the library file is not the office's to edit."""
    if problem.file == office:
        return problem
    hint = t("fix_in_office_file", file=office)
    return dataclasses.replace(problem, hint=f"{problem.hint}; {hint}" if problem.hint else hint)


def adapted_id(raw: bytes) -> str | None:
    """The library id a file adapts (extends under the same id), read even when the file is
    otherwise broken; None for a file that builds a campaign of its own id on the library."""
    try:
        data = tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    value = data.get("extends")
    return value if isinstance(value, str) and data.get("id", value) == value else None


def merge(
    office: dict[str, Any], name: str, index: LineIndex, folder: Path = LIBRARY
) -> Merged | Problem:
    """Lay ``office`` over the library campaign it extends; a Problem when there is none."""
    target = office["extends"]
    entry = library_index(folder).get(target)
    if entry is None:
        line = index.line_of(("extends",))
        return Problem(
            name,
            line,
            "extends",
            t("unknown_library_campaign", value=target),
            unknown_library_hint(target, folder),
        )
    raw = entry.path.read_bytes()
    text = raw.decode("utf-8").removeprefix("\ufeff")
    base_data = tomllib.loads(text)
    base = _Origin(_display(entry.path), LineIndex(text))
    mine = _Origin(name, index)
    merged = Merged({}, [], raw, mine)
    _merge_top(merged, base, base_data, office)
    removed = _removed(merged, base_data, office)
    for kind in ITEM_MODELS:
        _merge_items(merged, kind, base, base_data.get(kind, []), office.get(kind), removed)
    return merged


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _merge_top(
    merged: Merged, base: _Origin, base_data: dict[str, Any], office: dict[str, Any]
) -> None:
    data, mine = merged.data, merged.office
    for key, value in base_data.items():
        if key not in ITEM_MODELS:
            data[key] = value
            merged.origins[(key,)] = (base, (key,))
    for key, value in office.items():
        if key in ITEM_MODELS:
            continue
        old = data.get(key)
        if key in ("vars", "vars_by_year") and isinstance(old, dict) and isinstance(value, dict):
            depth = 2 if key == "vars_by_year" else 1
            data[key] = _merge_tables(merged, (key,), base, old, value, depth)
        else:
            data[key] = value
            merged.origins[(key,)] = (mine, (key,))


def _merge_tables(
    merged: Merged,
    path: Path_,
    base: _Origin,
    old: dict[str, Any],
    new: dict[str, Any],
    depth: int,
) -> dict[str, Any]:
    """``vars`` key by key; ``vars_by_year`` year by year, then key by key (``depth`` 2)."""
    out = dict(old)
    for key, value in new.items():
        where = (*path, key)
        if depth > 1 and isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = _merge_tables(merged, where, base, out[key], value, depth - 1)
            merged.origins.setdefault(where, (base, where))
        else:
            out[key] = value
            merged.origins[where] = (merged.office, where)
    return out


def _removed(merged: Merged, base_data: dict[str, Any], office: dict[str, Any]) -> set[str]:
    """The ids ``remove`` names; one the library does not have is reported with a hint."""
    ids = {
        item["id"]
        for kind in ITEM_MODELS
        for item in _items(base_data.get(kind))
        if isinstance(item.get("id"), str)
    }
    value = office.get("remove", [])
    if not isinstance(value, list):
        return set()  # the schema reports the type
    removed: set[str] = set()
    for j, item_id in enumerate(value):
        if not isinstance(item_id, str):
            continue
        if item_id not in ids:
            close = difflib.get_close_matches(item_id, sorted(ids), n=1)
            hint = t("did_you_mean", suggestion=close[0]) if close else ""
            name, line = merged.locate(("remove", j))
            message = t("remove_unknown", value=item_id)
            merged.problems.append(Problem(name, line, dotted(("remove", j)), message, hint))
        removed.add(item_id)
    return removed


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _merge_items(
    merged: Merged,
    kind: str,
    base: _Origin,
    base_items: Any,
    office_items: Any,
    removed: set[str],
) -> None:
    """The library's items of one kind in their order, with the office's laid over by id."""
    mine = merged.office
    out: list[Any] = []
    position: dict[str, int] = {}
    if isinstance(base_items, list):
        for i, item in enumerate(base_items):
            if isinstance(item, dict) and item.get("id") in removed:
                continue
            merged.origins[(kind, len(out))] = (base, (kind, i))
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                position.setdefault(item["id"], len(out))
            out.append(item)
    if office_items is not None and not isinstance(office_items, list):
        merged.data[kind] = office_items  # the schema reports "[[kind]] expected" on its line
        merged.origins[(kind,)] = (mine, (kind,))
        return
    overridden: set[str] = set()
    for j, item in enumerate(office_items or []):
        item_id = item.get("id") if isinstance(item, dict) else None
        at = position.get(item_id) if isinstance(item_id, str) else None
        if at is None or item_id in overridden:
            merged.origins[(kind, len(out))] = (mine, (kind, j))
            out.append(item)
            continue
        overridden.add(str(item_id))
        out[at] = {**out[at], **item}
        for key in item:
            merged.origins[(kind, at, key)] = (mine, (kind, j, key))
    if out or kind in merged.data:
        merged.data[kind] = out
