"""``loa approve`` and ``loa reject``: decide on what waits for approval, from the server.

The command runs as an operating-system user, who is nobody in loa's sense: ``--as NAME`` names
the loa user (``loa user add``) deciding, whose role must allow it and whom the two-person rule
weighs (whoever last edited a campaign does not approve it). The OS user is kept in the audit
as where the decision came from. The decision itself is ``scheduler.approval.decide``, the same
for the page and the chat.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from campaigns.i18n import t
from scheduler import approval, users
from scheduler.engine.dispatch import utcnow

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help=t("opt_config"), show_default=True)
]
KeyArgument = Annotated[str | None, typer.Argument(help=t("arg_approval_key"))]
CampaignOption = Annotated[str | None, typer.Option("--campaign", help=t("opt_approval_campaign"))]
DateOption = Annotated[str | None, typer.Option("--date", help=t("opt_approval_date"))]
AsOption = Annotated[str, typer.Option("--as", help=t("opt_approval_as"))]


def _decide(
    key: str | None,
    campaign: str | None,
    date: str | None,
    name: str,
    approve: bool,
    reason: str,
    config: Path,
) -> None:
    from scheduler.cli.commands import (
        UserError,
        _config,
        _nudge,
        _open_store,
        _parse_day,
        out,
        refresh_store,
    )

    if (key is None) == (campaign is None) or (date is not None and campaign is None):
        raise UserError(t("approve_usage"))
    cfg = _config(config)
    db = _open_store(cfg)
    refresh_store(cfg, db)  # without a daemon, what waits is stored before it is decided
    now = utcnow()
    if campaign is not None:
        day = _parse_day(date, now.astimezone(cfg.tz).date())
        selection = approval.Selection(campaign=campaign, day=day)
    else:
        selection = approval.Selection(key=key or "")
    found = users.account(db, name) if name else None
    who = approval.Decider(
        found.name if found else users.normal_name(name), found.role if found else "", "cli",
        f"os:{getpass.getuser()}",
    )  # fmt: skip
    decision = approval.decide(
        db, who, selection, approve, reason, now, cfg.tz, cfg.data.approval.self_approval
    )
    if not decision.ok:
        raise UserError(decision.refusal)
    _nudge(cfg)
    out.print(decision.sentence(approve), soft_wrap=True, markup=False)


def approve_command(
    key: KeyArgument = None,
    campaign: CampaignOption = None,
    date: DateOption = None,
    name: AsOption = "",
    config: ConfigOption = Path("config.toml"),
) -> None:
    _decide(key, campaign, date, name, True, "", config)


def reject_command(
    key: KeyArgument = None,
    campaign: CampaignOption = None,
    date: DateOption = None,
    name: AsOption = "",
    reason: Annotated[str, typer.Option("--reason", help=t("opt_reject_reason"))] = "",
    config: ConfigOption = Path("config.toml"),
) -> None:
    _decide(key, campaign, date, name, False, reason, config)


def register(app: typer.Typer) -> None:
    app.command("approve", help=t("cmd_approve"))(approve_command)
    app.command("reject", help=t("cmd_reject"))(reject_command)
