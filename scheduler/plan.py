"""The plan view: expansion flattened into rows a person reads (``loa plan``) or a program
reads (``--format json``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import RenderableType
from rich.padding import Padding
from rich.text import Text

from campaigns import markup
from campaigns.dates import format_date, format_datetime
from campaigns.expand import Expansion
from campaigns.i18n import language, t
from campaigns.model import Campaign
from campaigns.timeexpr import instant


@dataclass(frozen=True)
class PlanRow:
    campaign: str
    kind: str  # "activity", "message", "deadline" or "event" (scheduler.events)
    id: str
    title: str
    start: dt.datetime
    end: dt.datetime | None
    all_day: bool
    channels: tuple[str, ...]
    key: str
    text: str = ""
    location: str = ""
    lead: str = ""
    partners: tuple[str, ...] = ()
    error: str = ""
    units: tuple[str, ...] = ()  # who owes a deadline
    moved_from: dt.date | None = None  # the day off the item was moved from

    def as_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "all_day": self.all_day,
            "channels": list(self.channels),
            "key": self.key,
            "text": self.text,
            "location": self.location,
            "lead": self.lead,
            "partners": list(self.partners),
            "error": self.error,
            "moved_from": self.moved_from.isoformat() if self.moved_from else None,
        }


def plan_rows(expansion: Expansion, campaigns: Iterable[Campaign]) -> list[PlanRow]:
    zones = {c.id: ZoneInfo(c.timezone) for c in campaigns}
    rows: list[PlanRow] = []
    for a in expansion.activities:
        tz = zones[a.campaign]
        rows.append(
            PlanRow(
                campaign=a.campaign,
                kind="activity",
                id=a.activity,
                title=a.title,
                start=instant(a.start, tz),
                end=instant(a.end, tz, after=True) if a.end is not None else None,
                all_day=a.all_day,
                channels=(),
                key=a.key,
                location=a.location,
                lead=a.lead,
                partners=a.partners,
                moved_from=a.moved_from,
            )
        )
    for d in expansion.deadlines:
        rows.append(
            PlanRow(
                campaign=d.campaign,
                kind="deadline",
                id=d.deadline,
                title=d.title,
                start=instant(d.due, zones[d.campaign]),
                end=None,
                all_day=not isinstance(d.due, dt.datetime),
                channels=(),
                key=d.key,
                lead=d.lead,
                partners=d.partners,
                units=d.units,
                moved_from=d.moved_from,
            )
        )
    for m in expansion.messages:
        first_line = (m.text or m.error).strip().splitlines()[0] if (m.text or m.error) else ""
        rows.append(
            PlanRow(
                campaign=m.campaign,
                kind="message",
                id=m.item,
                title=first_line[:120],
                start=m.due,
                end=None,
                all_day=False,
                channels=tuple(m.channels),
                key=m.key,
                text=m.text,
                error=m.error,
                moved_from=m.moved_from,
            )
        )
    rows.sort(key=lambda r: (r.start, r.kind != "activity", r.key))
    return rows


def when_text(row: PlanRow, lang: str | None = None) -> str:
    """When a row happens, with weekdays and years the Vietnamese way: ``Thứ Sáu, 05/06/2026``,
    ``Thứ Hai, 25/05/2026 – Thứ Ba, 30/06/2026``, ``07:30 – 11:00, Thứ Hai, 25/05/2026``."""
    lang = lang or language()
    if row.all_day:
        first = row.start.date()
        last = row.end.date() - dt.timedelta(days=1) if row.end is not None else first
        if last > first:
            return f"{format_date(first, lang)} – {format_date(last, lang)}"
        return format_date(first, lang)
    if row.end is None or row.end <= row.start:
        return format_datetime(row.start, lang)
    end = row.end.astimezone(row.start.tzinfo)
    if end.date() == row.start.date():
        return f"{row.start:%H:%M} – {format_datetime(end, lang)}"
    return f"{format_datetime(row.start, lang)} – {format_datetime(end, lang)}"


def moved_text(row: PlanRow) -> str:
    """Why the date is not the one the file gives: "dời từ Thứ Bảy, 25/05/2030 (ngày nghỉ)"."""
    if row.moved_from is None:
        return ""
    return t("moved_from", date=format_date(row.moved_from, language()))


def kind_text(kind: str) -> str:
    return t(f"kind_{kind}")


_STYLES = {
    "activity": "bold",
    "deadline": "bold red",
    "message": "bold blue",
    "event": "bold magenta",
}
INDENT = 4


def plan_entries(rows: Iterable[PlanRow]) -> list[RenderableType]:
    """Each row as a few lines: when and what kind, then the title and the details on lines of
    their own, indented, wrapping at the terminal's width instead of being cut (a table of
    five columns left ``Nội …`` of every title at 80 columns)."""
    entries: list[RenderableType] = []
    for row in rows:
        head = Text(f"{when_text(row)} · {kind_text(row.kind)}", style=_STYLES[row.kind])
        if row.channels:
            head.append(f" → {', '.join(row.channels)}")
        # a message's title in the JSON is its first line cut to 120 characters; a reader gets it whole
        first = row.text.strip().splitlines()[:1] if row.kind == "message" and row.text else []
        title = markup.parse(first[0]).plain() if first else row.title
        body = Text(title) if not row.error else Text(row.error, style="red")
        details = [t("plan_campaign", id=row.campaign)]
        if row.lead:
            details.append(t("plan_lead", unit=row.lead))
        if row.moved_from is not None:
            details.append(moved_text(row))
        entries.append(Text())
        entries.append(head)
        for line in (body, *(Text(d, style="dim") for d in details)):
            entries.append(Padding(line, (0, 0, 0, INDENT), expand=False))
    return entries
