"""Reading a chat command: ``/Upcoming@LoaBot 5`` → name "upcoming", arguments ["5"]."""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMAND = re.compile(r"^\s*/(?P<name>[^\s@/]+)(?:@(?P<bot>\S*))?(?:\s+(?P<rest>.*))?$", re.S)


@dataclass(frozen=True)
class Command:
    name: str  # lower-cased, without the slash
    args: tuple[str, ...]
    addressed_to: str = ""  # the bot named after "@", if any

    @property
    def arguments(self) -> str:
        return " ".join(self.args)


def parse_command(text: str) -> Command | None:
    """The command in a message, or None when the message is not a command at all."""
    match = _COMMAND.match(text or "")
    if match is None:
        return None
    rest = match.group("rest") or ""
    return Command(
        name=match.group("name").casefold(),
        args=tuple(rest.split()),
        addressed_to=(match.group("bot") or "").casefold(),
    )


def for_other_bot(command: Command, username: str) -> bool:
    """``/help@otherbot`` in a group is meant for another bot: loa stays quiet."""
    return bool(command.addressed_to) and command.addressed_to != username.casefold().lstrip("@")
