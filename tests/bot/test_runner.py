"""The bot runner between a platform's inbox and the core: replies go out through the outlet
page by page, an update is answered once, a chat that blocked the bot is unsubscribed, and a
platform that cannot be reached is retried and reported without stopping anything."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, select

from channels.base import OutboundMessage, Receipt
from channels.errors import RecipientGone, TransientError
from channels.inbound import BotCommand, InboundMessage, Update
from channels.redact import SECRETS
from scheduler import subscriptions
from scheduler.bot import runner as runner_module
from scheduler.bot.answered import A
from scheduler.bot.core import Reply
from scheduler.bot.runner import BotRunner, read_health
from tests.bot.conftest import (
    CHAT,
    GREEN,
    GREEN_WEEK,
    LATER_KEY,
    NOW,
    Bot,
    D,
    S,
    library,
    many_items,
    parse,
)  # fmt: skip
from tests.store import both_stores


class Outlet:
    name = "tg"
    confirms_delivery = False

    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[OutboundMessage] = []
        self.fail = fail

    async def send(self, message: OutboundMessage) -> Receipt:
        if self.fail is not None:
            raise self.fail
        self.sent.append(message)
        return Receipt(sent_at=NOW)

    async def find_sent(self, keys: Iterable[str]) -> dict[str, Receipt]:
        return {}

    def is_group(self, address: str) -> bool:
        return address.startswith("-")

    async def close(self) -> None:
        return None


class Inbox:
    """A platform that answers polls from a script: updates to hand out, or an error."""

    name = "tg"
    text_limit = 4096
    polls = True

    def __init__(self, script: Sequence[list[Update] | Exception] = ()) -> None:
        self.script = list(script)
        self.offsets: list[int | None] = []
        self.prepared = 0
        self.emptied = asyncio.Event()

    async def prepare(self, commands: Sequence[BotCommand]) -> str:
        self.prepared += 1
        return "LoaBot"

    async def poll(self, offset: int | None, timeout: float) -> list[Update]:
        self.offsets.append(offset)
        if not self.script:
            self.emptied.set()
            await asyncio.sleep(3600)  # a long poll with nothing new: cancelled on stop
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        return None

    def parse(self, payload: Any) -> list[Update]:
        return []

    async def set_webhook(self, url: str) -> None:
        return None

    async def delete_webhook(self) -> None:
        return None


def make(
    bot: Bot, inbox: Inbox, outlet: Outlet, mode: str = "polling"
) -> tuple[BotRunner, list[Reply]]:
    effects: list[Reply] = []

    async def after(reply: Reply) -> None:
        effects.append(reply)

    runner = BotRunner(inbox, outlet, bot.core, bot.db, after, mode, clock=bot.clock)  # type: ignore[arg-type]
    return runner, effects


def message(text: str, chat: str = CHAT) -> InboundMessage:
    return InboundMessage(chat=chat, user=chat, text=text)


def subscription(db: Engine) -> Any:
    with db.connect() as conn:
        return conn.execute(select(S).where(S.c.chat == CHAT)).one()


def state(db: Engine, key: str) -> str | None:
    with db.connect() as conn:
        return conn.execute(select(D.c.state).where(D.c.key == key)).scalar()


@both_stores
async def test_a_long_answer_goes_out_page_by_page_and_is_answered_once(bot: Bot) -> None:
    bot.sync([*library(), parse(GREEN_WEEK), many_items(200)])
    outlet = Outlet()
    runner, _ = make(bot, Inbox(), outlet)
    update = Update(41, message("/upcoming 200"))
    await runner.handle(update)
    pages = [m.text for m in outlet.sent]
    assert len(pages) > 1 and pages[0].startswith(f"(1/{len(pages)})")
    assert {m.address for m in outlet.sent} == {CHAT}
    assert {m.target for m in outlet.sent} == {f"chat:{CHAT}"}  # limits per chat, like sends
    await runner.handle(update)  # delivered again (a retried webhook, a restart)
    assert len(outlet.sent) == len(pages)
    assert runner._offset() == 42


async def test_subscribing_asks_the_daemon_to_sync(bot: Bot) -> None:
    runner, effects = make(bot, Inbox(), Outlet())
    await runner.handle(Update(1, message(f"/subscribe {GREEN}")))
    assert [r.resync for r in effects] == [True]
    assert subscription(bot.db).active


@both_stores
async def test_a_chat_that_blocks_the_bot_is_unsubscribed_with_the_reason(bot: Bot) -> None:
    runner, _ = make(bot, Inbox(), Outlet())
    await runner.handle(Update(1, message(f"/subscribe {GREEN}")))
    bot.sync()
    assert state(bot.db, LATER_KEY) == "pending"
    reason = "Telegram: the bot was blocked (private)"
    await runner.handle(Update(2, None, "my_chat_member", CHAT, reason))
    found = subscription(bot.db)
    assert not found.active and found.ended_reason == reason
    assert state(bot.db, LATER_KEY) == "cancelled"


@both_stores
async def test_a_reply_refused_because_the_chat_is_gone_ends_its_subscriptions(bot: Bot) -> None:
    subscriptions.subscribe(bot.db, "tg", CHAT, GREEN, NOW)
    gone = RecipientGone("Telegram: Forbidden: bot was blocked by the user")
    runner, _ = make(bot, Inbox(), Outlet(fail=gone))
    await runner.handle(Update(1, message("/help")))
    assert not subscription(bot.db).active
    assert "blocked" in subscription(bot.db).ended_reason


async def test_an_unreachable_platform_is_retried_and_reported(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "BACKOFF_FIRST", 0.001)
    outlet = Outlet()
    down = TransientError("Telegram: NetworkError: connection refused")
    inbox = Inbox([down, down, [Update(7, message("/help"))]])
    runner, _ = make(bot, inbox, outlet)
    seen: list[str] = []
    original = runner._report

    async def report(state_: str, error: str = "") -> None:
        seen.append(state_)
        await original(state_, error)

    monkeypatch.setattr(runner, "_report", report)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.wait_for(inbox.emptied.wait(), 10)
    assert "failing" in seen and seen[-1] == "ok"
    assert len(outlet.sent) == 1  # answered once the platform came back
    assert inbox.offsets[-1] == 8  # the next poll confirms update 7
    stop.set()
    await asyncio.wait_for(task, 5)
    assert [h.state for h in read_health(bot.db)] == ["stopped"]
    assert dt.datetime.fromisoformat(read_health(bot.db)[0].since) == NOW


@both_stores
async def test_a_zalo_message_delivered_twice_is_answered_once(bot: Bot) -> None:
    outlet = Outlet()
    runner, _ = make(bot, Inbox(), outlet)
    await runner.handle(Update(None, message("/help"), key="2d0f1a"))
    await runner.handle(Update(None, message("/help"), key="2d0f1a"))  # a retried webhook
    await runner.handle(Update(None, message("/help"), key="9b8c7d"))
    assert len(outlet.sent) == 2
    restarted, _ = make(bot, Inbox(), outlet, "webhook")
    await restarted.handle(Update(None, message("/help"), key="9b8c7d"))  # posted again after
    assert len(outlet.sent) == 2


@both_stores
async def test_webhook_updates_out_of_order_and_posted_again_after_a_restart_are_answered_once(
    bot: Bot,
) -> None:
    outlet = Outlet()
    runner, _ = make(bot, Inbox(), outlet, "webhook")
    for number in (10, 12, 11, 12):  # 11 comes late on another connection; 12 is retried
        await runner.handle(Update(number, message(f"/lang {'en' if number == 12 else 'vi'}")))
    assert len(outlet.sent) == 3
    restarted, _ = make(bot, Inbox(), outlet, "webhook")
    for number in (11, 13):  # 11 retried after the restart (its answer was lost), 13 is new
        await restarted.handle(Update(number, message("/help")))
    assert len(outlet.sent) == 4

    # the records are kept two days, then go
    bot.clock.now += dt.timedelta(days=3)
    later, _ = make(bot, Inbox(), outlet, "webhook")
    await later.handle(Update(14, message("/help")))  # the first update of a run cleans up
    with bot.db.connect() as conn:
        kept = conn.execute(select(A.c.key)).scalars().all()
    assert kept == ["#14"]


@both_stores
async def test_a_group_upgraded_to_a_supergroup_keeps_its_subscriptions(bot: Bot) -> None:
    old, new = "-4001", "-1004001"
    runner, effects = make(bot, Inbox(), Outlet())
    await runner.handle(Update(1, message(f"/subscribe {GREEN}", chat=old)))
    bot.sync()
    old_key = LATER_KEY.replace(f"chat:{CHAT}", f"chat:{old}")
    assert state(bot.db, old_key) == "pending"
    await runner.handle(Update(2, None, "migrated", old, moved_to=new))
    assert effects[-1].resync
    bot.sync()
    assert subscriptions.of_chat(bot.db, "tg", new) == [GREEN]
    assert subscriptions.of_chat(bot.db, "tg", old) == []
    assert state(bot.db, old_key) is None  # the delivery took the new id's key: once
    assert state(bot.db, old_key.replace(old, new)) == "pending"
    outlet = Outlet()
    runner, _ = make(bot, Inbox(), outlet)
    await runner.handle(Update(3, message(f"/unsubscribe {GREEN}", chat=new)))
    assert "Đã huỷ đăng ký" in outlet.sent[0].text


async def test_a_platform_error_quoting_the_token_is_reported_masked(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The health goes to /healthz and ``loa status``: a reason that echoes the request URL
    (lowercased, as python-telegram-bot leaves a "Bad Request: ..." reason) loses its token."""
    monkeypatch.setattr(runner_module, "BACKOFF_FIRST", 0.001)
    token = "7654321:RunnerHealthSecret-0123456789"
    SECRETS.add(token)
    echoed = RuntimeError(f"Bad request (post http://127.0.0.1/bot{token.lower()}/getupdates)")
    inbox = Inbox([echoed])
    outlet = Outlet()
    runner, _ = make(bot, inbox, outlet)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.wait_for(inbox.emptied.wait(), 10)
    health = read_health(bot.db)[0]
    assert health.state == "failing" and "/bot***/getupdates" in health.last_error
    assert token.lower() not in runner.health.summary()["error"].lower()
    stop.set()
    await asyncio.wait_for(task, 5)
    await runner._send(CHAT, [f"Lỗi: {token.upper()}"], False)  # nor in an answer
    assert [m.text for m in outlet.sent] == ["Lỗi: ***"]


@both_stores
async def test_a_bot_that_keeps_failing_is_an_incident_until_it_reaches_its_platform(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from scheduler.store.tables import Incident

    def incidents() -> list[tuple[str, str, str, str]]:
        table = Incident.__table__  # type: ignore[attr-defined]
        with bot.db.connect() as conn:
            rows = conn.execute(select(table.c.kind, table.c.subject, table.c.state,
                                       table.c.detail)).all()  # fmt: skip
        return [tuple(r) for r in rows]

    monkeypatch.setattr(runner_module, "BACKOFF_FIRST", 0.001)
    down = TransientError("Telegram: NetworkError: connection refused")
    for failures in (1, runner_module.KEEPS_FAILING):
        inbox = Inbox([down] * failures + [[Update(7 + failures, message("/help"))]])
        runner, _ = make(bot, inbox, Outlet())
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        await asyncio.wait_for(inbox.emptied.wait(), 10)
        stop.set()
        await asyncio.wait_for(task, 5)
        if failures == 1:
            assert incidents() == []  # one failure is a glitch, not an incident
    # it kept failing, then reached its platform again: told, then over
    ((kind, subject, state_, detail),) = incidents()
    assert (kind, subject, state_) == ("bot_failing", runner.name, "resolved")
    assert "connection refused" in detail
