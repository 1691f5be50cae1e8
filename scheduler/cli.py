"""The ``loa`` command. Every command takes ``--config PATH`` (default ./config.toml).

Errors a user can fix are printed as ``file:line: key: what (hint)`` with exit code 1; no
command shows a traceback for bad input.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from campaigns.dates import format_compact, format_datetime
from campaigns.errors import CampaignError, Problem, ValidationFailed
from campaigns.expand import expand_all
from campaigns.i18n import set_language, t
from campaigns.model import Activity, Deadline
from campaigns.units import UnitRegistry, fold, split_names
from channels.errors import ChannelError
from channels.redact import redact, remember
from channels.registry import UnsupportedChannel
from scheduler import audit, daemon, logs, outbox, pausing, subscriptions
from scheduler.bot.runner import read_health
from scheduler.campaign_set import load_campaigns
from scheduler.config import Config, load_config
from scheduler.db import migrate, open_engine, sqlite_path
from scheduler.engine import utcnow
from scheduler.errors import PortInUse
from scheduler.lock import AlreadyRunning, nudge, unless_daemon
from scheduler.plan import PlanRow, plan_entries, plan_rows
from scheduler.quotas import plan_warnings
from scheduler.tables import State

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
    remember(*config.secret_values())  # masked in every output and log from now on
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
    now = dt.datetime.now(cfg.tz)
    planned = expand_all(result.campaigns, now, now + cfg.horizon, cfg.catalog())
    _print_quota_warnings(plan_warnings(planned.dispatches(), cfg))
    items: list[Activity | Deadline] = [a for c in result.campaigns for a in c.activities]
    items += [d for c in result.campaigns for d in c.deadlines]
    named = any(item.lead or item.partners for item in items)
    if named and not cfg.units():
        err.print(t("units_free_text"), style="yellow", markup=False, soft_wrap=True)
    out.print(t("validate_ok", campaigns=len(result.campaigns), files=len(result.files)))


def _print_quota_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(f"[yellow]{warning}[/yellow]", soft_wrap=True)


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
    unit: Annotated[str | None, typer.Option("--unit", help="only this unit's items")] = None,
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
    expansion = expand_all(campaigns, start, end, cfg.catalog())
    _print_quota_warnings(plan_warnings(expansion.dispatches(), cfg))
    rows = plan_rows(expansion, campaigns)
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
            stored_pair(outbox.Memory(db), name)
    return db


def _nudge(cfg: Config) -> None:
    path = sqlite_path(cfg.database_url)
    if path is not None:
        nudge(path)


@app.command()
def run(config: ConfigOption = Path("config.toml")) -> None:
    """Chạy loa: lập lịch và gửi tin đúng giờ cho đến khi nhấn Ctrl+C (SIGINT/SIGTERM)."""
    cfg = _config(config)
    settings = cfg.data.daemon
    logs.setup(settings.log_level, settings.log_format == "json", cfg.tz)
    try:
        daemon.run(cfg)
    except (AlreadyRunning, UnsupportedChannel, PortInUse) as exc:
        raise UserError(str(exc)) from None


@app.command()
def status(config: ConfigOption = Path("config.toml")) -> None:
    """Tình hình hộp thư đi: số tin theo trạng thái, tin kế tiếp, lỗi gần đây."""
    cfg = _config(config)
    db = _open_store(cfg)
    by_state = outbox.counts(db)
    table = Table(title="loa status")
    table.add_column(t("col_state"))
    table.add_column(t("col_count"), justify="right")
    for state in State:
        table.add_row(str(state), str(by_state.get(state, 0)))
    out.print(table)
    upcoming = outbox.list_deliveries(db, state=State.PENDING, limit=1)
    if upcoming:
        row = upcoming[0]
        out.print(t("next_due", when=format_datetime(row.due.astimezone(cfg.tz)), key=row.key))
    duplicates = outbox.count_possible_duplicates(db)
    if duplicates:
        out.print(t("possible_duplicates", count=duplicates))
    recovery = outbox.get_meta(db, "last_recovery")
    if recovery:
        out.print(t("last_recovery", text=recovery))
    errors = outbox.last_errors(db)
    if errors:
        out.print(t("recent_errors"))
        for row in errors:
            out.print(f"  {row.state:9} {row.key}: {redact(row.last_error)}", soft_wrap=True)
    bots = read_health(db)
    if bots:
        out.print(t("bots_title", subscriptions=subscriptions.count_active(db)))
        for health in bots:
            error = f": {redact(health.last_error)}" if health.last_error else ""
            since = health.since and format_compact(
                dt.datetime.fromisoformat(health.since).astimezone(cfg.tz)
            )
            out.print(
                f"  {health.channel} ({health.mode}) {health.state} {t('since')} {since}{error}",
                soft_wrap=True,
                markup=False,
            )


@app.command("audit")
def audit_command(
    limit: Annotated[int, typer.Option("--limit", help="the newest N entries")] = 50,
    result: Annotated[str | None, typer.Option("--result", help="ok, refused or error")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    config: ConfigOption = Path("config.toml"),
) -> None:
    """Nhật ký lệnh quản trị: ai, lệnh gì, lúc nào, kết quả (mới nhất trước)."""
    if fmt not in ("table", "json"):
        raise UserError("--format: table | json")
    if result is not None and result not in (audit.OK, audit.REFUSED, audit.ERROR):
        raise UserError("--result: ok | refused | error")
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
    table = Table(expand=True)
    for code in ("col_when", "col_who", "col_command", "col_result", "col_note"):
        table.add_column(t(code), no_wrap=code != "col_note", overflow="ellipsis")
    for r in rows:
        who = f"{r.channel}:{r.user}" + (f" @{r.chat}" if r.chat and r.chat != r.user else "")
        command = f"/{r.command} {r.arguments}".strip()
        table.add_row(format_compact(r.at.astimezone(cfg.tz)), who, command, r.result, r.detail)
    out.print(table)


def _audit_cli(db: Engine, command: str, arguments: str, result: str, detail: str) -> None:
    """Admin actions from the command line go to the audit log like those from chat."""
    audit.write(db, utcnow(), "cli", "", getpass.getuser(), command, arguments, result, detail)


@app.command("pause")
def pause_command(
    campaign: Annotated[str, typer.Argument(help="campaign id")],
    config: ConfigOption = Path("config.toml"),
) -> None:
    """Tạm dừng gửi tin của một chiến dịch (các tin chờ được giữ lại)."""
    _pause_or_resume("pause", campaign, config)


@app.command("resume")
def resume_command(
    campaign: Annotated[str, typer.Argument(help="campaign id")],
    config: ConfigOption = Path("config.toml"),
) -> None:
    """Gửi tiếp một chiến dịch đã tạm dừng (tin quá thời gian cho phép bị bỏ qua)."""
    _pause_or_resume("resume", campaign, config)


def _pause_or_resume(action: str, campaign: str, config: Path) -> None:
    cfg = _config(config)
    db = _open_store(cfg)
    change = pausing.pause if action == "pause" else pausing.resume
    try:
        result = change(db, campaign, utcnow())
    except pausing.UnknownCampaign:
        _audit_cli(db, action, campaign, audit.ERROR, "unknown campaign")
        raise UserError(t("bot_unknown_campaign", id=campaign)) from None
    if action == "pause":
        done, same = t("bot_paused", id=campaign, held=result.held), "bot_already_paused"
    else:
        done = t("bot_resumed", id=campaign, resumed=result.resumed, missed=result.missed)
        same = "bot_not_paused"
    message = done if result.changed else t(same, id=campaign)
    _audit_cli(db, action, campaign, audit.OK, message)
    _nudge(cfg)
    out.print(message)


@app.command()
def deliveries(
    state: Annotated[str | None, typer.Option("--state", help="pending, sent, failed, …")] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help="only this campaign")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    limit: Annotated[int, typer.Option("--limit", help="at most this many (0: all)")] = 0,
    config: ConfigOption = Path("config.toml"),
) -> None:
    """Danh sách tin trong hộp thư đi, kèm trạng thái, số lần thử và biên nhận."""
    if state is not None and state not in {s.value for s in State}:
        raise UserError(f"--state: {' | '.join(s.value for s in State)}")
    if fmt not in ("table", "json"):
        raise UserError("--format: table | json")
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
    table = Table(expand=True)
    for code in ("col_when", "col_state", "col_attempts", "col_channels", "col_key", "col_note"):
        table.add_column(t(code), no_wrap=code != "col_note", overflow="ellipsis")
    for r in rows:
        target = f"{r.channel}:{r.target}" if r.target else r.channel
        note = redact(r.last_error) or (r.provider_message_id or "")
        table.add_row(
            format_compact(r.due.astimezone(cfg.tz)), r.state, str(r.attempts), target, r.key, note
        )
    out.print(table)


@app.command("retry")
def retry_command(
    key: Annotated[str | None, typer.Argument(help="delivery key")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="every failed delivery")] = False,
    config: ConfigOption = Path("config.toml"),
) -> None:
    """Gửi lại một tin (theo khóa) hoặc mọi tin lỗi (--failed), ngay bây giờ."""
    if (key is None) == (not failed):
        raise UserError("loa retry KEY | loa retry --failed")
    cfg = _config(config)
    db = _open_store(cfg)
    if key is not None:
        row = outbox.get_delivery(db, key)
        why = _never_sendable(cfg, row.channel, row.target) if row is not None else None
        if why is not None:
            raise UserError(t("retry_never", key=key, reason=why))
        if row is not None and row.cancel_reason == subscriptions.DUPLICATE:
            raise UserError(t("retry_duplicate", key=key, reason=row.last_error))
    else:
        for row in outbox.list_deliveries(db, State.FAILED):
            why = _never_sendable(cfg, row.channel, row.target)
            if why is not None:
                out.print(t("retry_never", key=row.key, reason=why), soft_wrap=True, markup=False)

    def reachable(channel: str, target: str) -> bool:
        return _never_sendable(cfg, channel, target) is None

    count = outbox.retry(db, utcnow(), key=key, reachable=reachable)
    if key is not None and count == 0:
        raise _unchanged(db, key)
    _nudge(cfg)
    out.print(t("retried", count=count))


@app.command("cancel")
def cancel_command(
    key: Annotated[str, typer.Argument(help="delivery key")],
    config: ConfigOption = Path("config.toml"),
) -> None:
    """Huỷ một tin chưa gửi."""
    cfg = _config(config)
    db = _open_store(cfg)
    if outbox.cancel(db, key, utcnow()) == 0:
        raise _unchanged(db, key)
    _nudge(cfg)
    out.print(t("cancelled_one", key=key))


def _unchanged(db: Engine, key: str) -> UserError:
    """Why a command left a delivery as it was: no such key, or a state it cannot leave."""
    current = outbox.state_of(db, key)
    if current is None:
        return UserError(t("no_delivery", key=key))
    return UserError(t("delivery_in_state", key=key, state=current))


channels_app = typer.Typer(help="Các kênh gửi tin đã cấu hình.", no_args_is_help=True)
app.add_typer(channels_app, name="channels")


@channels_app.command("check")
def channels_check(config: ConfigOption = Path("config.toml")) -> None:
    """Kiểm tra từng kênh: token, kết nối tới nền tảng, các đích đã khai báo."""
    import asyncio

    from scheduler.outlets import build_outlets

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


def _never_sendable(cfg: Config, channel: str, target: str) -> str | None:
    """Why a message to ``channel:target`` can never go out, and what to write instead; None
    when it can. A chat platform (Telegram, Zalo) needs a chat: with none named it answers
    "chat_id is empty" however often it is tried."""
    from scheduler.config import NETWORK_TYPES

    settings = cfg.data.channels.get(channel)
    if settings is None:
        known = t("known_channels", names=", ".join(cfg.data.channels) or "—")
        return f"{t('unknown_channel', value=channel)}; {known}"
    names = list(settings.targets)
    if target.startswith(subscriptions.CHAT_PREFIX) and target != subscriptions.CHAT_PREFIX:
        return None  # a chat that subscribed, by its platform id
    if target and target not in names:
        known = t("known_targets", names=", ".join(names) or "—")
        return f"{t('unknown_target', channel=channel, value=target)}; {known}"
    if target or settings.type not in NETWORK_TYPES:
        return None
    if not names:
        return t("send_no_targets", channel=channel)
    example = f"{channel}:{names[0]}"
    return t("send_needs_target", channel=channel, example=example, names=", ".join(names))


@app.command("send")
def send_command(
    where: Annotated[str, typer.Argument(help="CHANNEL or CHANNEL:TARGET")],
    text: Annotated[str, typer.Argument(help="the message")],
    config: ConfigOption = Path("config.toml"),
) -> None:
    """Gửi thử một tin qua đúng đường đi của daemon (hộp thư đi, giới hạn, biên nhận)."""
    import asyncio

    from scheduler.engine import DispatchEngine
    from scheduler.outlets import build_outlets

    cfg = _config(config)
    channel, _, target = where.partition(":")
    why = _never_sendable(cfg, channel, target)
    if why is not None:
        raise UserError(why)  # before anything is stored: it would fail at the platform
    if not text.strip():
        raise UserError(t("empty_text"))
    db = _open_store(cfg)
    key = outbox.add_manual(db, channel, target, text.strip(), utcnow())
    with unless_daemon(sqlite_path(cfg.database_url)) as alone:
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
        raise UserError(f"{row.state}: {redact(row.last_error)}")
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


@app.command("export-ics")
def export_ics(
    output: Annotated[Path, typer.Option("-o", "--output", help="the .ics file to write")],
    campaign: Annotated[str | None, typer.Option("--campaign", help="one campaign")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="a lead or partner unit")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="a tag")] = None,
    config: ConfigOption = Path("config.toml"),
) -> None:
    """Xuất lịch iCalendar (.ics) của tất cả, một chiến dịch, một đơn vị hoặc một nhãn."""
    from scheduler.feeds import FeedSelector, FeedStore

    chosen = [(k, v) for k, v in (("campaign", campaign), ("unit", unit), ("tag", tag)) if v]
    if len(chosen) > 1:
        raise UserError(t("export_one_filter"))
    cfg = _config(config)
    db = _open_store(cfg)
    refresh_store(cfg, db)
    kind, value = chosen[0] if chosen else ("all", "")
    feeds = FeedStore(db, cfg.data.http.public_url.rstrip("/"))
    found = feeds.lookup(FeedSelector(kind, value))
    if found is None:
        known = ", ".join(min(names) for names in feeds.names(kind).values())
        hint = t("export_known", names=known) if known and kind != "campaign" else ""
        raise UserError(t("export_unknown", kind=kind, value=value) + hint)
    selector, version = found
    body = feeds.render(selector, version)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(body)
    out.print(t("exported", path=output, count=body.count(b"BEGIN:VEVENT")))


from scheduler.report_cli import report_app  # noqa: E402  (it uses the helpers above)

app.add_typer(report_app, name="report")


def refresh_store(cfg: Config, db: Engine) -> None:
    """Bring the store up to date with the campaign files, unless a daemon does that already."""
    from scheduler.sync import sync

    with unless_daemon(sqlite_path(cfg.database_url)) as alone:
        if not alone:
            return  # the running daemon keeps the store in sync
        result = load_campaigns(cfg)
        _print_problems(result.problems)
        protected = {c.id for c in result.campaigns}  # never cancel from a one-off command
        sync(db, result.campaigns, cfg.catalog(), utcnow(), cfg.horizon, protected)


def main() -> None:
    """Entry point: run the app; bad input ends with a message and exit code 1, never a traceback."""
    try:
        app()
    except ValidationFailed as exc:
        _print_problems(exc.problems)
        sys.exit(1)
    except (UserError, CampaignError) as exc:
        # not markup: a message may quote config.toml's [tables]
        err.print(redact(str(exc)), style="red", markup=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
