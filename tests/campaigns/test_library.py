"""The ready library: valid with any config, and it plans what the provincial plans say."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.expand import expand_all
from campaigns.loader import LIBRARY, load_paths
from campaigns.model import ChannelCatalog
from tests.helpers import window

ANY_CONFIGS = [
    ChannelCatalog(targets={"console": ()}, defaults=("console",)),
    ChannelCatalog(targets={"tg": ("nhom", "kenh"), "zalo": ("oa",)}, defaults=("tg", "zalo:oa")),
]


@pytest.mark.parametrize("catalog", ANY_CONFIGS)
def test_library_validates_with_any_config(catalog: ChannelCatalog) -> None:
    result = load_paths([LIBRARY], catalog)
    assert result.problems == []
    assert {c.id for c in result.campaigns} >= {
        "ngay-moi-truong-the-gioi",
        "thang-hanh-dong-vi-moi-truong",
        "bao-cao-chi-so-xanh-pgi",
        "chuyen-doi-xanh-truyen-thong",
    }


def _library() -> list:  # type: ignore[type-arg]
    return load_paths([LIBRARY], ANY_CONFIGS[1]).campaigns


@pytest.mark.parametrize("year", range(2026, 2036))
def test_may_to_july_has_environment_day_and_month_of_action(year: int) -> None:
    found = expand_all(_library(), *window(f"{year}-05-01", f"{year}-07-31"), ANY_CONFIGS[1])
    wed = [a for a in found.activities if a.campaign == "ngay-moi-truong-the-gioi"]
    assert [a.start for a in wed if a.start == dt.date(year, 6, 5)], wed
    month = [a for a in found.activities if a.campaign == "thang-hanh-dong-vi-moi-truong" and a.end]
    periods = {(a.start if isinstance(a.start, dt.date) else a.start.date(), a.end) for a in month}
    assert any(s.month == 5 and e == dt.date(year, 6, 30) for s, e in periods), periods
    texts = [m.text for m in found.messages if m.campaign == "ngay-moi-truong-the-gioi"]
    assert texts and all(t and "None" not in t for t in texts)
    assert all(
        m.targets == (("tg", "nhom"), ("tg", "kenh"), ("zalo", "oa")) for m in found.messages
    )


@pytest.mark.parametrize("year", range(2026, 2036))
def test_late_november_to_december_has_pgi_reminders_and_deadline(year: int) -> None:
    found = expand_all(_library(), *window(f"{year}-11-20", f"{year}-12-31"), ANY_CONFIGS[1])
    deadlines = [d for d in found.deadlines if d.campaign == "bao-cao-chi-so-xanh-pgi"]
    assert [d.due for d in deadlines] == [dt.date(year, 12, 10)]
    reminders = sorted(
        m.due.date() for m in found.messages if m.campaign == "bao-cao-chi-so-xanh-pgi"
    )
    assert reminders == [dt.date(year, 12, 10) - dt.timedelta(days=d) for d in (14, 7, 1)]


def test_every_rendered_text_reads_as_vietnamese() -> None:
    found = expand_all(_library(), *window("2026-01-01", "2027-12-31"), ANY_CONFIGS[0])
    assert found.messages
    for message in found.messages:
        assert message.error == "" and message.text.strip()
        assert "None" not in message.text and "{{" not in message.text
    assert any("Chống ô nhiễm nhựa" in m.text or "nhựa" in m.text for m in found.messages)
