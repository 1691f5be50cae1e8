"""Images with messages: Telegram sendPhoto with a caption and the rest as text; the Zalo OA
uploads a file and sends it as a media message; the Zalo Bot takes https URLs only."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from channels.base import OutboundMessage
from channels.errors import PermanentError
from channels.limits import DEFAULTS, RateLimiter
from channels.telegram import TelegramChannel
from channels.zalo_bot import ZaloBotChannel
from channels.zalo_oa import TokenKeeper, ZaloOAChannel
from tests.channels.test_zalo_oa import Memory
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram
from tests.fakes.zalo import FakeClock, FakeZalo

DUE = dt.datetime(2026, 6, 5, 1, 0, tzinfo=dt.UTC)
TEXT = " ".join(f"Câu {i}: ra quân vệ sinh môi trường, thu gom rác thải nhựa." for i in range(40))


def png(path: Path) -> Path:
    """A real 1x1 PNG, so the fakes' image checks pass."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    body = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    body += chunk(b"IDAT", zlib.compress(b"\x00\x22\x8b\x22")) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def message(address: str, image: str, text: str = TEXT) -> OutboundMessage:
    return OutboundMessage("c:m:once@x", "c", "m", "x", "t", address, text, DUE, image=image)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_telegram_photo_with_caption_then_the_rest(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    chat = telegram.add_private_chat()
    limiter = RateLimiter()
    limiter.configure("tg", DEFAULTS["telegram"])  # the photo and the text go 1 s apart
    channel = TelegramChannel("tg", DEFAULT_TOKEN, "T", telegram.url, limiter=limiter)
    limiter.reserve("tg", "t", group=False)  # the engine books the first part before send()
    await channel.send(message(str(chat), str(png(tmp_path / "anh.png"))))
    await channel.close()
    sent = telegram.messages_to(chat)
    assert [m.method for m in sent] == ["sendPhoto", "sendMessage"]
    caption, rest = sent[0].plain_text or "", sent[1].plain_text or ""
    assert len(caption.encode("utf-16-le")) // 2 <= 1024
    assert (sent[0].photo or "").startswith("upload:")
    assert f"{caption} {rest}" == TEXT


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo(clock=FakeClock()) as server:
        yield server


async def test_zalo_oa_uploads_then_sends_text(zalo: FakeZalo, tmp_path: Path) -> None:
    user = zalo.add_follower("2512523625412515", last_interaction=dt.timedelta(hours=1))
    client = httpx.AsyncClient(timeout=5)
    keeper = TokenKeeper("oa", Memory(), zalo.oauth_url, zalo.app_id, zalo.secret_key,
                         zalo.issue_refresh_token(), client, ("R", "S"), clock=zalo.clock)  # fmt: skip
    oa = ZaloOAChannel("oa", keeper, client, zalo.base_url)
    await oa.send(message(user, str(png(tmp_path / "anh.png")), "Ảnh ra quân sáng nay 🌱"))
    await oa.close()
    assert [bool(m.attachment) for m in zalo.accepted] == [True, False]
    assert zalo.accepted[1].text == "Ảnh ra quân sáng nay 🌱"


async def test_zalo_bot_needs_an_https_image(zalo: FakeZalo, tmp_path: Path) -> None:
    chat = zalo.add_chat("7e1a2b")
    bot = ZaloBotChannel("zb", zalo.bot_token, "B", zalo.bot_base_url)
    with pytest.raises(PermanentError, match="https"):
        await bot.send(message(chat, str(png(tmp_path / "anh.png"))))
    await bot.send(message(chat, "https://example.org/anh.png", "Ảnh"))
    await bot.close()
    assert [m.api for m in zalo.accepted] == ["sendPhoto", "sendMessage"]
