"""config.toml: daemon settings, checked and reported like campaign files (file:line: key).

Secrets never live here: a channel names the environment variable that holds its token
(``token_env``), and only that name is read from the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import functools
import ipaddress
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from campaigns.adapt import GENERAL, library_files, library_index, unknown_library_hint
from campaigns.dates import read_date
from campaigns.errors import ExpressionError, Problem, ValidationFailed
from campaigns.i18n import LANGUAGES, choose_language, t
from campaigns.loader import SPECIAL_CHANNELS, valid_timezone
from campaigns.locate import LineIndex
from campaigns.model import ChannelCatalog
from campaigns.report import dotted, pydantic_problems, toml_problem
from campaigns.timeexpr import ID_PATTERN, WEEKDAY_NAMES
from campaigns.units import Unit, UnitRegistry, fold, unit_target
from campaigns.workdays import WorkCalendar
from channels.limits import DEFAULTS as DEFAULT_LIMITS
from channels.limits import ChannelLimits, Window

CHANNEL_TYPES = ("console", "file", "telegram", "zalo_oa", "zalo_bot")
NETWORK_TYPES = ("telegram", "zalo_oa", "zalo_bot")
# what both Telegram and the Zalo Bot platform accept as a webhook's secret token
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{8,256}")


def admin_target(user: str) -> str:
    """The outbox target of a bot admin's own chat (escalations of overdue reports)."""
    return f"admin:{user}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DatabaseSettings(_Strict):
    url: str = "sqlite:///data/loa.db"


class CampaignSettings(_Strict):
    paths: list[str] = ["campaigns"]
    # true: the general library campaigns (campaigns.adapt.GENERAL); a list: these ids
    library: bool | list[str] = True
    default_channels: list[str] | None = None
    horizon_days: int = 400


class HttpSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = 8080
    enabled: bool = True
    public_url: str = ""  # how subscribers reach loa, e.g. https://lich.vp.gov.vn
    private_feeds: dict[str, str] = {}  # feed path ("campaign/ID", "all") → env var with its token
    # slow clients: a request's headers must arrive within this time; connections that have not
    # sent a whole request are bounded per client address and in all (the oldest is closed)
    header_timeout_seconds: int = 5
    max_unfinished_per_client: int = 64
    max_unfinished: int = 512
    # sign-in to the pages: a session ends after this long without a request
    session_idle_minutes: int = 480
    # proxies (addresses or networks) whose X-Forwarded-Proto/-For loa believes: the session
    # cookie is Secure when one says https, and wrong passwords are counted per real address
    trusted_proxies: list[str] = []


class DaemonSettings(_Strict):
    reload_seconds: int = 5
    batch_size: int = 500
    max_attempts: int = 8
    retry_base_seconds: int = 5
    # how long a claimed delivery stays this daemon's without a heartbeat (renewed every
    # quarter of it): after a crash, a peer takes its claims back once it runs out
    lease_seconds: int = Field(default=60, ge=2)
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["debug", "info", "warning", "error"] = "info"


class LimitSettings(_Strict):
    enabled: bool = True
    per_target: str | None = None  # "1/1s": at most 1 message a second to one person
    per_group: str | None = None  # "20/60s": to one group or channel
    overall: str | None = None  # "30/1s": through this channel in all


class QuotaSettings(_Strict):
    monthly: int | None = 1000  # proactive messages an OA may send in a month (Zalo's free tier)
    per_user_monthly: int | None = None
    per_user_daily: int | None = None


class BotSettings(_Strict):
    enabled: bool = False  # answer chat commands sent to this channel's bot
    # unset: "polling", or "webhook" for a Zalo OA, which only pushes
    mode: Literal["polling", "webhook"] | None = None

    def mode_for(self, channel_type: str) -> str:
        return self.mode or ("webhook" if channel_type == "zalo_oa" else "polling")

    secret_env: str | None = None  # webhook secret token; for zalo_oa, the OA secret key
    admins: list[str] = []  # user or chat ids allowed the admin commands
    poll_seconds: int = 30  # how long one long poll waits for an update


class ChannelSettings(_Strict):
    type: str
    base_url: str | None = None
    token_env: str | None = None
    path: str | None = None
    oauth_url: str | None = None
    app_id: str | None = None
    secret_env: str | None = None
    targets: dict[str, str | int] = {}
    limits: LimitSettings = LimitSettings()
    quota: QuotaSettings = QuotaSettings()
    bot: BotSettings = BotSettings()
    approval: bool = False  # its messages wait for an approver unless a file says otherwise


class UnitSettings(_Strict):
    """A unit of the registry: ``[units.<id>]``."""

    name: str
    short: str = ""
    aliases: list[str] = []
    chats: list[str] = []  # "channel:alias" or "channel:<platform chat id>"


class ReportSettings(_Strict):
    folder: str = ""  # where ``loa report request`` writes its files; "" is <first path>/bao-cao
    escalate: bool = True  # an overdue unit is reported to its lead unit and the bot admins


ADMINS = "admins"  # an alert target: every bot admin's own chat


class AlertSettings(_Strict):
    """``[alerts]``: who hears about what an operator must act on, and how often."""

    targets: list[str] = []  # "channel:alias", "channel", or "admins"; none: the log alone
    summary_seconds: int = 1800  # an incident that goes on is summed up at most this often
    max_per_hour: int = 12  # alert messages to one target in an hour, whatever happens


class ApprovalSettings(_Strict):
    """``[approval]``: who decides what waits for approval (docs/approval.md)."""

    # a one-person office: whoever last edited a campaign may approve its messages too
    self_approval: bool = False
    # "channel:user id" of a chat user → the loa user (``loa user add``) they are: the same
    # person with the same role decides with /approve as on the page
    chat_users: dict[str, str] = {}


CalendarDay = dt.date | str  # a TOML date, or a day as documents write it ("08/02/2027")


class EventSourceSettings(_Strict):
    """``[events.sources.<name>]``: a system allowed to post events, and the variable holding
    its bearer token (the name is the contract; the token itself never lives in the file)."""

    token_env: str


class EventSettings(_Strict):
    sources: dict[str, EventSourceSettings] = {}


MIN_EVENT_TOKEN = 16  # characters: a bearer token short enough to guess is refused


class CalendarSettings(_Strict):
    """The office's working days: weekend, public holidays, and the swapped days of each year."""

    weekend: list[str] = ["saturday", "sunday"]
    public_holidays: bool = True  # Vietnam's public holidays, from the `holidays` package
    days_off: list[CalendarDay] = []  # nghỉ bù and the office's own days off
    working_days: list[CalendarDay] = []  # làm bù: weekend days the office works
    file: str | None = None  # a TOML file with days_off and working_days, beside config.toml


class CalendarFile(_Strict):
    days_off: list[CalendarDay] = []
    working_days: list[CalendarDay] = []


class ConfigFile(_Strict):
    timezone: str = "Asia/Ho_Chi_Minh"
    language: Literal["vi", "en"] | None = None  # None: not set, so LOA_LANG or vi decides
    database: DatabaseSettings = DatabaseSettings()
    campaigns: CampaignSettings = CampaignSettings()
    http: HttpSettings = HttpSettings()
    daemon: DaemonSettings = DaemonSettings()
    channels: dict[str, ChannelSettings] = {}
    units: dict[str, UnitSettings] = {}
    reports: ReportSettings = ReportSettings()
    alerts: AlertSettings = AlertSettings()
    approval: ApprovalSettings = ApprovalSettings()
    events: EventSettings = EventSettings()
    calendar: CalendarSettings = CalendarSettings()


@dataclass(frozen=True)
class Config:
    """config.toml, with every relative path resolved against the file's folder."""

    path: Path
    root: Path
    data: ConfigFile
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    @property
    def timezone(self) -> str:
        return self.data.timezone

    @property
    def language(self) -> str:
        """The language of loa's texts: LOA_LANG, then this file's ``language``, then vi."""
        return choose_language(self.data.language)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.data.timezone)

    @property
    def campaign_paths(self) -> list[Path]:
        return [*self.library_paths, *(self.root / p for p in self.data.campaigns.paths)]

    @property
    def library_paths(self) -> list[Path]:
        """The ready campaigns this office chose: the general ones, those it names, or none."""
        chosen = self.data.campaigns.library
        if chosen is False:
            return []
        return library_files(GENERAL if chosen is True else chosen)

    @property
    def database_url(self) -> str:
        url = self.data.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.root / url[len(prefix) :])
        return url

    @property
    def horizon(self) -> dt.timedelta:
        return dt.timedelta(days=self.data.campaigns.horizon_days)

    def addresses(self) -> dict[tuple[str, str], str]:
        """(channel, alias) to platform id; ("x", "") is the channel itself."""
        out: dict[tuple[str, str], str] = {}
        for name, settings in self.data.channels.items():
            out[(name, "")] = ""
            for alias, address in settings.targets.items():
                out[(name, alias)] = str(address)
            for admin in settings.bot.admins if settings.bot.enabled else ():
                out[(name, admin_target(str(admin)))] = str(admin)
        for unit_id, unit in self.data.units.items():
            for spec in unit.chats:
                channel, _, chat = spec.partition(":")
                if (
                    channel in self.data.channels
                    and chat not in self.data.channels[channel].targets
                ):
                    out[(channel, unit_target(unit_id, chat))] = chat
        return out

    def units(self) -> UnitRegistry:
        """The units registry, each chat as the outbox target it is sent to."""
        found = {}
        for unit_id, unit in self.data.units.items():
            targets = []
            for spec in unit.chats:
                channel, _, chat = spec.partition(":")
                known = self.data.channels.get(channel)
                if known is not None:
                    targets.append(
                        (channel, chat if chat in known.targets else unit_target(unit_id, chat))
                    )
            found[unit_id] = Unit(
                unit_id, unit.name.strip(), unit.short.strip(), tuple(unit.aliases), tuple(targets)
            )
        return UnitRegistry(found, self.addresses())

    @property
    def reports_folder(self) -> Path:
        folder = self.data.reports.folder
        if folder:
            return self.root / folder
        return self.root / (self.data.campaigns.paths or ["campaigns"])[0] / "bao-cao"

    def secret_values(self) -> list[str]:
        """The values of every environment variable config.toml names, to keep out of logs."""
        names = [
            n
            for s in self.data.channels.values()
            for n in (s.token_env, s.secret_env, s.bot.secret_env)
            if n
        ]
        names += list(self.data.http.private_feeds.values())
        names += [s.token_env for s in self.data.events.sources.values()]
        return [os.environ[n] for n in names if os.environ.get(n)]

    def feed_tokens(self) -> dict[str, str]:
        """Private feeds and their tokens, read from the environment variables config names."""
        return {path: os.environ.get(env, "") for path, env in self.data.http.private_feeds.items()}

    def event_tokens(self) -> dict[str, str]:
        """Each event source's bearer token, read from the variable config.toml names."""
        sources = self.data.events.sources
        return {name: os.environ.get(s.token_env, "") for name, s in sources.items()}

    def limits(self, name: str) -> ChannelLimits | None:
        """The channel's rate limits: the platform's defaults, with config.toml's overrides."""
        settings = self.data.channels[name]
        if not settings.limits.enabled:
            return None
        base = DEFAULT_LIMITS.get(settings.type)
        if base is None and not any(
            (settings.limits.per_target, settings.limits.per_group, settings.limits.overall)
        ):
            return None
        base = base or ChannelLimits()

        def pick(value: str | None, default: Window | None) -> Window | None:
            return Window.parse(value) if value is not None else default

        return ChannelLimits(
            per_target=pick(settings.limits.per_target, base.per_target),
            per_group=pick(settings.limits.per_group, base.per_group),
            overall=pick(settings.limits.overall, base.overall),
        )

    def channel(self, name: str) -> ChannelSettings:
        return self.data.channels[name]

    def resolve_path(self, value: str) -> Path:
        return self.root / value

    def catalog(self) -> ChannelCatalog:
        targets = {
            name: tuple(str(alias) for alias in settings.targets)
            for name, settings in self.data.channels.items()
        }
        chats = frozenset(n for n, s in self.data.channels.items() if s.type in NETWORK_TYPES)
        approval = frozenset(n for n, s in self.data.channels.items() if s.approval)
        found = ChannelCatalog(
            targets=targets, addresses=self.addresses(), needs_target=chats, approval=approval
        )
        defaults = self.data.campaigns.default_channels
        if defaults is None:
            # every channel that reaches someone (a chat platform without targets reaches
            # nobody); with a bot to /subscribe through, a chat that subscribes gets what
            # everyone gets
            defaults = [n for n in targets if not found.names_no_chat(n)]
            defaults += SPECIAL_CHANNELS if self.bots() else ()
        return replace(found, defaults=tuple(defaults), calendar=self.calendar, units=self.units())

    def bots(self) -> dict[str, ChannelSettings]:
        """The channels whose bots answer chat commands."""
        return {name: s for name, s in self.data.channels.items() if s.bot.enabled}

    def admin_chats(self) -> list[tuple[str, str]]:
        """(channel, outbox target) of every bot admin's own chat."""
        return [
            (name, admin_target(str(user)))
            for name, settings in self.bots().items()
            for user in settings.bot.admins
        ]

    def approver_routes(self) -> list[tuple[str, str]]:
        """(channel, outbox target) of each approver's own chat (``[approval] chat_users``),
        told what waits for approval; one who is also a bot admin hears it there once."""
        from scheduler.subscriptions import chat_target

        admins = set(self.admin_chats())
        routes = []
        for spec in self.data.approval.chat_users:
            channel, _, user = spec.partition(":")
            if (channel, admin_target(user)) not in admins:
                routes.append((channel, chat_target(user)))
        return routes

    def alert_routes(self) -> list[tuple[str, str]]:
        """(channel, target) of each chat ``[alerts] targets`` names, each once."""
        routes: dict[tuple[str, str], None] = {}
        for spec in self.data.alerts.targets:
            if spec == ADMINS:
                routes.update(dict.fromkeys(self.admin_chats()))
            else:  # a channel alone is every chat declared for it, as in a campaign file
                channel, _, alias = spec.partition(":")
                aliases = [alias] if alias else list(self.data.channels[channel].targets) or [""]
                routes.update(dict.fromkeys((channel, a) for a in aliases))
        return list(routes)


def _check_bot(
    settings: ChannelSettings,
    where: tuple[str, ...],
    http: HttpSettings,
    report: Callable[..., None],
) -> None:
    bot = settings.bot
    if not bot.enabled:
        return
    if settings.type not in NETWORK_TYPES:
        report((*where, "enabled"), t("bot_channel_type", type=settings.type))
        return
    if bot.mode_for(settings.type) != "webhook" and settings.type == "zalo_oa":
        report((*where, "mode"), t("bot_oa_webhook_only"))
    if bot.mode_for(settings.type) == "webhook":
        if not bot.secret_env:
            report((*where, "secret_env"), t("channel_needs", type="bot", key="secret_env"))
        elif not os.environ.get(bot.secret_env):
            report((*where, "secret_env"), t("bot_secret_missing", env=bot.secret_env))
        elif settings.type != "zalo_oa" and not WEBHOOK_SECRET.fullmatch(
            os.environ[bot.secret_env]
        ):
            report((*where, "secret_env"), t("bot_secret_form", env=bot.secret_env))
        if not http.enabled:
            report((*where, "mode"), t("bot_webhook_needs_http"))
    if not 1 <= bot.poll_seconds <= 50:
        report((*where, "poll_seconds"), t("wrong_type", expected="1–50"))


def _check_units(parsed: ConfigFile, report: Callable[..., None]) -> None:
    """Every unit has an id, a name and chats on configured channels; no two units share a
    name, since a campaign file could not tell which one it means."""
    owner: dict[str, str] = {}
    for unit_id, unit in parsed.units.items():
        base = ("units", unit_id)
        if not ID_PATTERN.match(unit_id):
            report(base, t("bad_id", value=unit_id), t("bad_id_hint"))
        if not unit.name.strip():
            report((*base, "name"), t("empty_text"))
        names: list[tuple[tuple[str | int, ...], str]] = [
            (base, unit_id), ((*base, "name"), unit.name), ((*base, "short"), unit.short),
            *(((*base, "aliases", j), alias) for j, alias in enumerate(unit.aliases)),
        ]  # fmt: skip
        for where, name in names:
            other = owner.setdefault(fold(name), unit_id) if name.strip() else unit_id
            if other != unit_id:
                report(where, t("unit_name_taken", value=name, other=other))
        for j, spec in enumerate(unit.chats):
            channel, _, chat = spec.partition(":")
            settings = parsed.channels.get(channel)
            if settings is None or not chat:
                known = ", ".join(parsed.channels) or "—"
                report(
                    (*base, "chats", j),
                    t("unit_chat_bad", value=spec),
                    t("unit_chat_hint", names=known),
                )


def _check_target(
    parsed: ConfigFile, spec: str, spot: tuple[str | int, ...], report: Callable[..., None]
) -> None:
    """``spec`` ("channel" or "channel:alias") names a configured channel that reaches a chat."""
    name, _, alias = spec.partition(":")
    settings = parsed.channels.get(name)
    if settings is None or (alias and alias not in settings.targets):
        report(spot, t("unknown_channel", value=spec))
    elif not alias and settings.type in NETWORK_TYPES and not settings.targets:
        # it names no chat: every message to it would fail at the platform
        report(
            spot,
            t("channel_without_targets", channel=name),
            t("channel_without_targets_hint", channel=name),
        )


def _check_event_sources(parsed: ConfigFile, report: Callable[..., None]) -> None:
    """Each source has a name fit for the audit log and its own token, long enough, set in
    the environment: a source whose variable is missing is an error, not a source that
    quietly answers 401 to everything."""
    owners: dict[str, str] = {}
    for name, source in parsed.events.sources.items():
        where = ("events", "sources", name)
        if not ID_PATTERN.match(name):
            report(where, t("bad_id", value=name), t("bad_id_hint"))
        token = os.environ.get(source.token_env, "")
        if not token:
            report((*where, "token_env"), t("event_token_missing", env=source.token_env),
                   t("event_token_hint"))  # fmt: skip
        elif len(token) < MIN_EVENT_TOKEN or token != token.strip():
            report((*where, "token_env"),
                   t("event_token_short", env=source.token_env, min=MIN_EVENT_TOKEN),
                   t("event_token_hint"))  # fmt: skip
        elif owners.setdefault(token, name) != name:
            report((*where, "token_env"), t("event_token_shared", other=owners[token]))


def _check_alerts(parsed: ConfigFile, report: Callable[..., None]) -> None:
    settings = parsed.alerts
    for j, spec in enumerate(settings.targets):
        spot = ("alerts", "targets", j)
        if spec != ADMINS:
            _check_target(parsed, spec, spot, report)
        elif not any(s.bot.enabled and s.bot.admins for s in parsed.channels.values()):
            report(spot, t("alerts_no_admins"), t("alerts_no_admins_hint"))
    for key in ("summary_seconds", "max_per_hour"):
        if getattr(settings, key) < 1:
            report(("alerts", key), t("wrong_type", expected="≥ 1"))


def _check_approval(parsed: ConfigFile, report: Callable[..., None]) -> None:
    """Each chat user of ``[approval.chat_users]`` writes to a channel whose bot answers."""
    for spec in parsed.approval.chat_users:
        channel, _, user = spec.partition(":")
        settings = parsed.channels.get(channel)
        if not user or settings is None or not settings.bot.enabled:
            bots = ", ".join(n for n, s in parsed.channels.items() if s.bot.enabled) or "—"
            report(("approval", "chat_users", spec), t("approval_chat_user_bad", value=spec),
                   t("approval_chat_user_hint", bots=bots))  # fmt: skip


HOLIDAY_YEARS = range(2000, 2100)  # the years campaigns.lunar covers, and then some


@functools.cache
def public_holidays() -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    """Vietnam's public holidays by name (Tết, Giỗ Tổ Hùng Vương, …) and the weekend days the
    government's decisions made working days, as the `holidays` package knows them."""
    import holidays

    found = holidays.country_holidays("VN", years=HOLIDAY_YEARS, language="vi")
    return dict(found.items()), frozenset(found.weekend_workdays)


def _calendar_day(value: CalendarDay) -> dt.date | None:
    if isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    with contextlib.suppress(ValueError):
        return dt.date.fromisoformat(value.strip())
    written = read_date(" ".join(value.strip().split()))
    if written is None or written.year is None:
        return None
    return dt.date(written.year, written.month, written.day)


def build_calendar(
    settings: CalendarSettings, root: Path, report: Callable[..., None]
) -> WorkCalendar:
    """The office's WorkCalendar from [calendar]; each wrong value is reported by its key."""
    weekend: set[int] = set()
    for i, name in enumerate(settings.weekend):
        weekday = WEEKDAY_NAMES.get(" ".join(name.strip().lower().split()))
        if weekday is None:
            report(("calendar", "weekend", i), t("bad_weekend_day", value=name),
                   t("bad_weekend_day_hint"))  # fmt: skip
        else:
            weekend.add(weekday)
    lists = {"days_off": list(settings.days_off), "working_days": list(settings.working_days)}
    where: dict[str, list[tuple[str | int, ...]]] = {
        key: [("calendar", key, i) for i in range(len(values))] for key, values in lists.items()
    }
    if settings.file is not None:
        extra = _calendar_file(root / settings.file, report)
        for key in lists:
            values = getattr(extra, key)
            lists[key] += values
            where[key] += [("calendar", "file")] * len(values)
    days: dict[str, set[dt.date]] = {key: set() for key in lists}
    for key, values in lists.items():
        for value, loc in zip(values, where[key], strict=True):
            try:
                day = _calendar_day(value)
            except ExpressionError as exc:
                report(loc, exc.message, exc.hint)
                continue
            if day is None:
                report(loc, t("bad_calendar_day", value=value), t("bad_calendar_day_hint"))
            else:
                days[key].add(day)
    holidays, worked = public_holidays() if settings.public_holidays else ({}, frozenset())
    return WorkCalendar(
        weekend=frozenset(weekend),
        holidays=holidays,
        days_off=frozenset(days["days_off"]),
        working_days=(worked - days["days_off"]) | days["working_days"],
    )


def _calendar_file(path: Path, report: Callable[..., None]) -> CalendarFile:
    try:
        return CalendarFile.model_validate(tomllib.loads(path.read_text("utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValidationError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc).splitlines()[0]
        report(("calendar", "file"), t("calendar_file_bad", path=path, reason=reason),
               t("calendar_file_bad_hint"))  # fmt: skip
        return CalendarFile()


def configured_language(path: Path) -> str | None:
    """The ``language`` a config file sets, read without checking the rest of the file.

    Texts shown before the file is checked (``--help``, the file's own errors) follow it too.
    None when the file is unreadable or names no known language.
    """
    try:
        value = tomllib.loads(path.read_text("utf-8")).get("language")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    return value if isinstance(value, str) and value in LANGUAGES else None


def load_config(path: Path) -> Config:
    """Read and check config.toml; raise ValidationFailed with every problem found."""
    name = str(path)
    if not path.is_file():
        raise ValidationFailed(
            [Problem(name, 0, "", t("config_missing", path=path), t("config_missing_hint"))]
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ValidationFailed([Problem(name, 0, "", t("not_utf8"), t("not_utf8_hint"))]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed([toml_problem(name, exc, text)]) from None
    index = LineIndex(text)
    problems: list[Problem] = []

    def report(loc: tuple[str | int, ...], message: str, hint: str = "") -> None:
        problems.append(Problem(name, index.line_of(loc), dotted(loc), message, hint))

    try:
        parsed = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(pydantic_problems(exc, ConfigFile, data, (), name, index)) from None

    if not valid_timezone(parsed.timezone):
        report(
            ("timezone",), t("unknown_timezone", value=parsed.timezone), t("unknown_timezone_hint")
        )
    for key in ("reload_seconds", "batch_size", "max_attempts", "retry_base_seconds"):
        if getattr(parsed.daemon, key) < 1:
            report(("daemon", key), t("wrong_type", expected="≥ 1"))
    if isinstance(parsed.campaigns.library, list):
        for j, campaign_id in enumerate(parsed.campaigns.library):
            if campaign_id not in library_index():
                report(
                    ("campaigns", "library", j),
                    t("unknown_library_campaign", value=campaign_id),
                    unknown_library_hint(campaign_id),
                )
    if parsed.campaigns.horizon_days < 1:
        report(("campaigns", "horizon_days"), t("wrong_type", expected="≥ 1"))
    for key in (
        "header_timeout_seconds", "max_unfinished_per_client", "max_unfinished",
        "session_idle_minutes",
    ):  # fmt: skip
        if getattr(parsed.http, key) < 1:
            report(("http", key), t("wrong_type", expected="≥ 1"))
    for feed, env in parsed.http.private_feeds.items():
        where = ("http", "private_feeds", feed)
        if not re.fullmatch(r"all|(campaign|unit|tag)/[\w -]+", feed):
            report(where, t("bad_feed_path", value=feed), t("bad_feed_path_hint"))
        elif not os.environ.get(env):
            report(where, t("feed_token_missing", env=env))
    for j, proxy in enumerate(parsed.http.trusted_proxies):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            report(("http", "trusted_proxies", j), t("bad_proxy", value=proxy), t("bad_proxy_hint"))
    if not 0 <= parsed.http.port <= 65535:
        report(("http", "port"), t("bad_port"))
    for channel, settings in parsed.channels.items():
        base = ("channels", channel)
        if not ID_PATTERN.match(channel):
            report(base, t("bad_id", value=channel), t("bad_id_hint"))
        if settings.type not in CHANNEL_TYPES:
            close = difflib.get_close_matches(settings.type, CHANNEL_TYPES, n=1)
            hint = t("did_you_mean", suggestion=close[0]) if close else ", ".join(CHANNEL_TYPES)
            report((*base, "type"), t("bad_channel_type", value=settings.type), hint)
        if settings.type == "file" and not settings.path:
            report((*base, "path"), t("channel_needs", type="file", key="path"))
        if settings.type in NETWORK_TYPES and not settings.token_env:
            report((*base, "token_env"), t("channel_needs", type=settings.type, key="token_env"))
        if settings.type == "zalo_oa":
            for key in ("app_id", "secret_env"):
                if not getattr(settings, key):
                    report((*base, key), t("channel_needs", type="zalo_oa", key=key))
        if settings.base_url is not None and not settings.base_url.startswith(
            ("http://", "https://")
        ):
            report((*base, "base_url"), t("bad_url", value=settings.base_url))
        for key in ("per_target", "per_group", "overall"):
            value = getattr(settings.limits, key)
            if value is not None:
                try:
                    Window.parse(value)
                except ExpressionError as exc:
                    report((*base, "limits", key), exc.message, exc.hint)
        for alias in settings.targets:
            if not ID_PATTERN.match(alias):
                report((*base, "targets", alias), t("bad_id", value=alias), t("bad_id_hint"))
        _check_bot(settings, (*base, "bot"), parsed.http, report)
    _check_units(parsed, report)
    folder = Path(parsed.reports.folder)
    if parsed.reports.folder and not any(
        folder == Path(p) or Path(p) in folder.parents for p in parsed.campaigns.paths
    ):
        report(("reports", "folder"), t("reports_folder_outside"), t("reports_folder_hint"))
    for j, spec in enumerate(parsed.campaigns.default_channels or []):
        name_, _, alias = spec.partition(":")
        if name_ in SPECIAL_CHANNELS and not alias:
            continue
        _check_target(parsed, spec, ("campaigns", "default_channels", j), report)
    _check_alerts(parsed, report)
    _check_approval(parsed, report)
    _check_event_sources(parsed, report)
    root = path.resolve().parent
    calendar = build_calendar(parsed.calendar, root, report)
    if problems:
        raise ValidationFailed(problems)
    return Config(path=path, root=root, data=parsed, calendar=calendar)
