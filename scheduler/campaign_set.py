"""The campaigns a config points at: its folders and files, plus the library unless turned off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from campaigns.errors import ExpansionRefused, Problem
from campaigns.expand import Expansion, expand
from campaigns.loader import LoadResult, expansion_problem, load_paths
from campaigns.model import Campaign, ChannelCatalog
from scheduler.config import Config
from scheduler.sync import expand_for_sync


def load_campaigns(config: Config, paths: Sequence[Path] | None = None) -> LoadResult:
    """Load ``paths`` (or the config's campaign paths), checked against the config's channels."""
    return load_paths(
        paths if paths else config.campaign_paths,
        config.catalog(),
        config.timezone,
        display_root=Path.cwd(),
    )


def expand_each(
    campaigns: Iterable[Campaign], start: dt.datetime, end: dt.datetime, catalog: ChannelCatalog
) -> tuple[Expansion, list[Problem]]:
    """Everything the campaigns hold in ``[start, end)``, and a problem (file:line) for each
    campaign that cannot be expanded: one such file does not hide what the others hold."""
    return _each(campaigns, lambda campaign: expand(campaign, start, end, catalog))


def check_each(
    campaigns: Iterable[Campaign], catalog: ChannelCatalog, now: dt.datetime, horizon: dt.timedelta
) -> tuple[Expansion, list[Problem]]:
    """``expand_each`` as the daemon's sync expands each campaign (its grace and the
    horizon): the campaigns ``loa validate`` accepts are the ones a reload accepts."""
    return _each(campaigns, lambda campaign: expand_for_sync(campaign, catalog, now, horizon))


def _each(
    campaigns: Iterable[Campaign], expand_one: Callable[[Campaign], Expansion]
) -> tuple[Expansion, list[Problem]]:
    out = Expansion()
    problems: list[Problem] = []
    for campaign in campaigns:
        try:
            out.extend(expand_one(campaign))
        except ExpansionRefused as exc:
            problems.append(expansion_problem(campaign, exc))
    return out, sorted(problems)
