"""The campaigns a config points at: its folders and files, plus the library unless turned off."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from campaigns.loader import LoadResult, load_paths
from scheduler.config import Config


def load_campaigns(config: Config, paths: Sequence[Path] | None = None) -> LoadResult:
    """Load ``paths`` (or the config's campaign paths), checked against the config's channels."""
    return load_paths(
        paths if paths else config.campaign_paths,
        config.catalog(),
        config.timezone,
        display_root=Path.cwd(),
    )
