"""The Zalo Bot outlet against the local fake Zalo Bot API: success, parts, errors by envelope."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from channels.base import OutboundMessage
from channels.errors import AuthError, PermanentError, RateLimited, TransientError
from channels.zalo_bot import ZaloBotChannel, bot_error
from tests.fakes.zalo import FakeZalo

DUE = dt.datetime(2026, 6, 5, 1, 0, tzinfo=dt.UTC)
TEXT = "Ngày Môi trường thế giới 05/6 — Chống ô nhiễm nhựa 🌱"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as server:
        yield server


def message(chat: str, text: str = TEXT, key: str = "c:m:once@zb:nhom") -> OutboundMessage:
    return OutboundMessage(key, "c", "m", "zb", "nhom", chat, text, DUE)


async def test_sends_and_returns_the_message_id(fake: FakeZalo) -> None:
    chat = fake.add_chat("7e1a2b")
    channel = ZaloBotChannel("zb", fake.bot_token, "LOA_ZB", fake.bot_base_url)
    receipt = await channel.send(message(chat))
    await channel.close()
    assert [m.text for m in fake.accepted] == [TEXT]
    assert receipt.provider_message_id == str(fake.accepted[0].message_id)


async def test_long_text_goes_as_numbered_parts_within_2000(fake: FakeZalo) -> None:
    chat = fake.add_chat("7e1a2c")
    channel = ZaloBotChannel("zb", fake.bot_token, "LOA_ZB", fake.bot_base_url)
    long = " ".join(f"Câu {i}: phân loại rác thải tại nguồn." for i in range(150))
    await channel.send(message(chat, long))
    await channel.close()
    texts = [m.text or "" for m in fake.accepted]
    assert len(texts) == 3 and all(len(x) <= 2000 for x in texts)
    assert [x[:6] for x in texts] == ["(1/3) ", "(2/3) ", "(3/3) "]
    assert " ".join(x[6:] for x in texts) == long


async def test_rate_limit_unknown_token_and_server_errors(fake: FakeZalo) -> None:
    chat = fake.add_chat("7e1a2d")
    channel = ZaloBotChannel("zb", fake.bot_token, "LOA_ZB", fake.bot_base_url)
    fake.bot_force_429(retry_after=7)
    with pytest.raises(RateLimited) as limited:
        await channel.send(message(chat))
    assert limited.value.retry_after == 7
    fake.fail_next("500", service="bot")
    with pytest.raises(TransientError) as page:
        await channel.send(message(chat))
    assert not page.value.maybe_delivered  # an error page: the platform did not take it
    fake.fail_next("drop", service="bot")
    with pytest.raises(TransientError) as cut:
        await channel.send(message(chat))
    assert cut.value.maybe_delivered
    await channel.close()
    wrong = ZaloBotChannel("zb", "000:sai", "LOA_ZB", fake.bot_base_url)
    with pytest.raises(AuthError):
        await wrong.send(message(chat))
    await wrong.close()
    missing = ZaloBotChannel("zb", None, "LOA_ZB", fake.bot_base_url)
    with pytest.raises(AuthError, match="LOA_ZB"):
        await missing.send(message(chat))
    await missing.close()


def test_the_envelope_decides_not_the_status() -> None:
    assert bot_error({"ok": True, "result": {}}, 200) is None
    assert isinstance(
        bot_error({"ok": False, "error_code": 400, "description": "x"}, 200), PermanentError
    )
    assert isinstance(
        bot_error({"ok": False, "error_code": 502, "description": "x"}, 200), TransientError
    )
    assert isinstance(bot_error(None, 503), TransientError)
    assert isinstance(bot_error("<html>", 200), PermanentError)
