"""What ``loa channels check`` and the bot's health say when Telegram refuses the token, run
against the local fake Telegram server."""

from __future__ import annotations

import pytest

from campaigns.i18n import t
from channels.errors import AuthError
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
