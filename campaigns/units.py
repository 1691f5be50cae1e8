"""Units (đơn vị): who leads, who takes part, who owes a report, and where each is reached.

A registry (``[units.<id>]`` in config.toml, built by the scheduler and handed in with the
channel catalogue, so this package never reads config) gives every unit one id, its full and
short names, the aliases plans write it by, and its chats. Campaign files then name a unit by
any of these; matching ignores case, diacritics and spacing, because plans spell "Sở Tài
nguyên và Môi trường" as "Sở TN&MT", "sở tài nguyên và môi trường" or "STNMT". A name matches
a unit whole or not at all: "Ủy ban MTTQ Việt Nam tỉnh" and "Ủy ban MTTQ Việt Nam tỉnh và các
tổ chức chính trị - xã hội tỉnh" are two units.

Without a registry, units stay free text, as plans write them.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

SEPARATOR = ";"  # "Sở A; Sở B" names two units
UNIT_PREFIX = "unit:"  # the outbox target of a unit's chat given by its platform id


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    short: str = ""
    aliases: tuple[str, ...] = ()
    # (channel, target): a configured alias, or "unit:<id>:<chat id>" for a chat given by its id
    targets: tuple[tuple[str, str], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.id, self.name, self.short, *self.aliases) if n)

    @property
    def label(self) -> str:
        """How lists and tables show the unit: its short name, else its full name."""
        return self.short or self.name or self.id


def fold(text: str) -> str:
    """A name as compared: no case, no diacritics (đ is d), single spaces."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(unicodedata.normalize("NFC", bare).casefold().split())


def split_names(value: str | Iterable[str]) -> tuple[str, ...]:
    """Unit names as written: a string may join several with ";", a list gives one each."""
    items = [value] if isinstance(value, str) else list(value)
    parts = (part.strip() for item in items for part in item.split(SEPARATOR))
    return tuple(dict.fromkeys(p for p in parts if p))


def unit_target(unit_id: str, chat: str) -> str:
    """The outbox target of a unit's chat given by its platform id (not a configured alias)."""
    return f"{UNIT_PREFIX}{unit_id}:{chat}"


@dataclass(frozen=True)
class UnitRegistry:
    units: Mapping[str, Unit] = field(default_factory=dict)
    # (channel, target) → platform chat id, as config.toml's targets and the units' chats give
    addresses: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.units)

    def _index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for unit in self.units.values():
            for name in unit.names:
                index.setdefault(fold(name), unit.id)
        return index

    def find(self, name: str) -> Unit | None:
        unit_id = self._index().get(fold(name))
        return self.units[unit_id] if unit_id is not None else None

    def closest(self, name: str) -> str | None:
        """The name of a unit that looks most like ``name``, as the registry writes it."""
        written = {fold(n): n for unit in self.units.values() for n in unit.names}
        found = difflib.get_close_matches(fold(name), list(written), n=1, cutoff=0.5)
        return written[found[0]] if found else None

    def label(self, unit_id: str) -> str:
        unit = self.units.get(unit_id)
        return unit.label if unit is not None else unit_id

    def name(self, unit_id: str) -> str:
        """How calendars name the unit: its full name (a free-text unit is its own name)."""
        unit = self.units.get(unit_id)
        return (unit.name or unit.id) if unit is not None else unit_id

    def names_of(self, written: str) -> str:
        """Units as an event stores them (ids joined by ";") by their full names; free text,
        with no registry, as written."""
        if not self.units:
            return written
        return "; ".join(self.name(u) for u in split_names(written))

    def targets(self, unit_ids: Iterable[str]) -> tuple[tuple[str, str], ...]:
        """Every chat of the units, each once, in the order the units are named."""
        found = (tg for u in unit_ids if u in self.units for tg in self.units[u].targets)
        return tuple(dict.fromkeys(found))

    def address(self, channel: str, target: str) -> tuple[str, str]:
        """The chat a target names, whichever way it is named (an alias, a unit's chat, a
        subscriber's ``chat:<id>``), so one chat is recognised under all its names."""
        if target.startswith("chat:"):
            return channel, target[len("chat:") :]
        return channel, self.addresses.get((channel, target), target)

    def chats(self, unit_ids: Iterable[str]) -> set[tuple[str, str]]:
        return {self.address(ch, tg) for ch, tg in self.targets(unit_ids)}

    def units_of_chat(self, channel: str, chat: str) -> list[str]:
        """The units a platform chat belongs to (a /nop from there speaks for them)."""
        return [u for u in self.units if (channel, chat) in self.chats([u])]

    def digest_parts(self) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
        """What expansion and the stored feed events depend on (a unit's chats and its full
        name), for the campaigns' version digest: a renamed unit re-renders its events."""
        return sorted((u.id, u.name, u.targets) for u in self.units.values())


NO_UNITS = UnitRegistry()  # free text only: units are shown as written
