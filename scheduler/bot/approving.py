"""The approval commands in chat: ``/approvals`` (what waits), ``/approve KEY`` and
``/reject KEY lý do``, for a chat user linked to a loa user (``[approval] chat_users``).

Who approves in chat is the same person, with the same role, as on the page: config.toml links
the platform's user id to a loa user, and that user's role in the store decides (a role taken
away there is taken away in chat at once). Anyone else is refused, and the refusal audited. The
decision is ``scheduler.approval.decide``, shared with the page and the CLI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from campaigns.dates import format_compact
from campaigns.i18n import t
from scheduler import approval, audit, users
from scheduler.bot.parse import Command

COMMANDS = ("approvals", "approve", "reject")
NOT_LINKED = "not a linked approver"  # the audit's detail for a chat user not in chat_users
SHOWN = 10  # deliveries /approvals lists; the page lists them all
SHOWN_TEXT = 120  # characters of each text


def linked(links: Mapping[str, str], channel: str, user: str) -> str:
    """The loa user a chat user is (``[approval] chat_users``), or ""."""
    return links.get(f"{channel}:{user}", "")


def answer(
    db: Engine,
    command: Command,
    channel: str,
    user: str,
    links: Mapping[str, str],
    now: dt.datetime,
    tz: ZoneInfo,
    self_approval: bool,
    lang: str,
) -> tuple[list[str], bool]:
    """The reply's lines, and whether the outbox changed (the engine should look again)."""
    name = linked(links, channel, user)
    found = users.account(db, name) if name else None
    if found is None or not found.may("approver"):
        detail = NOT_LINKED if found is None else f"{found.name}: {found.role}"
        audit.write(db, now, channel, user, name, command.name, command.arguments,
                    audit.REFUSED, detail)  # fmt: skip
        return [t("bot_approval_refused", lang, user=user)], False
    if command.name == "approvals":
        return _waiting(db, tz, lang), False
    if not command.args:
        return [t("bot_approve_usage", lang)], False
    who = approval.Decider(found.name, found.role, channel, user)
    approve = command.name == "approve"
    reason = " ".join(command.args[1:])
    selection = approval.Selection(key=command.args[0])
    decision = approval.decide(db, who, selection, approve, reason, now, tz, self_approval, lang)
    return [decision.sentence(approve, lang)], decision.ok


def _waiting(db: Engine, tz: ZoneInfo, lang: str) -> list[str]:
    rows = approval.waiting(db, limit=SHOWN + 1)
    if not rows:
        return [t("bot_approvals_none", lang)]
    lines = [t("bot_approvals_title", lang)]
    for row in rows[:SHOWN]:
        target = f"{row.channel}:{row.target}" if row.target else row.channel
        text = " ".join(row.text.split())
        text = text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"
        when = format_compact(row.due.astimezone(tz), lang)
        lines.append(f"• {row.key} ({when} → {target}): {text}")
    if len(rows) > SHOWN:
        lines.append(t("bot_approvals_more", lang))
    lines.append(t("bot_approvals_hint", lang))
    return lines
