"""The fake Telegram server, driven by the real python-telegram-bot client.

Each test checks one platform behaviour loa depends on: what is accepted arrives intact, and
every refusal reaches PTB as the exception a channel must handle (BadRequest, Forbidden,
ChatMigrated, RetryAfter, TimedOut/NetworkError).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import struct
import time
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram import Bot, BotCommand, LinkPreviewOptions
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from tests.fakes.telegram import FakeTelegram, RateLimits, Window
from tests.fakes.telegram_formatting import parse_html, parse_markdown_v2

WED = "Ngày Môi trường thế giới 05/6 — Chống ô nhiễm nhựa"


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (PTBDeprecationWarning) whenever RetryAfter.retry_after is read as an int,
    # and it reads it while building the exception; under warnings-as-errors that warning would
    # replace the RetryAfter. Opting in to timedelta values is what the channel will do too.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url) as client:
        yield client


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def test_get_me_and_base_url(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.id == fake.bot_id and me.username == fake.bot_username
    assert fake.base_url == f"http://127.0.0.1:{fake.port}/bot" and fake.port > 0


async def test_unknown_token_is_unauthorized(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:unknown-token", base_url=fake.base_url) as other:
            await other.get_me()
    assert fake.refused[-1].status == 401


async def test_vietnamese_text_arrives_intact(fake: FakeTelegram, bot: Bot) -> None:
    chat = fake.add_private_chat()
    message = await bot.send_message(chat, WED)
    assert message.text == WED and message.chat.id == chat
    (sent,) = fake.accepted
    assert (sent.method, sent.chat_id, sent.text, sent.parse_mode) == (
        "sendMessage",
        chat,
        WED,
        None,
    )
    assert sent.message_id == message.message_id
    assert sent.received_at.tzinfo is not None
    assert abs(sent.received_at - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


async def test_html_to_a_channel_by_username(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_channel("kenh_tinh")
    html = "<b>Ngày Môi trường thế giới</b> 05/6 &amp; <a href='https://x.vn/?a=1&b=2'>chi tiết</a>"
    message = await bot.send_message(
        "@kenh_tinh",
        html,
        parse_mode="HTML",
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert message.text == "Ngày Môi trường thế giới 05/6 & chi tiết"
    bold, link = message.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 0, len("Ngày Môi trường thế giới"))
    assert link.url == "https://x.vn/?a=1&b=2"
    sent = fake.accepted[-1]
    assert sent.chat_ref == "@kenh_tinh" and sent.text == html and sent.parse_mode == "HTML"
    assert sent.link_preview_disabled


async def test_unknown_chat_is_bad_request(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, WED)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message("@khong_co", WED)
    assert [r.status for r in fake.refused] == [400, 400] and not fake.accepted


async def test_blocked_user_is_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    chat = fake.add_private_chat()
    fake.block(chat)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(chat, WED)
    assert fake.refused[-1].status == 403


async def test_migrated_group_names_the_supergroup(fake: FakeTelegram, bot: Bot) -> None:
    group = fake.add_group()
    supergroup = fake.migrate(group)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(group, WED)
    assert caught.value.new_chat_id == supergroup
    assert fake.refused[-1].parameters == {"migrate_to_chat_id": supergroup}
    await bot.send_message(caught.value.new_chat_id, WED)
    assert fake.accepted[-1].chat_id == supergroup


async def test_burst_to_a_private_chat_must_wait(fake: FakeTelegram, bot: Bot) -> None:
    chat = fake.add_private_chat()
    await bot.send_message(chat, "1")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat, "2")
    assert caught.value.retry_after > dt.timedelta(0)
    refusal = fake.refused[-1]
    assert refusal.status == 429 and refusal.retry_after == 1
    await asyncio.sleep(refusal.retry_after)
    await bot.send_message(chat, "2")
    assert [m.text for m in fake.messages_to(chat)] == ["1", "2"]


async def test_burst_tolerance_and_group_and_overall_limits(fake: FakeTelegram, bot: Bot) -> None:
    fake.limits = RateLimits(private_burst=2)
    chat = fake.add_private_chat()
    for n in range(3):
        await bot.send_message(chat, f"tin {n}")
    with pytest.raises(RetryAfter):
        await bot.send_message(chat, "tin 3")

    group = fake.add_group()
    for n in range(20):
        await bot.send_message(group, f"nhóm {n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(group, "nhóm 20")
    assert dt.timedelta(seconds=55) <= caught.value.retry_after <= dt.timedelta(seconds=60)

    fake.reset()
    fake.limits = RateLimits(overall=Window(5, 1.0))
    chats = [fake.add_private_chat() for _ in range(6)]
    for chat_id in chats[:5]:
        await bot.send_message(chat_id, "ok")
    with pytest.raises(RetryAfter):
        await bot.send_message(chats[5], "một tin quá nhiều")


async def test_limits_count_utf16_units(fake: FakeTelegram, bot: Bot) -> None:
    chat = fake.add_private_chat()
    fake.limits = RateLimits.off()
    await bot.send_message(chat, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(chat, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(chat, "🌱" * 2049)  # 2,049 characters, 4,098 UTF-16 units
    # Markup does not count: the limit applies after entity parsing.
    await bot.send_message(chat, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(chat, "  <b> </b> ", parse_mode="HTML")


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<b>đậm", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<p>đoạn</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("5 < 6", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("a &nbsp; b", 'Unescaped "&nbsp;"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_bad_html_is_bad_request(
    fake: FakeTelegram, bot: Bot, text: str, detail: str
) -> None:
    chat = fake.add_private_chat()
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as caught:
        await bot.send_message(chat, text, parse_mode="HTML")
    assert detail in fake.refused[-1].description  # Telegram's wording, as the fake sends it
    assert detail.lower() in caught.value.message.lower()  # PTB re-cases the message


def test_supported_html_tags_parse() -> None:
    text, entities = parse_html(
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://a.vn">a</a><code>c</code><pre><code class="language-python">x</code></pre>'
        "<blockquote>bq</blockquote><blockquote expandable>ex</blockquote>&lt;&gt;&quot;&#39;&#x1F331;"
    )
    assert text == "bsieunskdpqacxbqex<>\"'🌱"
    kinds = [e["type"] for e in entities]
    assert kinds == (
        ["bold"] * 2 + ["italic"] * 2 + ["underline"] * 2 + ["strikethrough"] * 3 + ["spoiler"] * 2
        + ["text_link", "code", "pre", "blockquote", "expandable_blockquote"]
    )  # fmt: skip
    assert entities[13]["language"] == "python"
    text, (bold,) = parse_html("🌱 Ngày <b>05/6</b>")  # offsets count UTF-16 code units
    assert (bold["offset"], bold["length"]) == (8, 4)


def test_markdown_v2_reserved_characters() -> None:
    text, entities = parse_markdown_v2(r"*Ngày 05/6* \- [xem](https://x.vn/a\)b) ||bí mật||")
    assert text == "Ngày 05/6 - xem bí mật"
    assert [e["type"] for e in entities] == ["bold", "text_link", "spoiler"]
    assert entities[1]["url"] == "https://x.vn/a)b"
    with pytest.raises(ValueError, match=r"Character '\.' is reserved"):
        parse_markdown_v2("Hẹn gặp lúc 8.00")


async def test_markdown_v2_through_the_client(fake: FakeTelegram, bot: Bot) -> None:
    chat = fake.add_private_chat()
    with pytest.raises(BadRequest, match=r"(?i)reserved"):
        await bot.send_message(chat, "Ngày 05-6!", parse_mode="MarkdownV2")


async def test_photo_by_url_upload_and_file_id(fake: FakeTelegram, bot: Bot) -> None:
    fake.limits = RateLimits.off()
    chat = fake.add_group()
    by_url = await bot.send_photo(
        chat, "https://example.org/poster.jpg", caption=f"<i>{WED}</i>", parse_mode="HTML"
    )
    assert by_url.caption == WED and by_url.caption_entities[0].type == "italic"
    uploaded = await bot.send_photo(chat, tiny_png(), caption=WED, filename="ap-phich.png")
    assert uploaded.caption == WED  # the multipart text field kept its UTF-8
    assert fake.accepted[-1].photo == "upload:ap-phich.png"
    again = await bot.send_photo(chat, uploaded.photo[-1].file_id)
    assert again.photo and fake.accepted[-1].method == "sendPhoto"
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(chat, "AgACAgIAAx-made-up")
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(chat, b"not an image", filename="x.jpg")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(chat, "https://example.org/a.jpg", caption="x" * 1025)


async def test_faults_reach_the_client_as_network_errors(fake: FakeTelegram, bot: Bot) -> None:
    chat = fake.add_private_chat()
    fake.limits = RateLimits.off()
    fake.fail_next(1, "500")
    with pytest.raises(NetworkError, match=r"(?i)Internal Server Error"):
        await bot.send_message(chat, WED)
    fake.fail_next(1, "502")
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.send_message(chat, WED)
    fake.fail_next(1, "drop")
    with pytest.raises(NetworkError) as dropped:
        await bot.send_message(chat, WED)
    assert not isinstance(dropped.value, TimedOut)
    fake.fail_next(1, "hang")
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await bot.send_message(chat, WED, read_timeout=0.3)
    assert time.monotonic() - started < 3
    assert [r.fault for r in fake.refused] == ["500", "502", "drop", "hang"]
    assert not fake.accepted
    await bot.send_message(chat, WED)  # healthy again
    assert len(fake.accepted) == 1


async def test_fail_next_only_for_named_methods(fake: FakeTelegram, bot: Bot) -> None:
    chat = fake.add_private_chat()
    fake.fail_next(2, "503", methods=["sendMessage"])
    await bot.get_me()
    for _ in range(2):
        with pytest.raises(NetworkError, match=r"(?i)Service Unavailable"):
            await bot.send_message(chat, WED)
    fake.limits = RateLimits.off()
    await bot.send_message(chat, WED)


async def test_random_faults_are_seeded(fake: FakeTelegram, bot: Bot) -> None:
    async def pattern() -> list[bool]:
        outcome = []
        for _ in range(20):
            try:
                await bot.get_me()
                outcome.append(True)
            except NetworkError:
                outcome.append(False)
        return outcome

    fake.set_faults(0.4, ["500", "502"], seed=7)
    first = await pattern()
    fake.set_faults(0.4, ["500", "502"], seed=7)
    assert await pattern() == first
    assert 0 < first.count(False) < 20
    fake.clear_faults()
    assert all(await pattern())


async def test_get_updates_offsets(fake: FakeTelegram, bot: Bot) -> None:
    chat = fake.add_private_chat()
    ids = [fake.queue_message(chat, text) for text in ("/start", "/tuan_nay", "xin chào")]
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == ids
    assert (
        updates[0].message.text == "/start" and updates[0].message.entities[0].type == "bot_command"
    )
    assert [u.update_id for u in await bot.get_updates()] == ids  # nothing confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]  # the first is gone
    assert [u.update_id for u in await bot.get_updates(offset=ids[1], limit=1)] == ids[1:2]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert fake.pending_updates() == []
    more = [fake.queue_message(chat, str(n)) for n in range(3)]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == more[-1:]


async def test_long_poll_returns_as_soon_as_an_update_arrives(fake: FakeTelegram, bot: Bot) -> None:
    chat = fake.add_private_chat()
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 3

    async def later() -> None:
        await asyncio.sleep(0.2)
        fake.queue_message(chat, "/tuan_nay")

    task = asyncio.create_task(later())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=10)
    await task
    assert len(updates) == 1 and time.monotonic() - started < 2

    first = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=10))
    await asyncio.sleep(0.1)
    async with Bot(fake.token, base_url=fake.base_url) as second_daemon:
        assert await second_daemon.get_updates(offset=updates[0].update_id + 1) == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
        await first  # a second poller (another daemon) ends the first one, as on Telegram

    fake.queue_message(chat, "có sẵn")
    started = time.monotonic()
    assert len(await bot.get_updates(offset=updates[0].update_id + 1, timeout=10)) == 1
    assert time.monotonic() - started < 1


async def test_commands_chat_info_and_webhook_delivery(fake: FakeTelegram, bot: Bot) -> None:
    commands = [BotCommand("tuan_nay", "Việc trong tuần"), BotCommand("lich", "Lịch chiến dịch")]
    assert await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.get_my_commands(language_code="en") == ()
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Tuần", "không hợp lệ")])

    group = fake.add_supergroup(username="nhom_so")
    info = await bot.get_chat("@nhom_so")
    assert info.id == group and info.type == "supergroup"

    with pytest.raises(BadRequest, match=r"(?i)HTTPS"):
        await bot.set_webhook("http://127.0.0.1:9/hook")
    fake.allow_http_webhook = True

    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: Request) -> JSONResponse:
        received.append(
            (request.headers.get("x-telegram-bot-api-secret-token"), await request.json())
        )
        return JSONResponse({"method": "sendMessage", "chat_id": group, "text": "Đã nhận"})

    async with FakeTelegram() as receiver:  # any ASGI server will do; reuse the fake's runner
        receiver.app.router.routes.insert(0, Route("/hook", hook, methods=["POST"]))
        assert await bot.set_webhook(f"{receiver.url}/hook", secret_token="bi-mat_1")
        assert (await bot.get_webhook_info()).url == f"{receiver.url}/hook"
        with pytest.raises(Conflict):
            await bot.get_updates()
        update_id = fake.queue_message(group, "/lich")
        await fake.wait_accepted(1)
        assert received == [("bi-mat_1", received[0][1])]
        assert received[0][1]["update_id"] == update_id
        assert fake.accepted[0].text == "Đã nhận" and fake.accepted[0].chat_id == group
        assert (await bot.get_webhook_info()).pending_update_count == 0
        assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


def test_runs_in_a_thread_for_synchronous_tests() -> None:
    with FakeTelegram() as fake:
        chat = fake.add_private_chat()
        response = httpx.post(fake.api_url("sendMessage"), json={"chat_id": chat, "text": WED})
        assert response.status_code == 200 and response.json()["result"]["text"] == WED
        form = httpx.post(fake.api_url("SENDMESSAGE"), data={"chat_id": str(chat), "text": "x"})
        assert form.status_code == 429 and form.json()["parameters"]["retry_after"] == 1
        assert httpx.get(fake.api_url("nope")).json() == {
            "ok": False, "error_code": 404, "description": "Not Found"
        }  # fmt: skip
        assert len(httpx.get(f"{fake.url}/_fake/state").json()["accepted"]) == 1


async def test_printed_base_url_is_the_one_config_takes() -> None:
    """Run alone, the fake prints the base_url to put in config.toml; loa's outlet works with it
    (the printed URL once ended in /bot, and the token was then refused)."""
    import re
    import sys

    from channels.telegram import TelegramChannel
    from tests.fakes.telegram import DEFAULT_TOKEN

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.telegram", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        found = re.search(r'base_url = "(http://127\.0\.0\.1:\d+)"$', first.strip())
        assert found, first
        channel = TelegramChannel("tg", DEFAULT_TOKEN, "LOA_TG_TOKEN", found[1])
        assert (await channel.check()).startswith("@")
        await channel.close()
    finally:
        process.terminate()
        await process.wait()


async def test_the_start_log_line_names_the_url_config_takes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Run alone, the fake printed ``base_url = "http://…:PORT"`` on stdout but logged
    ``listening on http://…:PORT/bot`` on stderr just before it: a new user copying the first
    URL they saw got a refused token. Every URL it shows is the one config.toml takes."""
    with caplog.at_level(logging.INFO, logger="tests.fakes.telegram"):
        async with FakeTelegram() as fake:
            pass
    (line,) = [r.getMessage() for r in caplog.records if "listening" in r.getMessage()]
    assert f"listening on {fake.url} " in line and "/bot" not in line


async def test_errors_can_echo_the_request_url(fake: FakeTelegram, bot: Bot) -> None:
    fake.echo_request_url = True
    with pytest.raises(BadRequest) as refused:
        await bot.send_message(-999, WED)
    # python-telegram-bot capitalizes "Bad Request: ..." reasons: the echoed token is lowercased
    assert f"/bot{fake.token.lower()}/sendmessage" in refused.value.message
