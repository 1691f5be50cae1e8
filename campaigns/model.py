"""A validated campaign: what the loader hands to expansion. Frozen values, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from campaigns.timeexpr import Spec, When
from campaigns.triggers import Trigger
from campaigns.units import UnitRegistry, split_names
from campaigns.workdays import IfDayOff, WorkCalendar

UNITS = "units"  # the channel spec that reaches an item's units: units, units:lead, units:partners


@dataclass(frozen=True)
class Years:
    """The years a campaign is active: a range (``last`` None is open-ended) or a set."""

    first: int | None = None
    last: int | None = None
    only: frozenset[int] | None = None

    def __contains__(self, year: object) -> bool:
        if not isinstance(year, int):
            return False
        if self.only is not None:
            return year in self.only
        return (self.first is None or year >= self.first) and (
            self.last is None or year <= self.last
        )


@dataclass(frozen=True)
class YearTimes:
    """Times that replace an item's own in some years: the 2024 plan ran the action month
    from 05/6, later ones from late May. ``times`` maps "start", "end", "at" or "due" to a date."""

    years: Years
    times: Mapping[str, Spec]


def time_in(by_year: tuple[YearTimes, ...], key: str, occurrence: str) -> Spec | None:
    """The time that replaces ``key`` for a yearly occurrence ("2024"), if any."""
    if not occurrence.isdigit():
        return None
    year = int(occurrence)
    return next((o.times[key] for o in by_year if key in o.times and year in o.years), None)


@dataclass(frozen=True)
class Activity:
    id: str
    title: str
    start: Spec
    end: Spec | None = None
    location: str = ""
    lead: str = ""
    partners: tuple[str, ...] = ()
    description: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()
    if_day_off: IfDayOff | None = None  # None: a one-day activity moves after, a period keeps
    by_year: tuple[YearTimes, ...] = ()


@dataclass(frozen=True)
class Message:
    id: str
    at: When
    text: str
    channels: tuple[str, ...] = ()  # empty: the config's default channels
    activity: str | None = None  # the activity whose details the template may use
    image: str = ""
    deadline: str | None = None  # the deadline it is timed from, for {{ deadline.* }}
    if_day_off: IfDayOff = "keep"
    by_year: tuple[YearTimes, ...] = ()
    approval: bool | None = None  # None: the campaign's, then the channel's


@dataclass(frozen=True)
class Deadline:
    id: str
    title: str
    due: When
    remind: tuple[int, ...] = ()  # days before the due date
    remind_time: dt.time | None = None
    text: str = ""
    channels: tuple[str, ...] = ()
    lead: str = ""
    partners: tuple[str, ...] = ()
    description: str = ""
    # the units that owe it (ids with a registry): "units = [...]", else the lead and partners
    units: tuple[str, ...] = ()

    @property
    def leads(self) -> tuple[str, ...]:
        return split_names(self.lead)

    if_day_off: IfDayOff = "before"
    before: bool = False  # due before the stated date: the last day is the (working) day before
    by_year: tuple[YearTimes, ...] = ()


@dataclass(frozen=True)
class Campaign:
    id: str
    title: str
    timezone: str
    source: Path
    description: str = ""
    tags: tuple[str, ...] = ()
    years: Years = field(default_factory=Years)
    send_time: dt.time = dt.time(8, 0)
    grace: dt.timedelta = dt.timedelta(hours=1)
    approval: bool | None = None  # its messages wait for an approver; None: the channel says
    variables: Mapping[str, str] = field(default_factory=dict)
    variables_by_year: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    activities: tuple[Activity, ...] = ()
    messages: tuple[Message, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    triggers: tuple[Trigger, ...] = ()  # sequences an event starts (campaigns.triggers)
    digest: str = ""  # of the file's bytes: a changed file is a new campaign version
    extends: str = ""  # the library campaign this file adapts (same id) or builds on
    # (kind, item id, key) -> the file and line that wrote it (an adapting file's items may
    # come from the library), so a refusal found later by expansion still says file:line;
    # not part of what the campaign means
    lines: Mapping[tuple[str, str, str], tuple[str, int]] = field(
        default_factory=dict, compare=False
    )
    file: str = field(default="", compare=False)  # the file as problems name it

    def where(self, kind: str, item: str, key: str) -> tuple[str, int]:
        found = self.lines.get((kind, item, key)) or self.lines.get((kind, item, ""))
        return found or (self.file or str(self.source), 0)

    def variables_for(self, year: int) -> dict[str, str]:
        merged = dict(self.variables)
        merged.update(self.variables_by_year.get(year, {}))
        return merged


@dataclass(frozen=True)
class ChannelCatalog:
    """What the config offers campaigns: channel names, their target aliases, the defaults,
    the platform chat each alias names (so one chat named twice gets a message once), and the
    office's working calendar (dates move off its days off).

    Built by the scheduler from config.toml and handed in, so this package never reads config.
    """

    targets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: tuple[str, ...] = ()
    addresses: Mapping[tuple[str, str], str] = field(default_factory=dict)
    units: UnitRegistry = field(default_factory=UnitRegistry)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)  # which days the office works
    # channels that send to a chat (Telegram, Zalo): the channel alone names nobody, so a
    # message to it needs one of its targets; console and file channels are their own target
    needs_target: frozenset[str] = frozenset()
    # channels whose messages wait for an approver unless a file says ``approval = false``
    # (config.toml ``[channels.NAME] approval = true``: every Zalo OA broadcast, say)
    approval: frozenset[str] = frozenset()

    def needs_approval(self, channel: str, stated: bool | None) -> bool:
        """Whether a message to ``channel`` waits for an approver: what its file says
        (message, trigger, campaign, the first that says), else the channel's default."""
        return channel in self.approval if stated is None else stated

    def names_no_chat(self, channel: str) -> bool:
        """True when the channel alone (``"telegram"``) names no chat: it needs a target and
        has none declared, so a message to it could never be sent."""
        return channel in self.needs_target and not self.targets.get(channel)

    def resolve(
        self,
        specs: tuple[str, ...],
        lead: tuple[str, ...] = (),
        partners: tuple[str, ...] = (),
    ) -> tuple[tuple[str, str], ...]:
        """``("telegram", "zalo:group")`` to (channel, target) pairs; "" is the channel itself.
        ``units`` is the chats of the item's ``lead`` and ``partners`` units (``units:lead``,
        ``units:partners`` one side only)."""
        out: list[tuple[str, str]] = []
        for spec in specs or self.defaults:
            name, _, alias = spec.partition(":")
            if name == UNITS:
                side = {"lead": lead, "partners": partners}.get(alias, (*lead, *partners))
                out.extend(self.units.targets(side))
            elif alias:
                out.append((name, alias))
            else:
                out.extend((name, target) for target in self.targets.get(name, ()) or ("",))
        return tuple(dict.fromkeys(out))
