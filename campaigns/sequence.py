"""One event turned into the messages its triggers send: keys, times, texts and targets.

The same event gives the same keys, so a second delivery of it starts nothing new and a later
one with new data or a new time updates by key (``scheduler.events`` stores the result). Pure,
like the rest of ``campaigns``: the data is checked against the declared fields here, with the
field at fault named for whoever sent it.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from campaigns import templates
from campaigns.dates import format_date, format_datetime
from campaigns.errors import ExpressionError
from campaigns.expand import Dispatch, delivery_key, first_stated
from campaigns.i18n import t
from campaigns.model import Campaign, ChannelCatalog
from campaigns.triggers import MARK, MAX_VALUE, UNITS_FROM, Trigger
from campaigns.units import split_names


@dataclass(frozen=True)
class Event:
    """One event as the scheduler hands it in: its type, id, time and data."""

    type: str
    id: str
    at: dt.datetime  # aware
    data: Mapping[str, str]


def event_view(event: Event, tz: dt.tzinfo) -> templates.EventView:
    local = event.at.astimezone(tz)
    return templates.EventView(
        id=event.id,
        type=event.type,
        at=format_datetime(local),
        date=format_date(local.date()),
        time=f"{local:%H:%M}",
        data=dict(event.data),
    )


def sample_event(trigger: Trigger) -> templates.EventView:
    """An event of the trigger's shape, for checking its templates."""
    at = dt.datetime(2025, 6, 5, 8, 0, tzinfo=dt.UTC)
    return event_view(Event(trigger.event, "vi-du", at, {f: "" for f in trigger.fields}), dt.UTC)


@dataclass(frozen=True)
class DataProblem:
    """What is wrong with one field of an event's data (``field`` "" when no field is)."""

    field: str
    code: str
    params: Mapping[str, str]

    def sentence(self, lang: str | None = None) -> str:
        return t(self.code, lang, field=self.field, **self.params).strip()


def declared_fields(triggers: Iterable[Trigger]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f for trigger in triggers for f in trigger.fields))


def clean_data(
    triggers: Iterable[Trigger], data: Mapping[str, object], catalog: ChannelCatalog
) -> tuple[dict[str, str], DataProblem | None]:
    """The event's data as texts, or the first problem: a field no trigger of its type declares,
    a declared field missing, a value that is not a short text, a unit nobody knows."""
    triggers = list(triggers)
    declared = declared_fields(triggers)
    known = ", ".join(declared) or "—"
    cleaned: dict[str, str] = {}
    for name, value in data.items():
        if name not in declared:
            return {}, DataProblem(name, "event_field_unknown", {"names": known})
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return {}, DataProblem(name, "event_field_not_text", {})
        text = str(value).strip()
        if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
            return {}, DataProblem(name, "event_field_not_text", {})  # a NUL: no database keeps it
        if len(text) > MAX_VALUE:
            return {}, DataProblem(name, "event_field_too_long", {"limit": str(MAX_VALUE)})
        cleaned[name] = text
    for name in declared:
        if not cleaned.get(name):
            return {}, DataProblem(name, "event_field_missing", {"names": known})
    registry = catalog.units
    for name in sorted({f for trigger in triggers for f in trigger.unit_fields}):
        for unit in split_names(cleaned[name]):
            if registry.find(unit) is None:
                close = registry.closest(unit)
                hint = f"({t('did_you_mean', suggestion=close)})" if close else ""
                return {}, DataProblem(name, "event_field_unit", {"value": unit, "hint": hint})
    return cleaned, None


def message_key(campaign: str, trigger: str, message: str, event_id: str) -> str:
    return f"{campaign}:{trigger}.{message}{MARK}{event_id}"


def occurrence_key(campaign: str, trigger: str, event_id: str) -> str:
    return f"{campaign}:{trigger}{MARK}{event_id}"


@dataclass(frozen=True)
class Started:
    """What one trigger makes of one event: its dispatches, and the event as a feed item."""

    campaign: str
    trigger: str
    key: str  # of the event's occurrence in feeds and plans
    title: str
    description: str
    dispatches: tuple[Dispatch, ...]


def start(campaign: Campaign, trigger: Trigger, event: Event, catalog: ChannelCatalog) -> Started:
    """The sequence ``trigger`` of ``campaign`` sends for ``event`` (data already cleaned)."""
    tz = ZoneInfo(campaign.timezone)
    view = event_view(event, tz)
    base: dict[str, Any] = {"campaign": templates.CampaignView(campaign.id, campaign.title,
                                                               campaign.description)}  # fmt: skip
    dispatches: list[Dispatch] = []
    for message in trigger.messages:
        due = message.at.resolve(event.at, tz, catalog.calendar)
        local = due.astimezone(tz)
        context: dict[str, Any] = dict(campaign.variables_for(local.year))
        context.update(base, event=view, date=format_date(local.date()),
                       date_en=format_date(local.date(), "en"), time=f"{local:%H:%M}",
                       year=local.year)  # fmt: skip
        text, error = _render(message.text, context)
        key = message_key(campaign.id, trigger.id, message.id, event.id)
        for channel, target in _targets(message.channels, event.data, catalog):
            dispatches.append(
                Dispatch(
                    key=delivery_key(key, channel, target),
                    message_key=key,
                    campaign=campaign.id,
                    item=f"{trigger.id}.{message.id}",
                    occurrence=event.id,
                    channel=channel,
                    target=target,
                    due=due,
                    text=text,
                    error=error,
                    image=message.image,
                    approval=first_stated(message.approval, trigger.approval, campaign.approval),
                )
            )
    context = {**base, "event": view}  # for the title
    title = _render(trigger.title, context)[0] if trigger.title else ""
    description = "\n".join(f"{k}: {v}" for k, v in event.data.items())
    return Started(
        campaign=campaign.id,
        trigger=trigger.id,
        key=occurrence_key(campaign.id, trigger.id, event.id),
        title=title or f"{event.type}: {event.id}",
        description=f"{trigger.description}\n\n{description}".strip(),
        dispatches=tuple(dispatches),
    )


def _render(source: str, context: Mapping[str, Any]) -> tuple[str, str]:
    try:
        return templates.render(source, context), ""
    except ExpressionError as exc:
        return "", exc.message


def _targets(
    channels: tuple[str, ...], data: Mapping[str, str], catalog: ChannelCatalog
) -> tuple[tuple[str, str], ...]:
    """The targets of ``channels``; ``units:<field>`` is the chats of the units the event's
    field names (a ward, a district office), found in the registry by any of their names."""
    out: list[tuple[str, str]] = []
    plain = tuple(s for s in channels if not s.startswith(UNITS_FROM))
    if plain or not channels:
        out.extend(catalog.resolve(plain))
    for spec in channels:
        if spec.startswith(UNITS_FROM):
            names = split_names(data.get(spec.removeprefix(UNITS_FROM), ""))
            found = (catalog.units.find(name) for name in names)
            out.extend(catalog.units.targets(u.id for u in found if u is not None))
    return tuple(dict.fromkeys(out))
