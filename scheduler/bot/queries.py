"""What the bot answers from: campaigns and their coming items, as the store has them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select

from campaigns.collation import sort_key
from campaigns.units import split_names
from scheduler.store.tables import REMOVED, CampaignVersion, Occurrence

O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741
V = CampaignVersion.__table__  # type: ignore[attr-defined]

LIVE = and_(O.c.status == "confirmed", V.c.digest != REMOVED)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class CampaignInfo:
    id: str
    title: str
    description: str
    paused: bool
    first: dt.datetime | None  # the earliest item the store holds that has not ended
    last: dt.datetime | None  # when the last of them ends
    ongoing: bool  # an item is happening now
    ongoing_until: dt.datetime | None = None  # when what is happening now ends


def _ends(row: Any) -> dt.datetime:
    """When an item ends: its end, else the midnight closing its day (an all-day item, such
    as a deadline on 10 December, lasts that whole day), else the moment it happens."""
    if row.end is not None:
        end: dt.datetime = row.end
        return end
    start: dt.datetime = row.start
    return start + DAY if row.all_day else start


def _not_ended(row: Any, now: dt.datetime) -> bool:
    return bool(row.start >= now or _ends(row) > now)


def items(
    db: Engine,
    since: dt.datetime,
    until: dt.datetime | None = None,
    limit: int | None = None,
    campaign: str | None = None,
    overlapping: bool = False,
    hidden: frozenset[str] = frozenset(),
) -> list[Any]:
    """Activities and deadlines starting at or after ``since`` (or, ``overlapping``, under way
    then), before ``until``, in time order; each row also carries its campaign's title. An
    all-day item begun within the day before ``since`` and not ended counts as coming: a report
    due today is what the chat most needs to see. ``hidden`` campaigns (private ones, for a
    chat not allowed them) are left out in SQL, so a limit counts only what is shown."""
    starts = (
        or_(O.c.start >= since, func.coalesce(O.c.end, O.c.start) > since)
        if overlapping
        else or_(
            O.c.start >= since,
            and_(
                O.c.all_day.is_(True),
                O.c.start > since - DAY,
                or_(O.c.end.is_(None), O.c.end > since),
            ),
        )
    )
    condition = and_(LIVE, starts)
    if until is not None:
        condition = and_(condition, O.c.start < until)
    if campaign is not None:
        condition = and_(condition, O.c.campaign == campaign)
    if hidden:
        condition = and_(condition, O.c.campaign.not_in(sorted(hidden)))
    query = (
        select(O, V.c.title.label("campaign_title"))
        .join(V, V.c.campaign == O.c.campaign)
        .where(condition)
        .order_by(O.c.start, O.c.key)
    )
    if limit is not None:
        query = query.limit(limit)
    with db.connect() as conn:
        return list(conn.execute(query).all())


def campaigns(
    db: Engine, now: dt.datetime, hidden: frozenset[str] = frozenset()
) -> list[CampaignInfo]:
    """Campaigns with something ongoing or coming, soonest first; ``hidden`` ones left out."""
    with db.connect() as conn:
        versions = conn.execute(select(V).where(V.c.digest != REMOVED)).all()
        rows = _spans(conn, now)
    spans: dict[str, list[Any]] = {}
    for row in rows:
        spans.setdefault(row.campaign, []).append(row)
    shown = [v for v in versions if v.campaign in spans and v.campaign not in hidden]
    out = [_info(v, spans[v.campaign], now) for v in shown]
    out.sort(key=lambda c: (not c.ongoing, c.first or now, c.id))
    return out


def campaign(db: Engine, campaign_id: str, now: dt.datetime) -> CampaignInfo | None:
    with db.connect() as conn:
        v = conn.execute(
            select(V).where(and_(V.c.campaign == campaign_id, V.c.digest != REMOVED))
        ).first()
        if v is None:
            return None
        rows = _spans(conn, now, campaign_id)
    return _info(v, rows, now)


def _spans(conn: Connection, now: dt.datetime, campaign_id: str | None = None) -> list[Any]:
    """The confirmed items that have not ended by ``now`` (all-day ones end at the midnight
    after their day, which SQL cannot add portably: a day's margin here, the rule in Python)."""
    condition = and_(O.c.status == "confirmed", func.coalesce(O.c.end, O.c.start) >= now - DAY)
    if campaign_id is not None:
        condition = and_(condition, O.c.campaign == campaign_id)
    rows = conn.execute(
        select(O.c.campaign, O.c.start, O.c.end, O.c.all_day).where(condition)
    ).all()
    return [row for row in rows if _not_ended(row, now)]


def _info(v: Any, rows: list[Any], now: dt.datetime) -> CampaignInfo:
    current = [r for r in rows if r.start <= now < _ends(r)]
    return CampaignInfo(
        id=v.campaign,
        title=v.title,
        description=v.description,
        paused=bool(v.paused),
        first=min((r.start for r in rows), default=None),
        last=max((_ends(r) for r in rows), default=None),
        ongoing=bool(current),
        ongoing_until=max((_ends(r) for r in current), default=None),
    )


def units(db: Engine, campaign_id: str) -> tuple[list[str], list[str]]:
    """The campaign's lead units and partner units, as its items name them."""
    with db.connect() as conn:
        rows = conn.execute(
            select(O.c.lead, O.c.partners)
            .where(and_(O.c.campaign == campaign_id, O.c.status == "confirmed"))
            .distinct()
        ).all()
    leads = sorted({name for r in rows for name in split_names(r.lead)}, key=sort_key)
    partners = sorted(
        {p.strip() for r in rows for p in r.partners.split("\n") if p.strip()}, key=sort_key
    )
    return leads, [p for p in partners if p not in leads]


def known_ids(db: Engine, hidden: frozenset[str] = frozenset()) -> list[str]:
    with db.connect() as conn:
        rows = conn.execute(select(V.c.campaign).where(V.c.digest != REMOVED)).all()
    return sorted(r.campaign for r in rows if r.campaign not in hidden)
