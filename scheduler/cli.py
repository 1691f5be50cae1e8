"""The ``loa`` command. Every command takes ``--config PATH`` (default ./config.toml).

Errors a user can fix are printed as ``file:line: key: what (hint)`` with exit code 1; no
command shows a traceback for bad input.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from campaigns.errors import CampaignError, Problem, ValidationFailed
from campaigns.expand import expand_all
from campaigns.i18n import set_language, t
from scheduler.campaign_set import load_campaigns
from scheduler.config import Config, load_config
from scheduler.plan import kind_text, plan_rows, when_text

app = typer.Typer(
    name="loa",
    help="loa: lập lịch chiến dịch truyền thông cho cơ quan nhà nước (Zalo, Telegram, lịch iCalendar).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="config.toml to use", show_default=True)
]


class UserError(Exception):
    """An error the user can act on; printed without a traceback, exit code 1."""


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        err.print(f"[{style}]{problem}[/{style}]", soft_wrap=True, markup=True, highlight=False)


def _config(path: Path) -> Config:
    config = load_config(path)
    set_language(config.data.language)
    return config


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="folder for the new office")],
) -> None:
    """Tạo config.toml và một chiến dịch ví dụ cho một cơ quan mới."""
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "config.toml"
    example = directory / "campaigns" / "vi-du.toml"
    template_root = Path(__file__).resolve().parent
    written = []
    for source, target in (
        (template_root / "init_config.toml", config_path),
        (template_root.parent / "campaigns" / "examples" / "vi-du.toml", example),
    ):
        if target.exists():
            err.print(t("init_exists", path=target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    for target in written:
        out.print(t("init_done", path=target, dir=directory))


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders")] = None,
    config: ConfigOption = Path("config.toml"),
) -> None:
    """Kiểm tra các tệp chiến dịch và báo mọi lỗi kèm tệp, dòng và khóa."""
    cfg = _config(config)
    result = load_campaigns(cfg, paths)
    _print_problems(result.problems)
    if result.errors:
        err.print(t("validate_failed", count=len(result.errors)))
        raise typer.Exit(1)
    out.print(t("validate_ok", campaigns=len(result.campaigns), files=len(result.files)))


def _parse_day(value: str | None, default: dt.date) -> dt.date:
    if value is None:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(t("bad_cli_date", value=value)) from None


@app.command()
def plan(
    from_: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    to: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help="only this campaign")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    config: ConfigOption = Path("config.toml"),
) -> None:
    """Xem kế hoạch: hoạt động, tin nhắn và hạn chót trong khoảng ngày (mặc định 4 tuần tới)."""
    if fmt not in ("table", "json"):
        raise UserError("--format: table | json")
    cfg = _config(config)
    tz = cfg.tz
    today = dt.datetime.now(tz).date()
    first = _parse_day(from_, today)
    last = _parse_day(to, first + dt.timedelta(days=27))
    if last < first:
        raise UserError(t("range_reversed"))
    result = load_campaigns(cfg)
    _print_problems(result.problems)
    if result.errors:
        err.print(t("validate_failed", count=len(result.errors)))
        raise typer.Exit(1)
    campaigns = result.campaigns
    if campaign is not None:
        campaigns = [c for c in campaigns if c.id == campaign]
        if not campaigns:
            raise UserError(t("unknown_campaign", value=campaign))
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    rows = plan_rows(expand_all(campaigns, start, end, cfg.catalog()), campaigns)
    if fmt == "json":
        sys.stdout.write(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
        return
    if not rows:
        out.print(t("plan_empty"))
        return
    table = Table(title=t("plan_title", start=first.strftime("%d/%m/%Y"), end=last.strftime("%d/%m/%Y")))
    table.add_column(t("col_when"), no_wrap=True)
    table.add_column(t("col_kind"))
    table.add_column(t("col_campaign"))
    table.add_column(t("col_title"))
    table.add_column(t("col_channels"))
    styles = {"activity": "bold", "deadline": "bold red", "message": ""}
    for row in rows:
        table.add_row(
            when_text(row),
            kind_text(row.kind),
            row.campaign,
            row.title if not row.error else f"[red]{row.error}[/red]",
            ", ".join(row.channels),
            style=styles[row.kind],
        )
    out.print(table)


def main() -> None:
    """Entry point: run the app; bad input ends with a message and exit code 1, never a traceback."""
    try:
        app()
    except ValidationFailed as exc:
        _print_problems(exc.problems)
        sys.exit(1)
    except (UserError, CampaignError) as exc:
        err.print(f"[red]{exc}[/red]")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
