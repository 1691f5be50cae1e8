"""One bot: a platform's inbox connected to the command core, replies through its outlet.

The runner polls (or is handed webhook updates), answers each message in order, and keeps its
place: the poll offset is stored after each update, and every answered update is recorded
(``answered``), so neither a restart nor a webhook posted again answers an update twice. A
platform that cannot be reached is retried with backoff and reported in the health the daemon
shows in /healthz and ``loa status``; it never stops the scheduler or the other bots.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select

from campaigns import markup
from campaigns.i18n import t
from channels.base import Channel, OutboundMessage
from channels.errors import AuthError, ChannelError, RecipientGone, TransientError
from channels.inbound import BotCommand, Inbox, Update
from channels.limits import RateLimiter
from channels.redact import redact
from scheduler import alerts, subscriptions
from scheduler.bot import answered
from scheduler.bot.core import USER_COMMANDS, CommandCore, Reply, Request
from scheduler.store import meta
from scheduler.store.tables import Meta
from scheduler.subscriptions import chat_target

log = logging.getLogger("loa.bot")

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
REPLY_TRIES = 3
KEEPS_FAILING = 3  # failures in a row that make an incident for the admins (one is a glitch)
HEALTH_FACT = "bot-health:"
OFFSET_FACT = "bot-offset:"

Effects = Callable[[Reply], Awaitable[None]]


def commands() -> list[BotCommand]:
    """The menu a platform shows (Telegram's setMyCommands); admin commands stay off it."""
    names = [name for name in USER_COMMANDS if name != "start"]
    return [
        BotCommand(name, t(f"bot_help_{name}", "vi")[:256], t(f"bot_help_{name}", "en")[:256])
        for name in names
    ]


@dataclass
class BotHealth:
    channel: str
    state: str = "starting"  # "ok", "failing", "starting" or "stopped"
    since: str = ""
    last_error: str = ""
    mode: str = "polling"
    handled: int = 0

    def summary(self) -> dict[str, str]:
        return {"state": self.state, "since": self.since, "error": self.last_error,
                "mode": self.mode}  # fmt: skip

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def read_health(db: Engine) -> list[BotHealth]:
    """What each bot last reported, for ``loa status`` (the daemon writes it)."""
    meta = Meta.__table__  # type: ignore[attr-defined]
    with db.connect() as conn:
        rows = conn.execute(
            select(meta.c.name, meta.c.value).where(meta.c.name.like(f"{HEALTH_FACT}%"))
        ).all()
    out = []
    for row in rows:
        try:
            out.append(BotHealth(**json.loads(row.value)))
        except (ValueError, TypeError):
            continue
    return sorted(out, key=lambda h: h.channel)


class BotRunner:
    def __init__(
        self,
        inbox: Inbox,
        outlet: Channel,
        core: CommandCore,
        db: Engine,
        effects: Effects,
        mode: str = "polling",
        poll_seconds: float = 30.0,
        webhook_url: str = "",
        limiter: RateLimiter | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.inbox = inbox
        self.outlet = outlet
        self.core = core
        self.db = db
        self.effects = effects
        self.mode = mode
        self.poll_seconds = poll_seconds
        self.webhook_url = webhook_url
        self.limiter = limiter
        self.clock = clock
        self.name = inbox.name
        self.username = ""
        self.ready = asyncio.Event()
        self.health = BotHealth(inbox.name, since=clock().isoformat(), mode=mode)
        self._lock = asyncio.Lock()  # updates are answered one at a time, in order
        self._replies = 0
        self._rng = random.Random()

    # -- health --------------------------------------------------------------------------

    async def _report(self, state: str, error: str = "") -> None:
        error = redact(error)  # the health goes to the database, /healthz and ``loa status``
        if state == self.health.state and error == self.health.last_error:
            return
        if state == "failing":
            log.warning("bot cannot reach its platform", extra={"bot": self.name, "error": error})
        elif state == "ok" and self.health.state == "failing":
            log.info("bot reaches its platform again", extra={"bot": self.name})
            await self._incident(alerts.resolve_incident)
        self.health.state = state
        self.health.last_error = error
        self.health.since = self.clock().isoformat()
        # off the event loop: a database busy with a long sync must not hold up the sends
        await asyncio.to_thread(self._save_health)

    async def _incident(self, change: Callable[..., object], *detail: str) -> None:
        """Raise or resolve this bot's incident for the admins; off the event loop, and never
        at the cost of the bot's own work."""
        try:
            await asyncio.to_thread(
                change, self.db, alerts.BOT_FAILING, self.name, *detail, now=self.clock()
            )
        except Exception as exc:
            log.warning("incident not recorded", extra={"error": type(exc).__name__})

    def _save_health(self) -> None:
        try:
            meta.set_meta(self.db, HEALTH_FACT + self.name, self.health.as_json())
        except Exception:
            log.exception("could not record the bot's health", extra={"bot": self.name})

    # -- the loop ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Prepare, then poll until ``stop`` (webhook mode: prepare and wait)."""
        failures = 0
        while not stop.is_set():
            try:
                if not self.ready.is_set():
                    await self._prepare()
                    self.ready.set()
                    await self._report("ok")
                    failures = 0
                if not self.inbox.polls or self.mode == "webhook":
                    await stop.wait()
                    break
                await self._poll_once(stop)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                await self._report("failing", _reason(exc))
                if failures >= KEEPS_FAILING:
                    await self._incident(alerts.raise_incident, self.health.last_error)
                await _wait(stop, self._backoff(failures))
        self.health.state = "stopped"
        self.health.since = self.clock().isoformat()
        await asyncio.to_thread(self._save_health)

    async def _prepare(self) -> None:
        self.username = await self.inbox.prepare(commands())
        if self.mode == "webhook" and self.webhook_url:
            await self.inbox.set_webhook(self.webhook_url)
        elif self.mode == "polling" and self.inbox.polls:
            await self.inbox.delete_webhook()  # getUpdates refuses to work while one is set

    async def _poll_once(self, stop: asyncio.Event) -> None:
        offset = await asyncio.to_thread(self._offset)
        poll = asyncio.ensure_future(self.inbox.poll(offset, self.poll_seconds))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not poll.done():
            poll.cancel()
            return
        updates = poll.result()
        await self._report("ok")
        for update in updates:
            await self.handle(update)

    def _backoff(self, failures: int) -> float:
        wait: float = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(failures - 1, 10))
        return wait * (0.5 + self._rng.random() / 2)

    def _offset(self) -> int | None:
        stored = meta.get_meta(self.db, OFFSET_FACT + self.name)
        return int(stored) + 1 if stored and stored.lstrip("-").isdigit() else None

    # -- one update ----------------------------------------------------------------------

    async def handle(self, update: Update) -> None:
        """Answer one update; never raises (a bad update must not stop the bot)."""
        async with self._lock:
            key = answered.key_of(update)
            repeat = bool(key) and await asyncio.to_thread(answered.seen, self.db, self.name, key)
            if repeat:
                return  # answered before a restart, or a webhook posted again
            try:
                await self._answer(update)
            except Exception:
                log.exception("could not answer an update", extra={"bot": self.name})
            try:
                await asyncio.to_thread(self._remember, update, key)
            except Exception:  # the answer went out; the next poll may repeat it, no worse
                log.exception("could not store the bot's place", extra={"bot": self.name})
            self.health.handled += 1

    def _remember(self, update: Update, key: str) -> None:
        if update.id is not None and self.mode == "polling":
            meta.set_meta(self.db, OFFSET_FACT + self.name, str(update.id))
        if key:
            prune = self.health.handled % answered.PRUNE_EVERY == 0
            answered.record(self.db, self.name, key, self.clock(), prune)

    async def _answer(self, update: Update) -> None:
        message = update.message
        now = self.clock()
        chat = message.chat if message is not None else update.chat
        if chat and not update.left:
            await asyncio.to_thread(subscriptions.note_inbound, self.db, self.name, chat, now)
        if update.left and update.chat:
            await asyncio.to_thread(self._gone, update.chat, update.left)
        if update.moved_to and update.chat:
            moved = await asyncio.to_thread(
                subscriptions.move_chat, self.db, self.name, update.chat, update.moved_to, now
            )
            if moved:
                await self.effects(Reply(resync=True))
        if message is None:
            log.debug("update ignored", extra={"bot": self.name, "kind": update.kind})
            return
        request = Request(
            channel=self.name,
            chat=message.chat,
            user=message.user,
            text=message.text,
            language=message.language,
            is_group=message.is_group,
            bot_username=self.username,
        )
        try:
            reply = await asyncio.to_thread(self.core.handle, request, self.inbox.text_limit)
        except Exception:
            log.exception("command failed", extra={"bot": self.name})
            lang = self.core.settings.language
            reply = Reply([t("bot_internal_error", lang)])
        if reply is None:
            return
        await self._send(message.chat, reply.pages, message.is_group)
        if reply.resync or reply.wake:
            await self.effects(reply)

    async def _send(self, chat: str, pages: list[str], group: bool) -> None:
        target = chat_target(chat)
        for page in pages:
            self._replies += 1
            message = OutboundMessage(
                key=f"reply:{self.name}:{chat}:{self._replies}",
                campaign="bot",
                item="reply",
                channel=self.name,
                target=target,
                address=chat,
                text=markup.literal(redact(page)),  # shown as written; may quote a platform error
                due=self.clock(),
            )
            if not await self._send_one(message, group):
                return

    async def _send_one(self, message: OutboundMessage, group: bool) -> bool:
        for attempt in range(1, REPLY_TRIES + 1):
            if self.limiter is not None:
                wait, _ = self.limiter.reserve(self.name, message.target, group)
                await asyncio.sleep(wait)
            try:
                await self.outlet.send(message)
                return True
            except RecipientGone as exc:
                await asyncio.to_thread(self._gone, message.address, exc.reason)
                return False
            except TransientError as exc:
                if attempt == REPLY_TRIES:
                    log.warning("reply not sent", extra={"bot": self.name, "error": exc.reason})
                    return False
                if exc.retry_after is not None and self.limiter is not None:
                    self.limiter.hold(self.name, message.target, exc.retry_after)
                await asyncio.sleep(min(exc.retry_after or attempt, BACKOFF_MAX))
            except (AuthError, ChannelError) as exc:
                log.warning("reply not sent", extra={"bot": self.name, "error": exc.reason})
                return False
        return False

    def _gone(self, chat: str, reason: str) -> None:
        with self.db.begin() as conn:
            subscriptions.end(conn, self.name, chat, reason, self.clock())


def _reason(exc: Exception) -> str:
    return exc.reason if isinstance(exc, ChannelError) else f"{type(exc).__name__}: {exc}"


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
