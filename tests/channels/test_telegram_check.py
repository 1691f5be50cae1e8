"""What ``loa channels check``, the stored errors and the bot's health say when Telegram
refuses the token or does not know the chat, run against the local fake Telegram server."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.i18n import t
from channels.base import OutboundMessage
from channels.errors import AuthError, RecipientGone
from channels.telegram import TelegramChannel
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram


async def test_a_refused_token_is_one_sentence_in_the_users_language() -> None:
    """A base_url ending in /bot makes Telegram refuse the token. The answer once ended with
    python-telegram-bot's English "(The token `***` was rejected by the server.)", inside the
    Vietnamese sentence that already says so, in ``loa channels check``, ``loa status`` and
    ``/healthz``."""
    async with FakeTelegram() as fake:
        channel = TelegramChannel("tg", DEFAULT_TOKEN, "LOA_TG_TOKEN", fake.url + "/bot")
        with pytest.raises(AuthError) as refused:
            await channel.check()
        await channel.close()
    assert "LOA_TG_TOKEN" in str(refused.value) and "rejected" not in str(refused.value)
    assert str(refused.value) == t("telegram_token_rejected", env="LOA_TG_TOKEN")


async def test_a_chat_telegram_does_not_know_says_what_to_check() -> None:
    """A target with a wrong chat id was stored as Telegram's bare English "Telegram: Chat not
    found"; the office is told, in its language, what to check (the platform's words kept)."""
    due = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    async with FakeTelegram() as fake:
        channel = TelegramChannel("tg", DEFAULT_TOKEN, "LOA_TG_TOKEN", fake.url)
        with pytest.raises(RecipientGone) as gone:
            await channel.send(
                OutboundMessage("c:m:once@x", "c", "m", "x", "t", "-999", "Thử", due)
            )
        await channel.close()
    assert not str(gone.value).startswith("Telegram: Chat not found"), gone.value
    said = t("telegram_chat_not_found", reason="Chat not found")
    assert str(gone.value).startswith(said.partition("(")[0]), gone.value
    assert "chat not found" in str(gone.value).lower()
