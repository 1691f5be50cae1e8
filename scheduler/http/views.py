"""What the staff pages read from the store: a month of the calendar, a page of the delivery
log, a campaign, the status. Each page is a handful of indexed queries whatever the office's
size (no query per row), bounded by a month, a page or a limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, or_, select, true

from campaigns.collation import sort_key
from campaigns.units import NO_UNITS, UnitRegistry, split_names
from scheduler.store.tables import REMOVED, CampaignVersion, Delivery, Occurrence, State

D = Delivery.__table__  # type: ignore[attr-defined]
O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741
V = CampaignVersion.__table__  # type: ignore[attr-defined]

PAGE_SIZE = 50
IN_A_CELL = 3  # items a day's cell of the month shows; the rest are in the day-by-day list
MESSAGE_PLAN = 200  # a campaign page lists its next messages, not a year of them
STATES = tuple(s.value for s in State)


@dataclass(frozen=True)
class Filters:
    """What a page is narrowed to; empty means everything."""

    campaign: str = ""
    unit: str = ""
    channel: str = ""
    state: str = ""
    target: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    @classmethod
    def of(cls, query: Mapping[str, str]) -> Filters:
        def day(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(query.get(name, ""))
            except ValueError:
                return None

        state = query.get("state", "")
        return cls(
            campaign=query.get("campaign", "").strip(),
            unit=query.get("unit", "").strip(),
            channel=query.get("channel", "").strip(),
            state=state if state in STATES else "",
            target=query.get("target", "").strip(),
            since=day("from"),
            until=day("to"),
        )


@dataclass(frozen=True)
class Item:
    """One thing on the calendar: an activity, a period (several days), a deadline or a
    scheduled message (one per message, whatever its number of targets)."""

    kind: str  # "activity", "period", "deadline" or "message"
    title: str
    campaign: str
    start: dt.datetime | dt.date
    end: dt.date  # the last day it covers (inclusive)
    all_day: bool
    key: str = ""  # a delivery to preview, for a message
    cancelled: bool = False
    channels: tuple[str, ...] = ()
    state: str = ""

    @property
    def first_day(self) -> dt.date:
        start = self.start
        return start.date() if isinstance(start, dt.datetime) else start


@dataclass
class Month:
    """A month's grid, and the one week its day-by-day list shows (the phone's view; a month
    of a busy office holds thousands of items, so the list goes a week at a time)."""

    first: dt.date
    weeks: list[list[dt.date]]
    items: list[Item] = field(default_factory=list)
    week: int = 0  # which of ``weeks`` the day-by-day list shows
    _by_day: dict[dt.date, list[Item]] = field(default_factory=dict)
    _periods: list[Item] = field(default_factory=list)

    def index(self) -> None:
        """Sort the items and file them by day, once: the page asks per day and per week."""
        self.items.sort(
            key=lambda i: (i.first_day, i.kind != "period", str(i.start), sort_key(i.title))
        )
        self._by_day, self._periods = {}, []
        for item in self.items:
            if item.kind == "period":
                self._periods.append(item)
            else:
                self._by_day.setdefault(item.first_day, []).append(item)

    def on(self, day: dt.date) -> list[Item]:
        """What a day's cell shows: its first few items (``more`` tells how many are left)."""
        return self._by_day.get(day, [])[:IN_A_CELL]

    def more(self, day: dt.date) -> int:
        return max(0, len(self._by_day.get(day, [])) - IN_A_CELL)

    def week_of(self, day: dt.date) -> int:
        return next((n for n, week in enumerate(self.weeks) if day in week), 0)

    def periods(self, week: list[dt.date]) -> list[tuple[Item, int, int]]:
        """Periods crossing ``week``, with the columns they span there (1-based, end excl.)."""
        out = []
        for item in self._periods:
            if item.first_day <= week[-1] and item.end >= week[0]:
                first = max(item.first_day, week[0])
                last = min(item.end, week[-1])
                out.append((item, (first - week[0]).days + 1, (last - week[0]).days + 2))
        return out

    def days(self) -> list[tuple[dt.date, list[Item]]]:
        """The day-by-day list of the chosen week: each day with something on it; a period on
        the week's first day it covers."""
        week = self.weeks[self.week]
        out = []
        for day in week:
            starting = [
                p for p in self._periods
                if max(p.first_day, week[0]) == day and p.end >= week[0]
            ]  # fmt: skip
            found = starting + self._by_day.get(day, [])
            if found:
                out.append((day, found))
        return out


def month_grid(first: dt.date) -> list[list[dt.date]]:
    """The weeks (Monday first, as Vietnamese calendars print them) that show ``first``'s month."""
    start = first - dt.timedelta(days=first.weekday())
    weeks = []
    while True:
        week = [start + dt.timedelta(days=i) for i in range(7)]
        weeks.append(week)
        start += dt.timedelta(days=7)
        if start.month != first.month:
            return weeks


def _local(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return moment.astimezone(tz)


def calendar_month(
    db: Engine,
    first: dt.date,
    tz: ZoneInfo,
    filters: Filters,
    units: UnitRegistry = NO_UNITS,
    hidden: frozenset[str] = frozenset(),
    day: dt.date | None = None,
) -> Month:
    """A month's activities, periods, deadlines and scheduled messages: two range queries on
    the (campaign, start) and due indexes."""
    weeks = month_grid(first)
    begin = dt.datetime.combine(weeks[0][0], dt.time(), tz)
    end = dt.datetime.combine(weeks[-1][-1] + dt.timedelta(days=1), dt.time(), tz)
    month = Month(first, weeks)
    occurrences = and_(
        O.c.start < end, or_(O.c.end >= begin, and_(O.c.end.is_(None), O.c.start >= begin))
    )
    if filters.campaign:
        occurrences = and_(occurrences, O.c.campaign == filters.campaign)
    if hidden:
        occurrences = and_(occurrences, O.c.campaign.not_in(sorted(hidden)))
    found = units.find(filters.unit) if filters.unit else None
    wanted = found.id if found is not None else filters.unit
    with db.connect() as conn:
        rows = conn.execute(
            select(O.c.kind, O.c.title, O.c.campaign, O.c.start, O.c.end, O.c.all_day,
                   O.c.status, O.c.lead, O.c.partners)
            .where(occurrences).order_by(O.c.start, O.c.key)
        ).all()  # fmt: skip
        for row in rows:
            if wanted and wanted not in {
                *split_names(row.lead),
                *split_names(row.partners.split("\n")),
            }:
                continue
            month.items.append(_occurrence_item(row, tz))
        if not filters.unit:  # messages have no unit; a unit's calendar is its work
            month.items += _messages(conn, begin, end, tz, filters, hidden)
    month.index()
    month.week = month.week_of(day) if day is not None else 0
    return month


def _occurrence_item(row: Any, tz: ZoneInfo) -> Item:
    start = _local(row.start, tz)
    if row.all_day:
        first: dt.datetime | dt.date = start.date()
        # an all-day event's end is the day after its last one, as in iCalendar
        last = (_local(row.end, tz).date() - dt.timedelta(days=1)) if row.end else start.date()
    else:
        first = start
        last = _local(row.end, tz).date() if row.end else start.date()
    last = max(last, start.date())
    kind = row.kind if row.kind == "deadline" else "period" if last > start.date() else "activity"
    return Item(kind, row.title, row.campaign, first, last, bool(row.all_day),
                cancelled=row.status == "cancelled")  # fmt: skip


def _messages(
    conn: Any, begin: dt.datetime, end: dt.datetime, tz: ZoneInfo, filters: Filters,
    hidden: frozenset[str],
) -> list[Item]:  # fmt: skip
    """One item per message: its deliveries to several targets share a message key."""
    condition = and_(D.c.due >= begin, D.c.due < end, D.c.state != State.CANCELLED)
    if filters.campaign:
        condition = and_(condition, D.c.campaign == filters.campaign)
    if filters.channel:
        condition = and_(condition, D.c.channel == filters.channel)
    if hidden:
        condition = and_(condition, D.c.campaign.not_in(sorted(hidden)))
    # grouped by the database: a month of a busy office is tens of thousands of deliveries
    rows = conn.execute(
        select(
            D.c.due, func.min(D.c.key).label("key"), func.min(D.c.campaign).label("campaign"),
            func.min(D.c.item).label("item"), func.min(D.c.channel).label("first_channel"),
            func.max(D.c.channel).label("last_channel"), func.min(D.c.state).label("state"),
            func.max(D.c.state).label("last_state"),
            func.count(D.c.channel.distinct()).label("channel_count"),
        )
        .where(condition)
        .group_by(D.c.message_key, D.c.due)
    ).all()  # fmt: skip
    items = []
    for row in rows:
        local = _local(row.due, tz)
        channels = tuple(dict.fromkeys((row.first_channel, row.last_channel)))
        if row.channel_count > len(channels):  # three channels or more: the first and last, …
            channels = (channels[0], "…", channels[-1])
        state = row.state if row.state == row.last_state else ""
        items.append(Item("message", row.item, row.campaign, local, local.date(), False,
                          key=row.key, channels=channels, state=state))  # fmt: skip
    return items


@dataclass(frozen=True)
class LogPage:
    rows: list[Any]
    page: int
    more: bool


def delivery_log(
    db: Engine,
    filters: Filters,
    tz: ZoneInfo,
    page: int = 1,
    units: UnitRegistry = NO_UNITS,
    size: int = PAGE_SIZE,
) -> LogPage:
    """A page of the outbox, newest due first; one row more than the page tells whether there
    is a next one (no count over the whole table)."""
    condition: Any = true()
    if filters.state:
        condition = and_(condition, D.c.state == filters.state)
    if filters.campaign:
        condition = and_(condition, D.c.campaign == filters.campaign)
    if filters.channel:
        # a channel alone would lead SQLite to the (channel, target, due) index and a sort of
        # half the table; written as an expression it walks the due index newest first instead
        channel = D.c.channel if filters.target else D.c.channel.concat("")
        condition = and_(condition, channel == filters.channel)
    if filters.target:
        condition = and_(condition, D.c.target == filters.target)
    if filters.since:
        condition = and_(condition, D.c.due >= dt.datetime.combine(filters.since, dt.time(), tz))
    if filters.until:
        after = filters.until + dt.timedelta(days=1)
        condition = and_(condition, D.c.due < dt.datetime.combine(after, dt.time(), tz))
    if filters.unit:
        condition = and_(condition, _of_unit(filters.unit, units))
    page = max(1, page)
    query = (
        select(D.c.key, D.c.campaign, D.c.item, D.c.channel, D.c.target, D.c.due, D.c.state,
               D.c.attempts, D.c.last_error, D.c.sent_at, D.c.possible_duplicate,
               D.c.cancel_reason)
        .where(condition)
        .order_by(D.c.due.desc(), D.c.key.desc())
        .limit(size + 1)
        .offset((page - 1) * size)
    )  # fmt: skip
    with db.connect() as conn:
        rows = list(conn.execute(query).all())
    return LogPage(rows[:size], page, len(rows) > size)


def _of_unit(unit: str, units: UnitRegistry) -> Any:
    """Deliveries of the campaigns the unit leads or takes part in, or to its chats as the
    registry names them."""
    found = units.find(unit)
    name = found.id if found is not None else unit
    like = f"%{name}%"
    work = select(O.c.campaign).where(or_(O.c.lead.like(like), O.c.partners.like(like)))
    condition: Any = D.c.campaign.in_(work.distinct())
    targets = [target for _, target in found.targets] if found is not None else []
    if targets:
        condition = or_(condition, D.c.target.in_(targets))
    return condition


@dataclass(frozen=True)
class CampaignView:
    row: Any
    first: dt.datetime | None
    last: dt.datetime | None
    leads: list[str]
    partners: list[str]
    occurrences: list[Any]
    messages: list[Any]
    counts: dict[str, int]


def campaign(
    db: Engine, campaign_id: str, now: dt.datetime, units: UnitRegistry = NO_UNITS
) -> CampaignView | None:
    with db.connect() as conn:
        row = conn.execute(
            select(V).where(and_(V.c.campaign == campaign_id, V.c.digest != REMOVED))
        ).first()
        if row is None:
            return None
        occurrences = list(
            conn.execute(
                select(O.c.key, O.c.kind, O.c.title, O.c.start, O.c.end, O.c.all_day, O.c.lead,
                       O.c.partners, O.c.location, O.c.status)
                .where(O.c.campaign == campaign_id).order_by(O.c.start, O.c.key)
            ).all()
        )  # fmt: skip
        messages = list(
            conn.execute(
                select(D.c.key, D.c.item, D.c.channel, D.c.target, D.c.due, D.c.state)
                .where(and_(D.c.campaign == campaign_id, D.c.due >= now - dt.timedelta(days=1)))
                .order_by(D.c.due, D.c.key).limit(MESSAGE_PLAN)
            ).all()
        )  # fmt: skip
        counts = {
            state: n
            for state, n in conn.execute(
                select(D.c.state, func.count())
                .where(D.c.campaign == campaign_id)
                .group_by(D.c.state)
            ).all()
        }
    leads = {u for o in occurrences for u in split_names(o.lead)}
    partners = {u for o in occurrences for u in split_names(o.partners.split("\n"))} - leads
    first = min((o.start for o in occurrences), default=None)
    # an all-day item's end is the midnight after its last day, as in iCalendar
    last = max(
        (o.end - dt.timedelta(days=1) if o.all_day and o.end else o.end or o.start
         for o in occurrences),
        default=None,
    )  # fmt: skip
    return CampaignView(
        row, first, last, by_name(units.name(u) for u in leads),
        by_name(units.name(u) for u in partners), occurrences, messages, counts,
    )  # fmt: skip


def by_name(names: Iterable[str]) -> list[str]:
    """Names in Vietnamese order, each once."""
    return sorted(set(names), key=sort_key)


def campaigns(db: Engine) -> list[Any]:
    """The running campaigns, by their titles in Vietnamese order."""
    with db.connect() as conn:
        rows = conn.execute(select(V).where(V.c.digest != REMOVED)).all()
    return sorted(rows, key=lambda r: sort_key(r.title))


def unit_names(
    db: Engine, units: UnitRegistry, hidden: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """(id as stored, name shown) of every unit with work in the store, in Vietnamese order."""
    query = select(O.c.lead, O.c.partners).distinct()
    if hidden:
        query = query.where(O.c.campaign.not_in(sorted(hidden)))
    with db.connect() as conn:
        rows = conn.execute(query).all()
    found = {u for r in rows for u in (*split_names(r.lead), *split_names(r.partners.split("\n")))}
    return sorted(((u, units.name(u)) for u in found), key=lambda pair: sort_key(pair[1]))


def next_due(db: Engine, limit: int = 10) -> list[Any]:
    waiting = [State.PENDING, State.RETRYING]
    with db.connect() as conn:
        return list(
            conn.execute(
                select(D.c.key, D.c.campaign, D.c.channel, D.c.target, D.c.next_attempt_at, D.c.state)
                .where(D.c.state.in_(waiting))
                .order_by(D.c.next_attempt_at).limit(limit)
            ).all()
        )  # fmt: skip
