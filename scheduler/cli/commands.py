"""The ``loa`` command. Every command takes ``--config PATH`` (default ./config.toml).

Errors a user can fix are printed as ``file:line: key: what (hint)`` with exit code 1; no
command shows a traceback for bad input.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine, Row

from campaigns.dates import format_compact, format_datetime, read_day
from campaigns.errors import CampaignError, ExpressionError, Problem, ValidationFailed
from campaigns.i18n import choose_language, named, set_language, t
from campaigns.model import Activity, Deadline
from campaigns.units import UnitRegistry, fold, split_names
from channels.errors import ChannelError
from channels.redact import redact, remember
from channels.registry import UnsupportedChannel
from scheduler import audit, logs, pausing, refusals, subscriptions
from scheduler.alerts import open_incidents
from scheduler.alerts.sender import fix, headline
from scheduler.bot.runner import read_health
from scheduler.campaign_set import check_each, expand_each, load_campaigns
from scheduler.config import Config, configured_language, load_config
from scheduler.engine import cluster, daemon
from scheduler.engine.dispatch import utcnow
from scheduler.engine.lock import AlreadyRunning, nudge, unless_daemon
from scheduler.engine.quotas import plan_warnings
from scheduler.errors import PortInUse, SchemaTooNew
from scheduler.plan import PlanRow, plan_entries, plan_rows
from scheduler.store import meta, outbox
from scheduler.store.db import StoreUnavailable, migrate, open_engine, sqlite_path
from scheduler.store.storage import check, describe, fault_of, read_fault
from scheduler.store.tables import State


def _language_of_command_line(argv: list[str]) -> str:
    """LOA_LANG, else the language of the config the command line names (or ./config.toml).

    typer reads every help text when this module is imported, before any command runs, so the
    language of ``--help`` is settled here, from the same sources ``_config`` uses later.
    """
    path = Path("config.toml")
    for arg, following in zip(argv, [*argv[1:], ""], strict=False):
        if arg in ("--config", "-c") and following:
            path = Path(following)
        elif arg.startswith("--config="):
            path = Path(arg.removeprefix("--config="))
    return choose_language(configured_language(path))


set_language(_language_of_command_line(sys.argv[1:]))

app = typer.Typer(
    name="loa",
    help=t("help_app"),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help=t("opt_config"), show_default=True)
]


class UserError(Exception):
    """An error the user can act on; printed without a traceback, exit code 1."""


def _print_problems(problems: list[Problem]) -> None:
    """In colour, but not as markup: a hint may quote a config table ([channels.x]), and a
    warning ends in [warning]; markup would swallow both."""
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        # markup off: a file's text may hold "[/x]"; emoji off: "x.toml:100:" is no ":100:"
        err.print(
            str(problem), style=style, soft_wrap=True, markup=False, highlight=False, emoji=False
        )


def _config(path: Path) -> Config:
    config = load_config(path)
    set_language(config.language)
    remember(*config.secret_values())  # masked in every output and log from now on
    logs.quiet(config.tz)  # the command speaks for itself; `loa run` sets up the daemon's logs
    return config


PACKAGE = Path(__file__).resolve().parent.parent  # scheduler/
DOCS = PACKAGE.parent / "docs"
DOCS_POINTER = re.compile(r"Tài liệu[^:\n]*: docs/\S+")


@app.command(help=t("cmd_init"))
def init(
    directory: Annotated[Path, typer.Argument(help=t("arg_init_dir"))],
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    template_root = PACKAGE
    # the files' comments point to docs/: a copy in the office's folder, readable offline, when
    # this installation of loa has its documentation (a clone does; a bare wheel may not)
    docs = sorted(DOCS.glob("*.md"))
    written = False
    for source, target in (
        (template_root / "init_config.toml", directory / "config.toml"),
        (template_root.parent / "campaigns" / "examples" / "vi-du.toml", directory / "campaigns" / "vi-du.toml"),
    ):  # fmt: skip
        if target.exists():
            err.print(t("init_exists", path=target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text("utf-8")
        target.write_text(text if docs else DOCS_POINTER.sub(t("init_docs_pointer"), text), "utf-8")
        out.print(t("init_done", path=target))
        written = True
    folder = directory / "docs"
    if docs and folder.exists():
        err.print(t("init_exists", path=folder))
    elif docs:
        shutil.copytree(DOCS, folder, ignore=shutil.ignore_patterns("__pycache__"))
        out.print(t("init_docs_done", path=folder))
        written = True
    if written:
        out.print(t("init_next" if docs else "init_next_no_docs", dir=directory))


@app.command(help=t("cmd_validate"))
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(help=t("arg_validate_paths"))] = None,
    config: ConfigOption = Path("config.toml"),
) -> None:
    cfg = _config(config)
    result = load_campaigns(cfg, paths)
    # the verdict of the daemon's reload: each file on its own, the ones that load expanded as
    # its sync expands them (a broken file does not hide another's problem)
    planned, refused = check_each(result.campaigns, cfg.catalog(), utcnow(), cfg.horizon)
    _print_problems(result.problems + refused)
    if result.errors or refused:
        err.print(t("validate_failed", count=len(result.errors) + len(refused)))
        raise typer.Exit(1)
    _print_quota_warnings(plan_warnings(planned.dispatches(), cfg))
    items: list[Activity | Deadline] = [a for c in result.campaigns for a in c.activities]
    items += [d for c in result.campaigns for d in c.deadlines]
    named = any(item.lead or item.partners for item in items)
    if named and not cfg.units():
        err.print(t("units_free_text"), style="yellow", markup=False, soft_wrap=True)
    out.print(t("validate_ok", campaigns=len(result.campaigns), files=len(result.files)))


FORMATS = ("table", "json")


def _check_choice(option: str, value: str, choices: Sequence[str]) -> None:
    """Refuse an option value outside ``choices``, naming them all (they are typed as is)."""
    if value not in choices:
        listed = t("choices_or", first=", ".join(choices[:-1]), last=choices[-1])
        raise UserError(t("bad_choice", option=option, choices=listed))


def _print_quota_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(warning, style="yellow", soft_wrap=True, markup=False)


def _parse_day(value: str | None, default: dt.date) -> dt.date:
    if value is None:
        return default
    try:
        return read_day(value)
    except ExpressionError as exc:
        raise UserError(f"{exc.message} ({exc.hint})" if exc.hint else exc.message) from None


@app.command(help=t("cmd_plan"))
def plan(
    from_: Annotated[str | None, typer.Option("--from", help=t("opt_from"))] = None,
    to: Annotated[str | None, typer.Option("--to", help=t("opt_to"))] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help=t("opt_campaign_only"))] = None,
    fmt: Annotated[str, typer.Option("--format", help=t("opt_format"))] = "table",
    config: ConfigOption = Path("config.toml"),
    unit: Annotated[str | None, typer.Option("--unit", help=t("opt_unit"))] = None,
) -> None:
    _check_choice("--format", fmt, FORMATS)
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
    expansion, refused = expand_each(campaigns, start, end, cfg.catalog())
    _print_problems(refused)  # the plan shows what the other files hold
    _print_quota_warnings(plan_warnings(expansion.dispatches(), cfg))
    rows = plan_rows(expansion, campaigns) + _event_rows(cfg, start, end, campaign)
    rows.sort(key=lambda r: (r.start, r.kind != "activity", r.key))
    if unit is not None:
        rows = _for_unit(rows, unit, cfg)
    if fmt == "json":
        sys.stdout.write(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
        return
    if not rows:
        out.print(t("plan_empty"))
        return
    registry = cfg.units()
    rows = [_named(row, registry) for row in rows]
    out.print(
        t("plan_title", start=first.strftime("%d/%m/%Y"), end=last.strftime("%d/%m/%Y")),
        style="bold",
    )
    for entry in plan_entries(rows):
        out.print(entry)


def _event_rows(
    cfg: Config, start: dt.datetime, end: dt.datetime, campaign: str | None
) -> list[PlanRow]:
    """The events received and what they send, from the store (when there is one yet)."""
    from scheduler.events.cli import plan_rows as event_plan_rows

    path = sqlite_path(cfg.database_url)
    if path is not None and not path.exists():
        return []
    rows = event_plan_rows(_open_store(cfg), start, end, cfg.tz)
    return [r for r in rows if campaign is None or r.campaign == campaign]


def _for_unit(rows: list[PlanRow], name: str, cfg: Config) -> list[PlanRow]:
    """The unit's activities and deadlines, and the messages that go to its chats."""
    registry = cfg.units()
    found = registry.find(name)
    if registry and found is None:
        close = registry.closest(name)
        hint = f" ({t('did_you_mean', suggestion=close)})" if close else ""
        raise UserError(t("plan_unit_unknown", value=name) + hint)
    wanted = found.id if found is not None else fold(name)
    chats = {f"{c}:{tg}" for c, tg in found.targets} if found is not None else set()

    def named(row: PlanRow) -> bool:
        units = [*split_names(row.lead), *row.partners, *row.units]
        return wanted in (units if found is not None else [fold(u) for u in units])

    return [r for r in rows if named(r) or chats & set(r.channels)]


def _named(row: PlanRow, registry: UnitRegistry) -> PlanRow:
    """The row with its units by name for a person to read (JSON keeps the registry ids)."""
    label = registry.label
    lead = "; ".join(label(u) for u in split_names(row.lead))
    return replace(row, lead=lead, partners=tuple(label(u) for u in row.partners))


def _open_store(cfg: Config) -> Engine:
    db = open_engine(cfg.database_url)
    migrate(db)
    oas = [name for name, s in cfg.data.channels.items() if s.type == "zalo_oa"]
    if oas:  # the OA tokens loa obtained are secrets too, for errors stored before masking
        from channels.zalo_oa import stored_pair

        for name in oas:
            stored_pair(meta.Memory(db), name)
    return db


def _nudge(cfg: Config) -> None:
    nudge(cfg.database_url)


@app.command(help=t("cmd_run"))
def run(config: ConfigOption = Path("config.toml")) -> None:
    cfg = _config(config)
    settings = cfg.data.daemon
    logs.setup(settings.log_level, settings.log_format == "json", cfg.tz)
    try:
        daemon.run(cfg)
    except (AlreadyRunning, UnsupportedChannel, PortInUse) as exc:
        raise UserError(str(exc)) from None


@app.command(help=t("cmd_status"))
def status(
    fmt: Annotated[str, typer.Option("--format", help=t("opt_format"))] = "table",
    config: ConfigOption = Path("config.toml"),
) -> None:
    _check_choice("--format", fmt, FORMATS)
    cfg = _config(config)
    database, where = sqlite_path(cfg.database_url), describe(cfg.database_url)
    reported = read_fault(database) if database is not None else None  # by the running daemon
    try:
        db = _open_store(cfg)
        by_state = outbox.counts(db)
    except Exception as exc:
        fault = reported or fault_of(exc, where, utcnow())
        if fault is None:
            raise
        raise UserError(_fault_text(fault, cfg)) from None
    running = cluster.survey(db, cfg.database_url, utcnow())
    upcoming = outbox.list_deliveries(db, state=State.PENDING, limit=1)
    incidents = open_incidents(db)
    if fmt == "json":
        fault = reported or check(db, where, utcnow())
        _status_json(db, by_state, upcoming, fault, incidents, running)
        return
    if not by_state:
        out.print(t("status_empty"), markup=False)
    else:
        table = Table(title=t("status_title"))
        table.add_column(t("col_state"))
        table.add_column(t("col_count"), justify="right")
        for state in State:
            table.add_row(named("state", state), str(by_state.get(state, 0)))
        out.print(table)
    if upcoming:
        row = upcoming[0]
        out.print(t("next_due", when=format_datetime(row.due.astimezone(cfg.tz)), key=row.key))
    _print_cluster(running, cfg)
    duplicates = outbox.count_possible_duplicates(db)
    if duplicates:
        out.print(t("possible_duplicates", count=duplicates))
    fault = reported or check(db, where, utcnow())
    if fault:
        out.print(_fault_text(fault, cfg), style="red", soft_wrap=True, markup=False)
    recovery = outbox.last_recovery(db)
    if recovery is not None:
        line = t(
            "last_recovery",
            when=format_datetime(recovery.at.astimezone(cfg.tz)),
            in_flight=recovery.in_flight,
            sent=recovery.confirmed_sent,
            not_sent=recovery.confirmed_not_sent,
            duplicates=recovery.possible_duplicates,
        )
        out.print(line, soft_wrap=True)
    refused = refusals.read(db)
    if refused:
        out.print(t("status_refused_files"), style="red", soft_wrap=True, markup=False)
        for refusal in refused:
            since = _local_time(refusal.since, cfg)
            line = f"  {redact(refusal.problem)} ({t('since')} {since})"
            out.print(line, soft_wrap=True, markup=False, highlight=False, emoji=False)
    errors = outbox.last_errors(db)
    if errors:
        out.print(t("recent_errors"))
        for row in errors:
            out.print(
                f"  {named('state', row.state):9} {row.key}: {redact(row.last_error)}",
                soft_wrap=True,
            )
    if incidents:
        out.print(t("status_incidents"))
        for incident in incidents:
            _print_incident(incident, cfg)
    bots = read_health(db)
    if bots:
        out.print(t("bots_title", subscriptions=subscriptions.count_active(db)))
        for health in bots:
            error = f": {redact(health.last_error)}" if health.last_error else ""
            out.print(
                f"  {health.channel} ({named('health_mode', health.mode)}) "
                f"{named('health_state', health.state)} "
                f"{t('since')} {_local_time(health.since, cfg)}{error}",
                soft_wrap=True,
                markup=False,
            )


def _print_cluster(running: cluster.Cluster, cfg: Config) -> None:
    """The daemons alive on the database and which one leads, or that none runs or leads."""
    if not running.members:
        out.print(t("status_no_daemon"), soft_wrap=True)
        return
    out.print(t("status_daemons", count=len(running.members)))
    for member in running.members:
        role = t("status_leader" if member.id == running.leader else "status_follower")
        since = format_datetime(member.started_at.astimezone(cfg.tz))
        seen = format_datetime(member.seen_at.astimezone(cfg.tz))
        line = t("status_daemon", id=member.id, host=member.host, pid=member.pid, role=role,
                 since=since, seen=seen)  # fmt: skip
        out.print(line, soft_wrap=True, markup=False)
    if running.leader is None:
        out.print(t("status_no_leader"), soft_wrap=True)


def _print_incident(incident: dict[str, Any], cfg: Config) -> None:
    """What happened, since when, and the command that fixes it (as the admins' alert says)."""
    kind, subject = incident["kind"], incident["subject"]
    when = t("status_incident", since=_local_time(incident["opened_at"], cfg),
             last=_local_time(incident["last_seen_at"], cfg))  # fmt: skip
    head = f"  ⚠️ {headline(kind, subject, incident['count'], incident['detail'])} ({when})"
    out.print(head, soft_wrap=True, markup=False)
    out.print(f"     → {fix(kind, subject)}", soft_wrap=True, markup=False)


def _status_json(
    db: Engine,
    by_state: Mapping[str, int],
    upcoming: list[Row[Any]],
    fault: Mapping[str, str] | None,
    incidents: list[dict[str, Any]],
    running: cluster.Cluster,
) -> None:
    """``loa status --format json``: for scripts and monitors, its keys are a contract."""
    body = {
        "deliveries": {state.value: by_state.get(state, 0) for state in State},
        "next_due": upcoming[0].due.isoformat() if upcoming else None,
        "possible_duplicates": outbox.count_possible_duplicates(db),
        "storage": dict(fault) if fault else {"state": "ok"},
        "incidents": incidents,
        "refusals": [asdict(refusal) for refusal in refusals.read(db)],
        "bots": [
            {"channel": h.channel, "state": h.state, "since": h.since, "mode": h.mode,
             "error": redact(h.last_error) or None}
            for h in read_health(db)
        ],
        **running.as_json(),
    }  # fmt: skip
    sys.stdout.write(redact(json.dumps(body, ensure_ascii=False, indent=2)) + "\n")


def _local_time(stamp: str, cfg: Config) -> str:
    """A stored ISO 8601 time as the office reads it; as stored if it is not one."""
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return format_datetime(moment.astimezone(cfg.tz)) if moment.tzinfo else stamp


def _fault_text(fault: dict[str, str], cfg: Config) -> str:
    since = _local_time(fault["since"], cfg)
    return t("storage_fault_status", since=since, reason=fault["reason"], hint=fault["hint"])


@app.command("audit", help=t("cmd_audit"))
def audit_command(
    limit: Annotated[int, typer.Option("--limit", help=t("opt_audit_limit"))] = 50,
    result: Annotated[str | None, typer.Option("--result", help=t("opt_audit_result"))] = None,
    fmt: Annotated[str, typer.Option("--format", help=t("opt_format"))] = "table",
    config: ConfigOption = Path("config.toml"),
) -> None:
    _check_choice("--format", fmt, FORMATS)
    if result is not None:
        _check_choice("--result", result, (audit.OK, audit.REFUSED, audit.ERROR))
    cfg = _config(config)
    rows = audit.recent(_open_store(cfg), max(1, limit), result)
    if fmt == "json":
        items = [
            {
                "at": r.at.isoformat(), "channel": r.channel, "chat": r.chat, "user": r.user,
                "command": r.command, "arguments": r.arguments, "result": r.result,
                "detail": r.detail,
            }
            for r in rows
        ]  # fmt: skip
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        out.print(t("audit_empty"))
        return
    if out.width < WIDE_TABLE:
        for r in rows:
            who = f"{r.channel}:{r.user}" + (f" @{r.chat}" if r.chat and r.chat != r.user else "")
            result_text = named("audit", r.result)
            _print_entry(
                f"{format_compact(r.at.astimezone(cfg.tz))} · {result_text} · {who}",
                (f"/{r.command} {r.arguments}".strip(), ""),
                (named("audit", r.detail), "dim"),
            )
        return
    table = Table(expand=True)
    for code in ("col_when", "col_who", "col_command", "col_result", "col_note"):
        table.add_column(t(code), no_wrap=code != "col_note", overflow="ellipsis")
    for r in rows:
        who = f"{r.channel}:{r.user}" + (f" @{r.chat}" if r.chat and r.chat != r.user else "")
        command = f"/{r.command} {r.arguments}".strip()
        result_text, detail = named("audit", r.result), named("audit", r.detail)
        table.add_row(format_compact(r.at.astimezone(cfg.tz)), who, command, result_text, detail)
    out.print(table)


def _audit_cli(db: Engine, command: str, arguments: str, result: str, detail: str) -> None:
    """Admin actions from the command line go to the audit log like those from chat."""
    audit.write(db, utcnow(), "cli", "", getpass.getuser(), command, arguments, result, detail)


@app.command("pause", help=t("cmd_pause"))
def pause_command(
    campaign: Annotated[str, typer.Argument(help=t("arg_campaign_id"))],
    config: ConfigOption = Path("config.toml"),
) -> None:
    _pause_or_resume("pause", campaign, config)


@app.command("resume", help=t("cmd_resume"))
def resume_command(
    campaign: Annotated[str, typer.Argument(help=t("arg_campaign_id"))],
    config: ConfigOption = Path("config.toml"),
) -> None:
    _pause_or_resume("resume", campaign, config)


def _pause_or_resume(action: str, campaign: str, config: Path) -> None:
    cfg = _config(config)
    db = _open_store(cfg)
    change = pausing.pause if action == "pause" else pausing.resume
    try:
        result = change(db, campaign, utcnow())
    except pausing.UnknownCampaign:
        _audit_cli(db, action, campaign, audit.ERROR, audit.UNKNOWN_CAMPAIGN)
        raise UserError(t("unknown_campaign_cli", value=campaign)) from None
    if action == "pause":
        done, same = t("bot_paused", id=campaign, held=result.held), "bot_already_paused"
    else:
        done = t("bot_resumed", id=campaign, resumed=result.resumed, missed=result.missed)
        same = "bot_not_paused"
    message = done if result.changed else t(same, id=campaign)
    _audit_cli(db, action, campaign, audit.OK, message)
    _nudge(cfg)
    out.print(message)


@app.command(help=t("cmd_deliveries"))
def deliveries(
    state: Annotated[str | None, typer.Option("--state", help=t("opt_state"))] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help=t("opt_campaign_only"))] = None,
    fmt: Annotated[str, typer.Option("--format", help=t("opt_format"))] = "table",
    limit: Annotated[int, typer.Option("--limit", help=t("opt_limit"))] = 0,
    config: ConfigOption = Path("config.toml"),
) -> None:
    if state is not None:
        _check_choice("--state", state, [s.value for s in State])
    _check_choice("--format", fmt, FORMATS)
    cfg = _config(config)
    rows = outbox.list_deliveries(_open_store(cfg), state, campaign, limit or None)
    if fmt == "json":
        items = [
            {
                "key": r.key, "campaign": r.campaign, "message": r.item, "channel": r.channel,
                "target": r.target, "due": r.due.isoformat(), "state": r.state,
                "attempts": r.attempts, "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                "error": redact(r.last_error) or None,
                "provider_message_id": r.provider_message_id,
                "possible_duplicate": r.possible_duplicate, "text": r.text,
            }
            for r in rows
        ]  # fmt: skip
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:  # an empty table of headers told nothing
        filtered = state is not None or campaign is not None
        out.print(t("deliveries_none" if filtered else "status_empty"), markup=False)
        return
    if out.width < WIDE_TABLE:
        for r in rows:
            _print_delivery(r, cfg.tz)
        return
    table = Table(expand=True)
    # short columns keep their width; the long key and note wrap, so no state is cut to "đang …"
    for code in ("col_when", "col_state", "col_attempts", "col_channels"):
        table.add_column(t(code), no_wrap=True)
    table.add_column(t("col_key"), overflow="fold", ratio=3)
    table.add_column(t("col_note"), overflow="fold", ratio=2)
    for r in rows:
        target = f"{r.channel}:{r.target}" if r.target else r.channel
        note = redact(r.last_error) or (r.provider_message_id or "")
        table.add_row(
            format_compact(r.due.astimezone(cfg.tz)),
            named("state", r.state),
            str(r.attempts),
            target,
            r.key,
            note,
        )
    out.print(table)


WIDE_TABLE = 120  # narrower, a table leaves a few letters a line to its long columns


def _print_entry(head: str, *details: tuple[str, str]) -> None:
    """One record on a few lines for a narrow terminal: a head line, then each non-empty
    detail (text, style) indented on lines of its own, wrapping instead of being cut."""
    out.print()
    out.print(Text(head, style="bold"))
    for text, style in details:
        if text:
            out.print(Padding(Text(text, style=style), (0, 0, 0, 4), expand=False))


def _print_delivery(r: Row[Any], tz: dt.tzinfo) -> None:
    """When, state, tries and where; then the key whole on a line of its own (to copy into
    ``loa retry``); then the error or the receipt."""
    target = f"{r.channel}:{r.target}" if r.target else r.channel
    head = f"{format_compact(r.due.astimezone(tz))} · {named('state', r.state)} · "
    head += f"{t('deliveries_attempts', count=r.attempts)} → {target}"
    error = redact(r.last_error)
    note = t("deliveries_error", error=error) if error else ""
    if not error and r.provider_message_id:
        note = t("deliveries_receipt", receipt=r.provider_message_id)
    _print_entry(head, (r.key, ""), (note, "red" if error else "dim"))


@app.command("retry", help=t("cmd_retry"))
def retry_command(
    key: Annotated[str | None, typer.Argument(help=t("arg_delivery_key"))] = None,
    failed: Annotated[bool, typer.Option("--failed", help=t("opt_failed"))] = False,
    config: ConfigOption = Path("config.toml"),
) -> None:
    if (key is None) == (not failed):
        raise UserError(t("retry_usage"))
    cfg = _config(config)
    db = _open_store(cfg)
    catalog = cfg.catalog()
    result = outbox.retry(db, utcnow(), catalog, key=key)
    refusals = [refusal.sentence(catalog) for refusal in result.refused]
    if key is not None and refusals:
        raise UserError(refusals[0])
    for refusal in refusals:
        out.print(refusal, soft_wrap=True, markup=False)
    if key is not None and result.count == 0:
        raise _unchanged(db, key)
    _nudge(cfg)
    out.print(t("retried", count=result.count))


@app.command("cancel", help=t("cmd_cancel"))
def cancel_command(
    key: Annotated[str, typer.Argument(help=t("arg_delivery_key"))],
    config: ConfigOption = Path("config.toml"),
) -> None:
    cfg = _config(config)
    db = _open_store(cfg)
    if outbox.cancel(db, key, utcnow()) == 0:
        raise _unchanged(db, key)
    _nudge(cfg)
    out.print(t("cancelled_one", key=key))


@app.command("trigger", help=t("cmd_trigger"))
def trigger_command(
    type_: Annotated[str | None, typer.Argument(metavar="TYPE", help=t("arg_event_type"))] = None,
    event_id: Annotated[str | None, typer.Option("--id", help=t("opt_event_id"))] = None,
    at: Annotated[str | None, typer.Option("--at", help=t("opt_event_at"))] = None,
    data: Annotated[list[str] | None, typer.Option("--data", help=t("opt_event_data"))] = None,
    cancel: Annotated[str | None, typer.Option("--cancel", help=t("opt_event_cancel"))] = None,
    reason: Annotated[str, typer.Option("--reason", help=t("opt_event_reason"))] = "",
    config: ConfigOption = Path("config.toml"),
) -> None:
    from scheduler.events import cli as events_cli

    if (type_ is None) == (cancel is None):
        raise UserError(t("trigger_usage"))
    if cancel is not None and (event_id or at or data):
        raise UserError(t("trigger_cancel_only"))
    cfg = _config(config)
    now = utcnow()
    if cancel is not None:
        incoming: Any = events_cli.Cancelling(cancel, reason)
        campaigns: list[Any] = []
    else:
        assert type_ is not None
        incoming = events_cli.occurred(type_, event_id, at, data or [], cfg.tz, now)
        if isinstance(incoming, str):
            raise UserError(incoming)
        result = load_campaigns(cfg)
        _print_problems(result.problems)
        campaigns = result.campaigns
    db = _open_store(cfg)
    answer = events_cli.take(db, campaigns, cfg.catalog(), incoming, now)
    said = [
        type_ or "",
        *(f"--data {d}" for d in data or ()),
        f"--id {event_id}" if event_id else "",
    ]
    said += [f"--at {at}" if at else "", f"--cancel {cancel} {reason}" if cancel else ""]
    _audit_cli(db, "trigger", " ".join(filter(None, said)), *answer.audit)
    if answer.refused:
        raise UserError(answer.text)
    _nudge(cfg)
    out.print(answer.text, markup=False, soft_wrap=True)


@app.command("events", help=t("cmd_events"))
def events_command(
    fmt: Annotated[str, typer.Option("--format", help=t("opt_format"))] = "table",
    limit: Annotated[int, typer.Option("--limit", help=t("opt_limit"))] = 0,
    config: ConfigOption = Path("config.toml"),
) -> None:
    from scheduler.events import cli as events_cli

    _check_choice("--format", fmt, FORMATS)
    cfg = _config(config)
    rows = events_cli.listed(_open_store(cfg), limit or None)
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        out.print(t("events_none"))
        return
    for row in rows:
        head, *details = events_cli.lines(row, cfg.tz)
        _print_entry(head, *((line, "") for line in details))


def _unchanged(db: Engine, key: str) -> UserError:
    """Why a command left a delivery as it was: no such key, or a state it cannot leave."""
    current = outbox.state_of(db, key)
    if current is None:
        return UserError(t("no_delivery", key=key))
    return UserError(t("delivery_in_state", key=key, state=named("state", current)))


channels_app = typer.Typer(help=t("cmd_channels"), no_args_is_help=True)
app.add_typer(channels_app, name="channels")


@channels_app.command("check", help=t("cmd_channels_check"))
def channels_check(config: ConfigOption = Path("config.toml")) -> None:
    import asyncio

    from scheduler.engine.outlets import build_outlets

    cfg = _config(config)
    db = _open_store(cfg)
    channels, _ = build_outlets(cfg, db)

    async def check_all() -> list[tuple[str, str, bool, str]]:
        rows = []
        for name, channel in channels.items():
            kind = cfg.data.channels[name].type
            check = getattr(channel, "check", None)
            addresses = [str(a) for a in cfg.data.channels[name].targets.values()]
            try:
                detail = await check(addresses) if check is not None else t("check_local")
                ok = True
            except ChannelError as exc:
                ok, detail = False, redact(exc.reason)
            targets = len(cfg.data.channels[name].targets)
            rows.append((name, kind, ok, f"{detail} · {t('check_targets', count=targets)}"))
            await channel.close()
        return rows

    rows = asyncio.run(check_all())
    table = Table(expand=True)
    for code in ("col_channels", "col_kind", "col_state", "col_note"):
        table.add_column(t(code), overflow="fold")
    for name, kind, ok, detail in rows:
        table.add_row(name, kind, "[green]✓[/green]" if ok else "[red]✗[/red]", detail)
    out.print(table)
    if not all(ok for _, _, ok, _ in rows):
        raise typer.Exit(1)


@app.command("send", help=t("cmd_send"))
def send_command(
    where: Annotated[str, typer.Argument(help=t("arg_send_where"))],
    text: Annotated[str, typer.Argument(help=t("arg_send_text"))],
    config: ConfigOption = Path("config.toml"),
) -> None:
    import asyncio

    from scheduler.engine.dispatch import DispatchEngine
    from scheduler.engine.outlets import build_outlets

    cfg = _config(config)
    channel, _, target = where.partition(":")
    why = outbox.never_sendable(cfg.catalog(), channel, target)
    if why is not None:
        raise UserError(why)  # before anything is stored: it would fail at the platform
    if not text.strip():
        raise UserError(t("empty_text"))
    db = _open_store(cfg)
    key = outbox.add_manual(db, channel, target, text.strip(), utcnow(), cfg.tz)
    with unless_daemon(cfg.database_url) as alone:
        if not alone:
            _nudge(cfg)  # the running daemon sends it
        else:
            channels, limiter = build_outlets(cfg, db)
            engine = DispatchEngine(db, channels, cfg.addresses(), "loa-send", limiter=limiter)

            async def send_now() -> None:
                await engine.run_due(only=[key])
                for item in channels.values():
                    await item.close()

            asyncio.run(send_now())
    row = wait_for_state(db, key)
    if row.state != State.SENT:
        why = "send_retrying" if row.state == State.RETRYING else "send_failed"
        raise UserError(t(why, key=key, error=redact(row.last_error)))
    out.print(t("sent_one", key=key, receipt=row.provider_message_id or "—"))


def wait_for_state(db: Engine, key: str, timeout: float = 30.0) -> Any:
    """The delivery once it left pending/sending (a running daemon may take a moment)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        row = outbox.get_delivery(db, key)
        if row is not None and row.state not in (State.PENDING, State.SENDING):
            return row
        if time.monotonic() > deadline:
            raise UserError(t("send_timeout", key=key))
        time.sleep(0.1)


@app.command("export-ics", help=t("cmd_export_ics"))
def export_ics(
    output: Annotated[Path, typer.Option("-o", "--output", help=t("opt_output"))],
    campaign: Annotated[
        str | None, typer.Option("--campaign", help=t("opt_export_campaign"))
    ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help=t("opt_unit"))] = None,
    tag: Annotated[str | None, typer.Option("--tag", help=t("opt_tag"))] = None,
    config: ConfigOption = Path("config.toml"),
) -> None:
    from scheduler.http.feeds import FeedSelector, FeedStore

    chosen = [(k, v) for k, v in (("campaign", campaign), ("unit", unit), ("tag", tag)) if v]
    if len(chosen) > 1:
        raise UserError(t("export_one_filter"))
    cfg = _config(config)
    db = _open_store(cfg)
    refresh_store(cfg, db)
    kind, value = chosen[0] if chosen else ("all", "")
    feeds = FeedStore(db, cfg.data.http.public_url.rstrip("/"), units=cfg.units())
    found = feeds.lookup(FeedSelector(kind, value))
    if found is None:
        known = ", ".join(min(names) for names in feeds.names(kind).values())
        hint = t("export_known", names=known) if known and kind != "campaign" else ""
        raise UserError(t("export_unknown", kind=named("feed_kind", kind), value=value) + hint)
    selector, version = found
    body = feeds.render(selector, version)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(body)
    out.print(t("exported", path=output, count=body.count(b"BEGIN:VEVENT")))


from scheduler.cli.report import report_app  # noqa: E402  (it uses the helpers above)

app.add_typer(report_app, name="report")

from scheduler.cli.user import user_app  # noqa: E402  (it uses the helpers above)

app.add_typer(user_app, name="user")

from scheduler.cli.approval import register as register_approval  # noqa: E402

register_approval(app)


def refresh_store(cfg: Config, db: Engine) -> None:
    """Bring the store up to date with the campaign files, unless a daemon does that already."""
    from scheduler.sync import sync

    with unless_daemon(cfg.database_url) as alone:
        if not alone:
            return  # the running daemon keeps the store in sync
        result = load_campaigns(cfg)
        _print_problems(result.problems)
        protected = {c.id for c in result.campaigns}  # never cancel from a one-off command
        sync(db, result.campaigns, cfg.catalog(), utcnow(), cfg.horizon, protected)


def _localised_command() -> Any:
    """The click command of ``app``, with the texts typer and click add in the current language.

    typer keeps its panel titles and "[default: …]" in module constants and click writes the
    help option's text itself; the rest of the help comes from the catalogue already.
    """
    from typer import rich_utils

    for name, code in (
        ("ARGUMENTS_PANEL_TITLE", "help_panel_arguments"),
        ("OPTIONS_PANEL_TITLE", "help_panel_options"),
        ("COMMANDS_PANEL_TITLE", "help_panel_commands"),
        ("ERRORS_PANEL_TITLE", "help_panel_error"),
        ("DEFAULT_STRING", "help_default"),
        ("REQUIRED_LONG_STRING", "help_required"),
        ("RICH_HELP", "help_try"),
        ("ABORTED_TEXT", "help_aborted"),
    ):
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, t(code))
    if hasattr(rich_utils, "rich_format_error"):
        show_error = rich_utils.rich_format_error

        def show_in_language(error: Any) -> None:
            text = _usage_error_text(error)
            if text is not None:
                setattr(error, "format_message", lambda: text)  # noqa: B010
            show_error(error)

        setattr(rich_utils, "rich_format_error", show_in_language)  # noqa: B010
    command = typer.main.get_command(app)
    base = command.context_class.formatter_class

    class Formatter(base):  # type: ignore[valid-type,misc]
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, t("help_usage") if prefix is None else prefix)

    command.context_class.formatter_class = Formatter
    pending = [command]
    while pending:
        current = pending.pop()
        pending += getattr(current, "commands", {}).values()
        # click builds the help option once per command and keeps it (click >= 8.1.8)
        option = current.get_help_option(current.context_class(current))
        if option is not None:
            option.help = t("help_help")
        current.options_metavar = t("help_options_metavar")
        if hasattr(current, "subcommand_metavar"):
            current.subcommand_metavar = t("help_subcommand_metavar")
    return command


def _usage_error_text(error: Any) -> str | None:
    """A mistake on the command line in the user's language; None keeps click's words.

    click builds these messages in English; which mistake it was is read from the error's
    class and fields, as click and typer name them.
    """
    kind = type(error).__name__
    param = getattr(error, "param", None)
    hint = param.get_error_hint() if param is not None else ""
    message = str(getattr(error, "message", ""))
    if kind == "NoSuchOption":
        text = t("cli_no_such_option", name=error.option_name)
        possible = list(getattr(error, "possibilities", None) or [])
        return text + (f" ({t('did_you_mean', suggestion=possible[0])})" if possible else "")
    if kind == "MissingParameter" and hint:
        return t("cli_missing", name=hint)
    if kind == "BadParameter" and hint:
        return t("cli_bad_value", name=hint)
    if found := re.match(r"No such command '(.*)'", message):
        return t("cli_no_such_command", name=found[1])
    if found := re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", message):
        return t("cli_extra_arguments", names=found[1])
    return None


def main() -> None:
    """Entry point: run the app; bad input ends with a message and exit code 1, never a traceback."""
    try:
        _localised_command()(prog_name="loa")
    except ValidationFailed as exc:
        _print_problems(exc.problems)
        sys.exit(1)
    except (UserError, CampaignError, SchemaTooNew, StoreUnavailable) as exc:
        # not markup: a message may quote config.toml's [tables]
        err.print(redact(str(exc)), style="red", markup=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
