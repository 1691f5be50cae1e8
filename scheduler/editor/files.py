"""The campaign files the editor may write, and writing them so that nothing is half-applied.

The editor writes only files in the office's own campaign folders (config.toml's
``[campaigns] paths``): the library's files belong to loa's installation, and an office
changes a library campaign with a file of its own that adapts it (``extends``).

A save is atomic: the new text goes to a temporary file in the same folder, is flushed to the
disk (fsync), and then takes the old file's name in one rename, and the folder is flushed too.
A crash at any moment leaves the old file or the new one, never a mix; a temporary file left
by a crash is named ``.name.toml.….tmp``, which the loader does not read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import secrets
import tomllib
from collections.abc import Callable
from pathlib import Path

from campaigns.loader import discover
from scheduler.config import Config

Hook = Callable[[str], None]  # called with "written" (before the rename) and "renamed"


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def folders(config: Config) -> list[Path]:
    """Where the office's own campaign files are (a listed file counts as its own place)."""
    return [config.root / p for p in config.data.campaigns.paths]


def editable(config: Config, path: Path) -> bool:
    """A file in one of the office's campaign folders (not the library's)."""
    target = path.resolve()
    for place in folders(config):
        root = place.resolve()
        if target == root or (root.is_dir() and target.is_relative_to(root)):
            return True
    return False


def find(config: Config, campaign_id: str) -> Path | None:
    """The office file whose ``id`` is ``campaign_id`` (a file that does not parse has none)."""
    files, _ = discover(folders(config))
    for path in files:
        with contextlib.suppress(OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            if tomllib.loads(path.read_text("utf-8")).get("id") == campaign_id:
                return path
    return None


def new_path(config: Config, campaign_id: str) -> Path | None:
    """Where a new campaign's file goes: ``<id>.toml`` in the first campaign folder."""
    place = next((p for p in folders(config) if p.is_dir()), None)
    return None if place is None else place / f"{campaign_id}.toml"


def write_atomic(path: Path, data: bytes, hook: Hook | None = None) -> None:
    """Replace ``path`` by ``data`` all at once (see the module's docstring); an existing
    file's permissions are kept."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if hook is not None:
            hook("written")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _sync_folder(path.parent)
    if hook is not None:
        hook("renamed")


def move_aside(path: Path, now: dt.datetime) -> Path:
    """A removed campaign's file, renamed so the loader no longer reads it but a person can
    still bring it back (``name.toml.removed-20261203T062000Z``: rename it to ``name.toml``)."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.removed-{stamp}")
    os.replace(path, aside)
    _sync_folder(path.parent)
    return aside


def _sync_folder(folder: Path) -> None:
    """The rename itself reaches the disk (a folder's entries are flushed on its own fd)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
