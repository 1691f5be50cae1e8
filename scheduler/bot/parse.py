"""Reading a chat command: ``/Upcoming@LoaBot 5`` → name "upcoming", arguments ["5"]."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_COMMAND = re.compile(r"^\s*/(?P<name>[^\s@/]+)(?:@(?P<bot>\S*))?(?:\s+(?P<rest>.*))?$", re.S)
# invisible characters a copy and paste brings along (zero-width spaces, direction marks, a
# byte order mark), control characters and lone surrogates: none belongs in a command, and
# a surrogate cannot even be sent back (or stored) when an argument is quoted
_DROPPED = frozenset({"Cc", "Cf", "Cs"})


@dataclass(frozen=True)
class Command:
    name: str  # lower-cased, without the slash
    args: tuple[str, ...]
    addressed_to: str = ""  # the bot named after "@", if any

    @property
    def arguments(self) -> str:
        return " ".join(self.args)


def clean(text: str) -> str:
    """The text without invisible, control and unpaired surrogate characters (whitespace
    stays, to separate the arguments), composed (NFC): some phones send "ngày" as "nga" and a
    combining grave accent, which no comparison with the catalogue's words would match."""
    kept = "".join(c for c in text if c.isspace() or unicodedata.category(c) not in _DROPPED)
    return unicodedata.normalize("NFC", kept)


def parse_command(text: str) -> Command | None:
    """The command in a message, or None when the message is not a command at all."""
    match = _COMMAND.match(clean(text or ""))
    if match is None:
        return None
    rest = match.group("rest") or ""
    return Command(
        name=match.group("name").casefold(),
        args=tuple(rest.split()),
        addressed_to=(match.group("bot") or "").casefold().lstrip("@"),
    )


def for_other_bot(command: Command, username: str) -> bool:
    """``/help@otherbot`` in a group is meant for another bot: loa stays quiet."""
    return bool(command.addressed_to) and command.addressed_to != username.casefold().lstrip("@")
