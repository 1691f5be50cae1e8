"""Small builders shared by the tests: a campaign from TOML text, a window, a catalog."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from campaigns.errors import Problem
from campaigns.loader import parse_document
from campaigns.model import Campaign, ChannelCatalog

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CATALOG = ChannelCatalog(
    targets={"console": (), "telegram": ("nhom-vp", "kenh-tinh"), "zalo": ("oa",)},
    defaults=("console",),
)


def parse(text: str, catalog: ChannelCatalog = CATALOG) -> tuple[Campaign | None, list[Problem]]:
    return parse_document(text.encode(), Path("c.toml"), catalog, "Asia/Ho_Chi_Minh", "c.toml")


def campaign(text: str, catalog: ChannelCatalog = CATALOG) -> Campaign:
    found, problems = parse(text, catalog)
    assert found is not None, "\n".join(map(str, problems))
    return found


def errors(text: str, catalog: ChannelCatalog = CATALOG) -> list[str]:
    found, problems = parse(text, catalog)
    out = [str(p) for p in problems if p.severity == "error"]
    assert (found is None) == bool(out)
    return out


def window(first: str, last: str) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00, day after last 00:00) in Vietnam time."""
    a = dt.datetime.combine(dt.date.fromisoformat(first), dt.time(), tzinfo=VN)
    b = dt.datetime.combine(
        dt.date.fromisoformat(last) + dt.timedelta(days=1), dt.time(), tzinfo=VN
    )
    return a, b


HEAD = 'id = "c"\ntitle = "Chiến dịch thử"\n'
