"""``loa user``: the people who sign in to loa's pages, and their roles.

The first admin is made here, on the machine that runs loa: the pages have no sign-up, so a
person exists only when someone with access to the server (or an admin) has added them. The
password is asked twice in a terminal and read from standard input otherwise, so a script can
pipe it in; it is never an argument (argument lists are visible to every user of the machine).
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from campaigns.dates import format_compact
from campaigns.i18n import named, t
from scheduler import audit, users
from scheduler.engine.dispatch import utcnow

user_app = typer.Typer(help=t("cmd_user"), no_args_is_help=True)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help=t("opt_config"), show_default=True)
]
NameArgument = Annotated[str, typer.Argument(help=t("arg_user_name"))]


def _password(name: str) -> str:
    """Twice with no echo in a terminal; the first line of standard input otherwise."""
    if sys.stdin.isatty():
        first = getpass.getpass(t("user_password_prompt", name=name))
        if first and getpass.getpass(t("user_password_again")) != first:
            raise users.UserProblem("user_password_mismatch")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _run(config: Path, command: str, arguments: str, change: Callable[[Engine], str]) -> None:
    """Open the store, make the change, audit it; a refusal ends with its message and code 1."""
    from scheduler.cli.commands import UserError, _audit_cli, _config, _open_store, out

    db = _open_store(_config(config))
    try:
        message = change(db)
    except users.UserProblem as exc:
        _audit_cli(db, command, arguments, audit.ERROR, exc.code)
        raise UserError(exc.text()) from None
    _audit_cli(db, command, arguments, audit.OK, "")
    out.print(message)


@user_app.command("add", help=t("cmd_user_add"))
def add_command(
    name: NameArgument,
    role: Annotated[str, typer.Option("--role", help=t("opt_user_role"))] = "viewer",
    config: ConfigOption = Path("config.toml"),
) -> None:
    def add(db: Engine) -> str:
        users.check_role(role)  # refused before the password is asked
        users.check_name(name)
        account = users.add(db, name, role, _password(name), utcnow())
        return t("user_added", name=account.name, role=named("role", account.role))

    _run(config, "user add", f"{name} --role {role}", add)


@user_app.command("remove", help=t("cmd_user_remove"))
def remove_command(name: NameArgument, config: ConfigOption = Path("config.toml")) -> None:
    def remove(db: Engine) -> str:
        users.remove(db, name)
        return t("user_removed", name=users.normal_name(name))

    _run(config, "user remove", name, remove)


@user_app.command("passwd", help=t("cmd_user_passwd"))
def passwd_command(name: NameArgument, config: ConfigOption = Path("config.toml")) -> None:
    def passwd(db: Engine) -> str:
        users.set_password(db, name, _password(name), utcnow())
        return t("user_password_set", name=users.normal_name(name))

    _run(config, "user passwd", name, passwd)


@user_app.command("list", help=t("cmd_user_list"))
def list_command(
    fmt: Annotated[str, typer.Option("--format", help=t("opt_format"))] = "table",
    config: ConfigOption = Path("config.toml"),
) -> None:
    from scheduler.cli.commands import FORMATS, _check_choice, _config, _open_store, out

    _check_choice("--format", fmt, FORMATS)
    cfg = _config(config)
    rows = users.listing(_open_store(cfg))
    if fmt == "json":
        items = [{"name": r.name, "role": r.role, "since": r.created_at.isoformat()} for r in rows]
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        out.print(t("user_none"))
        return
    table = Table()
    for code in ("col_user", "col_role", "col_since"):
        table.add_column(t(code))
    for r in rows:
        table.add_row(
            r.name, named("role", r.role), format_compact(r.created_at.astimezone(cfg.tz))
        )
    out.print(table)
