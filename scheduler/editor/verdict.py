"""Whether a campaign file's would-be text may be saved, by the rules ``loa validate`` and the
daemon's reload apply, and what it would produce next.

The file alone is read by the loader (``parse_document``: every problem with its line and
key); its id must not be another file's; and it must expand as sync expands it
(``check_each``). These are the checks ``loa validate`` makes of each file, so the editor
never saves a file the daemon would refuse. The next occurrences come from the expansion the
plan uses (``scheduler.plan``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from campaigns.errors import Problem
from campaigns.i18n import t
from campaigns.loader import parse_document
from campaigns.locate import LineIndex
from campaigns.model import Campaign
from scheduler.campaign_set import check_each, load_campaigns
from scheduler.config import Config
from scheduler.plan import PlanRow, plan_rows

NEXT = 8  # occurrences shown before saving


@dataclass
class Verdict:
    campaign: Campaign | None
    problems: list[Problem] = field(default_factory=list)
    upcoming: list[PlanRow] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.campaign is not None and not self.errors


def display(config: Config, path: Path) -> str:
    """The file's name as problems say it (from the office's folder, as ``loa validate``)."""
    try:
        return str(path.resolve().relative_to(config.root.resolve()))
    except ValueError:
        return str(path)


def judge(config: Config, path: Path, raw: bytes, now: dt.datetime) -> Verdict:
    name = display(config, path)
    catalog = config.catalog()
    campaign, problems = parse_document(raw, path, catalog, config.timezone, name)
    if campaign is None:
        return Verdict(None, sorted(problems))
    others = [c for c in load_campaigns(config).campaigns if c.source.resolve() != path.resolve()]
    taken = next((c for c in others if c.id == campaign.id and not campaign.extends), None)
    if taken is not None:
        line = LineIndex(raw.decode("utf-8", "replace")).line_of(("id",))
        other = display(config, taken.source)
        problems.append(
            Problem(name, line, "id", t("duplicate_campaign", value=campaign.id, other=other))
        )
        return Verdict(None, sorted(problems))
    expansion, refused = check_each([campaign], catalog, now, config.horizon)
    if refused:
        return Verdict(None, sorted(problems + refused))
    rows = [r for r in plan_rows(expansion, [campaign]) if r.start >= now][:NEXT]
    return Verdict(campaign, sorted(problems), rows)
