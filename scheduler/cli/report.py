"""``loa report``: who has submitted a report, marking it submitted, and ad hoc requests.

An ad hoc request (báo cáo đột xuất) is written as a small campaign file in the folder
config.toml's ``[reports] folder`` names (inside a campaign folder, so the daemon loads it like
any other): the files stay the one source of truth for what is owed, and the request can be
read, edited or deleted like any campaign.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from campaigns.dates import format_date
from campaigns.i18n import t
from campaigns.loader import parse_document
from campaigns.timeexpr import ID_PATTERN
from scheduler import reports
from scheduler.config import Config
from scheduler.engine.dispatch import utcnow

report_app = typer.Typer(help=t("cmd_report"), no_args_is_help=True)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help=t("opt_config"), show_default=True)
]


@contextlib.contextmanager
def _store(config: Path) -> Iterator[tuple[Config, Engine]]:
    """The config and the store brought up to date; a report error ends the command with its
    message, like every error a user can fix."""
    from scheduler.cli.commands import UserError, _config, _open_store, refresh_store

    cfg = _config(config)
    db = _open_store(cfg)
    refresh_store(cfg, db)
    try:
        yield cfg, db
    except reports.ReportError as exc:
        raise UserError(exc.text()) from None


@report_app.command("status", help=t("cmd_report_status"))
def status_command(
    ref: Annotated[str, typer.Argument(help=t("arg_report_ref"))],
    fmt: Annotated[str, typer.Option("--format", help=t("opt_format"))] = "table",
    config: ConfigOption = Path("config.toml"),
) -> None:
    from scheduler.cli.commands import FORMATS, _check_choice, out

    _check_choice("--format", fmt, FORMATS)
    with _store(config) as (cfg, db):
        row, lines = reports.status(db, ref, utcnow())
    registry = cfg.units()
    if fmt == "json":
        found = [
            {"unit": line.unit, "name": registry.label(line.unit), "state": line.state,
             "submitted_at": line.at.isoformat() if line.at else None, "by": line.by,
             "note": line.note}
            for line in lines
        ]  # fmt: skip
        out.print_json(json.dumps(found, ensure_ascii=False))
        return
    due = format_date(row.due.astimezone(cfg.tz))
    out.print(
        t("report_status_title", title=row.title, due=due),
        style="bold",
        markup=False,
        soft_wrap=True,
    )
    for text in reports.table(lines, registry, cfg.tz):
        out.print(text, markup=False, soft_wrap=True)


@report_app.command("submit", help=t("cmd_report_submit"))
def submit_command(
    ref: Annotated[str, typer.Argument(help=t("arg_report_ref"))],
    unit: Annotated[str, typer.Option("--unit", help=t("opt_report_unit"))],
    note: Annotated[str, typer.Option("--note", help=t("opt_report_note"))] = "",
    config: ConfigOption = Path("config.toml"),
) -> None:
    from scheduler.cli.commands import _nudge, out

    with _store(config) as (cfg, db):
        registry = cfg.units()
        unit_id = reports.resolve_unit(registry, unit)
        by = f"cli:{getpass.getuser()}"
        done = reports.submit(db, ref, [unit_id], by, note, utcnow(), registry)
    _nudge(cfg)
    due = format_date(done.due.astimezone(cfg.tz))
    text = t("report_recorded", unit=done.unit, title=done.title, due=due, count=done.cancelled)
    out.print(text, markup=False, soft_wrap=True)


@report_app.command("request", help=t("cmd_report_request"))
def request_command(
    title: Annotated[str, typer.Argument(help=t("arg_request_title"))],
    due: Annotated[str, typer.Option("--due", help=t("opt_request_due"))],
    units: Annotated[str, typer.Option("--units", help=t("opt_request_units"))],
    id_: Annotated[str | None, typer.Option("--id", help=t("opt_request_id"))] = None,
    remind: Annotated[str, typer.Option("--remind", help=t("opt_request_remind"))] = "7,3,1",
    config: ConfigOption = Path("config.toml"),
) -> None:
    from scheduler.cli.commands import (
        UserError,
        _config,
        _open_store,
        _print_problems,
        out,
        refresh_store,
    )

    cfg = _config(config)
    registry = cfg.units()
    names = [u.strip() for u in units.split(",") if u.strip()]
    if not names:
        raise UserError(t("report_request_no_units"))
    try:
        owed = [reports.resolve_unit(registry, name) for name in names]
    except reports.ReportError as exc:
        raise UserError(exc.text()) from None
    request_id = id_ or _request_id(due)
    if not ID_PATTERN.match(request_id):
        raise UserError(f"{t('bad_id', value=request_id)} ({t('bad_id_hint')})")
    folder = cfg.reports_folder
    path = folder / f"{request_id}.toml"
    if path.exists():
        raise UserError(t("report_request_exists", path=path))
    days = [d.strip() for d in remind.split(",") if d.strip()]
    text = _request_file(request_id, title, due, owed, days, bool(registry))
    campaign, problems = parse_document(
        text.encode("utf-8"), path, cfg.catalog(), cfg.timezone, str(path)
    )
    if campaign is None:
        _print_problems(problems)
        raise typer.Exit(1)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)  # a running daemon never reads half a file
    refresh_store(cfg, _open_store(cfg))
    shown = ", ".join(registry.label(u) for u in owed)
    out.print(
        t("report_request_written", id=request_id, path=path, units=shown),
        markup=False,
        soft_wrap=True,
    )


def _request_id(due: str) -> str:
    digits = re.sub(r"\D", "", due) or dt.date.today().strftime("%d%m%Y")
    return f"bao-cao-dot-xuat-{digits}"


def _request_file(
    request_id: str, title: str, due: str, units: list[str], remind: list[str], reach: bool
) -> str:
    """The campaign file of an ad hoc request; JSON strings are TOML basic strings."""
    lines = [
        f"id = {json.dumps(request_id)}",
        f"title = {json.dumps(t('report_request_campaign', title=title), ensure_ascii=False)}",
        "",
        "[[deadline]]",
        f'id = "{request_id}"',
        f"title = {json.dumps(title, ensure_ascii=False)}",
        f"due = {json.dumps(due, ensure_ascii=False)}",
        f"units = {json.dumps(units, ensure_ascii=False)}",
        f"remind = [{', '.join(json.dumps(d) if not d.isdigit() else d for d in remind)}]",
    ]
    if reach:
        lines.append('channels = ["units"]')
    return "\n".join(lines) + "\n"
