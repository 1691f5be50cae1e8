"""The command core: a chat command and who sent it in, the reply out. No platform code.

Everything a platform adapter needs to know is in ``Request`` (which chat, which user, the
text, the user's app language) and ``Reply`` (the pages to send back, and what the daemon
must do next: re-sync after a subscription changed, wake the engine after /retry or /resume).
Answers read the store; the admin commands write it and the audit log.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from campaigns.dates import format_date, format_datetime
from campaigns.i18n import LANGUAGES, named, t
from campaigns.model import Campaign, ChannelCatalog
from scheduler import audit, pausing, reports, subscriptions
from scheduler.bot import approving, queries
from scheduler.bot.paging import paginate
from scheduler.bot.parse import Command, for_other_bot, parse_command
from scheduler.events.intake import Occurred, Refused, Sender, intake
from scheduler.http.feeds import Privacy, feed_path
from scheduler.store import outbox
from scheduler.sync import EDITABLE

DEFAULT_COUNT = 10
MAX_COUNT = 500
MAX_DAYS = 400
SHOWN_ARGUMENT = 40  # characters of a bad argument quoted back to the user
_COUNT = re.compile(r"^(\d{1,6})$")
_DAYS = re.compile(r"^(\d{1,6})\s*(d|ngày|ngay)$", re.I)

USER_COMMANDS = (
    "start", "help", "campaigns", "upcoming", "today", "week", "campaign", "feed",
    "subscribe", "unsubscribe", "lang", "nop", "baocao",
)  # fmt: skip
ADMIN_COMMANDS = ("status", "pause", "resume", "retry", "trigger")
KNOWN_COMMANDS = frozenset((*USER_COMMANDS, *ADMIN_COMMANDS, *approving.COMMANDS))


@dataclass(frozen=True)
class Request:
    channel: str  # the loa channel the message came through (config.toml's name)
    chat: str  # where to answer
    user: str  # who wrote
    text: str
    language: str = ""  # the user's app language when the platform says ("en", "vi-VN")
    is_group: bool = False
    bot_username: str = ""  # for "/help@thisbot"; "" when the platform has no such thing


@dataclass
class Reply:
    pages: list[str] = field(default_factory=list)
    resync: bool = False  # subscriptions changed: the campaign's deliveries must follow
    wake: bool = False  # the outbox changed: the engine should look again now
    failed: bool = False  # an admin command that did nothing (bad arguments): audited so


@dataclass(frozen=True)
class BotSettings:
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    admins: Mapping[str, frozenset[str]] = field(default_factory=dict)  # channel → chat/user ids
    feed_base: Callable[[], str] = lambda: ""  # "" when loa publishes no feeds
    # [http] private_feeds: their campaigns are private, answered only to chats allowed them
    private_feeds: frozenset[str] = frozenset()
    sends_to_subscribers: Callable[[str], bool] = lambda campaign: True
    catalog: ChannelCatalog = field(default_factory=ChannelCatalog)  # where /retry may send
    # "channel:user id" → the loa user deciding with /approve ([approval] chat_users)
    approvers: Mapping[str, str] = field(default_factory=dict)
    self_approval: bool = False  # [approval] self_approval
    # the running campaigns, whose triggers /trigger starts (blocking: the core runs in a thread)
    campaigns: Callable[[], Sequence[Campaign]] = list


class CommandCore:
    def __init__(
        self,
        db: Engine,
        settings: BotSettings,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.tz = ZoneInfo(settings.timezone)
        self.privacy = Privacy.of(settings.private_feeds)

    # -- entry ---------------------------------------------------------------------------

    def handle(self, request: Request, limit: int) -> Reply | None:
        """The reply to one message, paged within ``limit``; None when loa should stay quiet
        (a plain message in a group, a command for another bot). In a group an unknown command
        not addressed to loa (``/warn``, not ``/warn@loabot``) is taken to be another bot's."""
        command = parse_command(request.text)
        if command is None:
            if request.is_group:
                return None
            lang = self.language(request)
            return Reply(paginate([t("bot_not_a_command", lang)], limit))
        if request.is_group and (
            for_other_bot(command, request.bot_username)
            or (not command.addressed_to and command.name not in KNOWN_COMMANDS)
        ):
            return None
        lang = self.language(request)
        reply = self._answer(command, request, lang)
        reply.pages = paginate(reply.pages, limit)
        return reply

    def language(self, request: Request) -> str:
        chosen = subscriptions.chat_language(self.db, request.channel, request.chat)
        if chosen in LANGUAGES:
            return chosen
        app = request.language.lower()[:2]
        if app in LANGUAGES:
            return app
        return self.settings.language

    def is_admin(self, request: Request) -> bool:
        allowed = self.settings.admins.get(request.channel, frozenset())
        return request.user in allowed or request.chat in allowed

    def sees_private(self, request: Request) -> bool:
        """Whether the answer may show private campaigns: the chat it goes to is listed in the
        bot's admins, or it is an admin's own private chat. An admin asking in a group not
        listed gets the public answer, since every member of the group reads it."""
        allowed = self.settings.admins.get(request.channel, frozenset())
        return request.chat in allowed or (not request.is_group and request.user in allowed)

    def hidden(self, request: Request) -> frozenset[str]:
        """The private campaigns this chat's answers leave out (none for a chat allowed them)."""
        if self.sees_private(request) or not self.privacy.feeds:
            return frozenset()
        return self.privacy.hidden(queries.known_ids(self.db))

    def _answer(self, command: Command, request: Request, lang: str) -> Reply:
        name = command.name
        if name in ADMIN_COMMANDS:
            return self._admin(command, request, lang)
        if name in approving.COMMANDS:
            lines, changed = approving.answer(
                self.db, command, request.channel, request.user, self.settings.approvers,
                self.clock(), self.tz, self.settings.self_approval, lang,
            )  # fmt: skip
            return Reply(lines, wake=changed)
        handler = getattr(self, f"_cmd_{name}", None) if name in USER_COMMANDS else None
        if handler is None:
            known = [*USER_COMMANDS, *(ADMIN_COMMANDS if self.is_admin(request) else ())]
            close = difflib.get_close_matches(name, known, n=1)
            hint = t("bot_did_you_mean", lang, command="/" + close[0]) if close else ""
            shown = _shown("/" + name)
            return Reply([t("bot_unknown_command", lang, command=shown) + hint])
        result: Reply = handler(command, request, lang)
        return result

    # -- everyone ------------------------------------------------------------------------

    def _cmd_start(self, command: Command, request: Request, lang: str) -> Reply:
        return self._cmd_help(command, request, lang)

    def _cmd_help(self, command: Command, request: Request, lang: str) -> Reply:
        lines = [t("bot_intro", lang), ""]
        lines += [f"/{name} — {t(f'bot_help_{name}', lang)}" for name in USER_COMMANDS[2:]]
        if self.is_admin(request):
            lines += ["", t("bot_admin_commands", lang)]
            lines += [f"/{name} — {t(f'bot_help_{name}', lang)}" for name in ADMIN_COMMANDS]
        if approving.linked(self.settings.approvers, request.channel, request.user):
            lines += ["", t("bot_approval_commands", lang)]
            lines += [f"/{name} — {t(f'bot_help_{name}', lang)}" for name in approving.COMMANDS]
        return Reply(lines)

    def _cmd_campaigns(self, command: Command, request: Request, lang: str) -> Reply:
        now = self.clock()
        found = queries.campaigns(self.db, now, self.hidden(request))
        if not found:
            return Reply([t("bot_no_campaigns", lang)])
        lines = [t("bot_campaigns_title", lang)]
        for info in found:
            lines.append(self._campaign_line(info, lang))
        lines += ["", t("bot_campaign_more", lang)]
        return Reply(lines)

    def _campaign_line(self, info: queries.CampaignInfo, lang: str) -> str:
        if info.ongoing and info.ongoing_until is not None:
            when = t("bot_ongoing_until", lang, date=self._day(info.ongoing_until, lang, end=True))
        elif info.first is not None:
            when = t("bot_starts", lang, date=self._day(info.first, lang))
        else:
            when = ""
        paused = f" {t('bot_paused_mark', lang)}" if info.paused else ""
        return f"• {_one_line(info.title)} ({info.id}){paused} — {when}"

    def _cmd_upcoming(self, command: Command, request: Request, lang: str) -> Reply:
        now = self.clock()
        arg = command.args[0] if command.args else ""
        if len(command.args) > 1:
            return Reply([t("bot_upcoming_usage", lang)])
        if not arg:
            count: int | None = DEFAULT_COUNT
            until = None
        elif match := _COUNT.match(arg):
            count, until = int(match.group(1)), None
            if not 1 <= count <= MAX_COUNT:
                return Reply([t("bot_count_range", lang, max=MAX_COUNT)])
        elif match := _DAYS.match(arg):
            days = int(match.group(1))
            if not 1 <= days <= MAX_DAYS:
                return Reply([t("bot_days_range", lang, max=MAX_DAYS)])
            count, until = None, now + dt.timedelta(days=days)
        else:
            return Reply([t("bot_upcoming_usage", lang)])
        rows = queries.items(
            self.db, now, until, count or MAX_COUNT + 1, hidden=self.hidden(request)
        )
        reply = self._item_list(t("bot_upcoming_title", lang), rows[:MAX_COUNT], lang)
        if len(rows) > MAX_COUNT:
            reply.pages.append(t("bot_list_cut", lang, count=MAX_COUNT))
        return reply

    def _cmd_today(self, command: Command, request: Request, lang: str) -> Reply:
        start = self._local_midnight(self.clock())
        rows = queries.items(
            self.db, start, start + dt.timedelta(days=1), overlapping=True,
            hidden=self.hidden(request),
        )  # fmt: skip
        title = t("bot_today_title", lang, date=format_date(start, lang))
        return self._item_list(title, rows, lang)

    def _cmd_week(self, command: Command, request: Request, lang: str) -> Reply:
        today = self._local_midnight(self.clock())
        monday = today - dt.timedelta(days=today.weekday())
        sunday = monday + dt.timedelta(days=6)
        rows = queries.items(
            self.db, monday, monday + dt.timedelta(days=7), overlapping=True,
            hidden=self.hidden(request),
        )  # fmt: skip
        title = t("bot_week_title", lang, start=format_date(monday, lang),
                  end=format_date(sunday, lang))  # fmt: skip
        return self._item_list(title, rows, lang)

    def _cmd_campaign(self, command: Command, request: Request, lang: str) -> Reply:
        found = self._campaign_arg(command, request, lang, "campaign")
        if isinstance(found, Reply):
            return found
        info = found
        lines = [f"{_one_line(info.title)} ({info.id})"]
        if info.paused:
            lines.append(t("bot_paused_mark", lang))
        if info.description:
            lines.append(_shorten(info.description, 600))
        if info.first is not None and info.last is not None:
            lines.append(
                t("bot_period", lang, start=self._day(info.first, lang),
                  end=self._day(info.last, lang, end=True))
            )  # fmt: skip
        leads, partners = queries.units(self.db, info.id)
        name = self.settings.catalog.units.label  # a unit by its name, not its registry id
        leads, partners = [name(u) for u in leads], [name(u) for u in partners]
        if leads:
            lines.append(t("bot_leads", lang, units="; ".join(leads)))
        if partners:
            lines.append(t("bot_partners", lang, units="; ".join(partners)))
        rows = queries.items(self.db, self.clock(), limit=5, campaign=info.id)
        lines.append("")
        lines.append(t("bot_next_items", lang) if rows else t("bot_nothing_coming", lang))
        lines += [self._item_line(row, lang, with_campaign=False) for row in rows]
        lines += ["", t("bot_campaign_actions", lang, id=info.id)]
        return Reply(lines)

    def _cmd_feed(self, command: Command, request: Request, lang: str) -> Reply:
        base = self.settings.feed_base().rstrip("/")
        if not base:
            return Reply([t("bot_feeds_off", lang)])
        if command.args:
            found = self._campaign_arg(command, request, lang, "feed")
            if isinstance(found, Reply):
                return found
            path, title = feed_path("campaign", found.id), found.title
        else:
            path, title = "all", t("bot_all_campaigns", lang)
        if path in self.privacy.feeds:
            return Reply([t("bot_feed_private", lang, title=title)])
        url = f"{base}/feeds/{path}.ics"
        webcal = re.sub(r"^https?://", "webcal://", url)
        return Reply([t("bot_feed", lang, title=title), url, t("bot_feed_webcal", lang), webcal])

    def _cmd_subscribe(self, command: Command, request: Request, lang: str) -> Reply:
        if not command.args:
            return self._subscriptions_of(request, lang, t("bot_subscribe_usage", lang))
        found = self._campaign_arg(command, request, lang, "subscribe")
        if isinstance(found, Reply):
            return found
        new = subscriptions.subscribe(
            self.db, request.channel, request.chat, found.id, self.clock()
        )
        if not new:
            return Reply([t("bot_already_subscribed", lang, title=found.title)])
        lines = [t("bot_subscribed", lang, title=found.title, id=found.id)]
        if not self.settings.sends_to_subscribers(found.id):
            lines.append(t("bot_no_subscriber_messages", lang))
        return Reply(lines, resync=True)

    def _cmd_unsubscribe(self, command: Command, request: Request, lang: str) -> Reply:
        if not command.args:
            return self._subscriptions_of(request, lang, t("bot_unsubscribe_usage", lang))
        if len(command.args) > 1:
            return Reply([t("bot_one_id", lang, command="unsubscribe")])
        wanted = command.args[0].casefold()
        mine = subscriptions.of_chat(self.db, request.channel, request.chat)
        match = next((c for c in mine if c.casefold() == wanted), None)
        if match is None:
            close = difflib.get_close_matches(wanted, mine, n=1)
            hint = t("bot_did_you_mean", lang, command=close[0]) if close else ""
            first = t("bot_not_subscribed", lang, id=_shown(command.args[0])) + hint
            return self._subscriptions_of(request, lang, first)
        subscriptions.unsubscribe(self.db, request.channel, request.chat, match, self.clock())
        return Reply([t("bot_unsubscribed", lang, id=match)], resync=True)

    def _subscriptions_of(self, request: Request, lang: str, first: str) -> Reply:
        mine = subscriptions.of_chat(self.db, request.channel, request.chat)
        lines = [first]
        if mine:
            lines += [t("bot_your_subscriptions", lang), *(f"• {c}" for c in mine)]
        return Reply(lines)

    def _cmd_lang(self, command: Command, request: Request, lang: str) -> Reply:
        wanted = command.args[0].casefold() if len(command.args) == 1 else ""
        if wanted not in LANGUAGES:
            return Reply([t("bot_lang_usage", lang)])
        subscriptions.set_chat_language(self.db, request.channel, request.chat, wanted)
        return Reply([t("bot_lang_set", wanted)])

    def _cmd_nop(self, command: Command, request: Request, lang: str) -> Reply:
        """A unit says it has submitted: the chat it writes from says which unit it is."""
        if not command.args:
            return Reply([t("bot_nop_usage", lang)])
        registry = self.settings.catalog.units
        units = registry.units_of_chat(request.channel, request.chat)
        if not units:
            return Reply([t("bot_nop_not_unit", lang)])
        note = " ".join(command.args[1:])
        by = f"{request.channel}:{request.user}"
        try:
            done = reports.submit(self.db, command.args[0], units, by, note, self.clock(),
                                  registry, self.hidden(request))  # fmt: skip
        except reports.ReportError as exc:
            return Reply([exc.text(lang)])
        code = "bot_nop_again" if done.again else "bot_nop_done"
        lines = [
            t(code, lang, unit=done.unit, title=done.title, due=self._day(done.due, lang),
              at=self._when(done.at, lang))
        ]  # fmt: skip
        if note:
            lines.append(t("bot_nop_note", lang, note=note))
        if done.cancelled:
            lines.append(t("bot_nop_stopped", lang, count=done.cancelled))
        return Reply(lines, wake=True)

    def _cmd_baocao(self, command: Command, request: Request, lang: str) -> Reply:
        if len(command.args) != 1:
            return Reply([t("bot_baocao_usage", lang)])
        try:
            row, lines = reports.status(
                self.db, command.args[0], self.clock(), self.hidden(request)
            )
        except reports.ReportError as exc:
            return Reply([exc.text(lang)])
        title = t("bot_baocao_title", lang, title=row.title, due=self._day(row.due, lang))
        return Reply([title, *reports.table(lines, self.settings.catalog.units, self.tz, lang)])

    # -- admins --------------------------------------------------------------------------

    def _admin(self, command: Command, request: Request, lang: str) -> Reply:
        def log(result: str, detail: str) -> None:
            audit.write(
                self.db, self.clock(), request.channel, request.chat, request.user,
                command.name, command.arguments, result, detail,
            )  # fmt: skip

        if not self.is_admin(request):
            log(audit.REFUSED, audit.NOT_ADMIN)
            return Reply([t("bot_not_admin", lang)])
        try:
            reply: Reply = getattr(self, f"_admin_{command.name}")(command, request, lang)
        except Exception as exc:
            log(audit.ERROR, f"{type(exc).__name__}: {exc}")
            raise
        log(audit.ERROR if reply.failed else audit.OK, reply.pages[0])
        return reply

    def _admin_status(self, command: Command, request: Request, lang: str) -> Reply:
        counts = outbox.counts(self.db)
        lines = [t("bot_status_title", lang)]
        if counts:
            lines += [f"• {named('state', s, lang)}: {n}" for s, n in sorted(counts.items())]
        else:
            lines.append(t("bot_status_empty", lang))
        next_due = outbox.next_wake(self.db)
        if next_due is not None:
            lines.append(t("bot_next_due", lang, when=self._when(next_due, lang)))
        errors = outbox.last_errors(self.db, 5, self.hidden(request))
        if errors:
            lines += ["", t("bot_last_failures", lang)]
            lines += [
                f"• {r.key} [{named('state', r.state, lang)}]: {_shorten(r.last_error, 200)}"
                for r in errors
            ]
        return Reply(lines)

    def _admin_pause(self, command: Command, request: Request, lang: str) -> Reply:
        found = self._campaign_arg(command, request, lang, "pause")
        if isinstance(found, Reply):
            return _refused(found)
        result = pausing.pause(self.db, found.id, self.clock())
        if not result.changed:
            return Reply([t("bot_already_paused", lang, id=found.id)])
        return Reply([t("bot_paused", lang, id=found.id, held=result.held)], wake=True)

    def _admin_resume(self, command: Command, request: Request, lang: str) -> Reply:
        found = self._campaign_arg(command, request, lang, "resume")
        if isinstance(found, Reply):
            return _refused(found)
        result = pausing.resume(self.db, found.id, self.clock())
        if not result.changed:
            return Reply([t("bot_not_paused", lang, id=found.id)])
        text = t("bot_resumed", lang, id=found.id, resumed=result.resumed, missed=result.missed)
        return Reply([text], wake=True)

    def _admin_retry(self, command: Command, request: Request, lang: str) -> Reply:
        if len(command.args) != 1:
            return _refused(Reply([t("bot_retry_usage", lang)]))
        key = command.args[0]
        result = outbox.retry(self.db, self.clock(), self.settings.catalog, key)
        if result.refused:
            return _refused(Reply([_retry_refusal(r, lang) for r in result.refused]))
        if result.count == 0:
            state = outbox.state_of(self.db, key)
            if state is None:
                return _refused(Reply([t("bot_no_delivery", lang, key=_shown(key))]))
            shown = named("state", state, lang)
            return _refused(Reply([t("bot_cannot_retry", lang, key=_shown(key), state=shown)]))
        return Reply([t("bot_retried", lang, key=key)], wake=True)

    def _admin_trigger(self, command: Command, request: Request, lang: str) -> Reply:
        """An event from a chat, through the one intake: the answer lists what it scheduled,
        each message with its time in the office's time zone and where it goes."""
        incoming = _event_of(command)
        if isinstance(incoming, str):
            return _refused(Reply([t(incoming, lang), t("bot_trigger_usage", lang)]))
        sender = Sender("chat", f"{request.channel}:{request.user}")
        result = intake(self.db, self.settings.campaigns(), self.settings.catalog, incoming,
                        sender, self.clock())  # fmt: skip
        if isinstance(result, Refused):
            return _refused(Reply([t("event_refused", lang, reason=result.sentence(lang))]))
        lines = [result.sentence(lang)]
        for planned in result.deliveries:
            if planned.state in EDITABLE:
                where = f"{planned.channel}:{planned.target}" if planned.target else planned.channel
                text = _shorten(planned.text, 80) if planned.text else "—"
                lines.append(f"• {self._when(planned.due, lang)} → {where}: {text}")
        return Reply(lines, wake=result.outcome != "unchanged")

    # -- helpers -------------------------------------------------------------------------

    def _campaign_arg(
        self, command: Command, request: Request, lang: str, name: str
    ) -> queries.CampaignInfo | Reply:
        """The campaign the command names; a private one the chat may not see is unknown to
        it, with no hint either."""
        if len(command.args) != 1:
            return Reply([t("bot_one_id", lang, command=name)])
        wanted = command.args[0]
        ids = queries.known_ids(self.db, self.hidden(request))
        exact = next((i for i in ids if i.casefold() == wanted.casefold()), None)
        info = queries.campaign(self.db, exact, self.clock()) if exact else None
        if info is None:
            close = difflib.get_close_matches(wanted.casefold(), ids, n=1)
            hint = t("bot_did_you_mean", lang, command=close[0]) if close else ""
            return Reply([t("bot_unknown_campaign", lang, id=_shown(wanted)) + hint])
        return info

    def _item_list(self, title: str, rows: list[Any], lang: str) -> Reply:
        if not rows:
            return Reply([title, t("bot_nothing_coming", lang)])
        return Reply([title, *(self._item_line(row, lang) for row in rows)])

    def _item_line(self, row: Any, lang: str, with_campaign: bool = True) -> str:
        if row.all_day:
            when = self._day(row.start, lang)
            if row.end is not None and row.end - row.start > dt.timedelta(days=1):
                when = f"{when} → {self._day(row.end, lang, end=True)}"
        else:
            when = self._when(row.start, lang)
        icon = "⏰" if row.kind == "deadline" else "•"
        deadline = f"{t('bot_deadline', lang)} " if row.kind == "deadline" else ""
        where = f" ({_one_line(row.location)})" if row.location.strip() else ""
        owner = f" [{row.campaign}]" if with_campaign else ""
        return f"{icon} {when} — {deadline}{_one_line(row.title)}{where}{owner}"

    def _local_midnight(self, moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(self.tz)
        return dt.datetime.combine(local.date(), dt.time(), tzinfo=self.tz)

    def _when(self, moment: dt.datetime, lang: str) -> str:
        return format_datetime(moment.astimezone(self.tz), lang)

    def _day(self, moment: dt.datetime, lang: str, end: bool = False) -> str:
        """An all-day item's day; ``end``: the day an exclusive end (a midnight) closes."""
        local = moment.astimezone(self.tz)
        if end and local.time() == dt.time():
            local -= dt.timedelta(days=1)
        return format_date(local, lang)


def _event_of(command: Command) -> Occurred | str:
    """``/trigger TYPE [id=ID] [field=value …]`` as an event, or the catalogue code of what is
    wrong with it; a value with spaces is quoted (``ten_bao="Yagi cấp 12"``)."""
    try:
        words = shlex.split(command.arguments)
    except ValueError:  # an unclosed quote
        return "bot_trigger_quote"
    if not words or "=" in words[0]:
        return "bot_trigger_no_type"
    event_id: str | None = None
    data: dict[str, object] = {}
    for word in words[1:]:
        name, sep, value = word.partition("=")
        if not sep or not name:
            return "bot_trigger_pair"
        if name in data or (name == "id" and event_id is not None):
            return "bot_trigger_twice"
        if name == "id":
            event_id = value
        else:
            data[name] = value
    return Occurred(words[0], event_id, None, data)


def _refused(reply: Reply) -> Reply:
    reply.failed = True
    return reply


def _one_line(text: str) -> str:
    """A title as one line of a list, however its file wrote it."""
    return " ".join(text.split())


def _retry_refusal(refusal: outbox.Refusal, lang: str) -> str:
    """Why /retry left a delivery as it was, for an admin in a chat: the CLI's sentence tells
    the operator what to type (``loa send tg:nhom-vp …``, a config table), which a chat cannot
    do; the chat hears the cause and whom to ask."""
    if refusal.cause == subscriptions.DUPLICATE:
        return t("bot_retry_duplicate", lang, key=refusal.key, reason=refusal.detail)
    cause = t(f"bot_cause_{refusal.cause}", lang, channel=refusal.channel, target=refusal.target)
    return t("bot_retry_never", lang, key=refusal.key, cause=cause)


def _shown(text: str) -> str:
    """A user's argument quoted back: short, on one line."""
    return _shorten(text, SHOWN_ARGUMENT)


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
