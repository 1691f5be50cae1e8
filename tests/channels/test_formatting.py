"""The message markup (campaigns/markup.py) through the real outlets and the fake servers:
Telegram gets HTML the fake parses as Telegram does (and refuses when malformed), a long
message is cut into parts whose tags each close, and Zalo gets plain text with its links
written out. Properties: any text gives HTML Telegram accepts, showing what the reader sees."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.markup import literal, parse
from channels.base import OutboundMessage
from channels.split import numbered_ranges, utf16_length
from channels.telegram import TEXT_LIMIT, TelegramChannel
from channels.zalo_bot import ZaloBotChannel
from channels.zalo_oa import TokenKeeper, ZaloOAChannel
from tests.channels.test_zalo_oa import Memory
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, RateLimits
from tests.fakes.telegram_formatting import parse_html
from tests.fakes.zalo import FakeClock, FakeZalo

DUE = dt.datetime(2026, 6, 5, 1, 0, tzinfo=dt.UTC)
LINK = "https://moitruong.gov.vn/thang-hanh-dong?nam=2026&muc=1"
SHORT = (
    "**Ngày Môi trường thế giới** là *Thứ Sáu*, 05/06/2026. Chủ đề: _Chống ô nhiễm nhựa_. "
    f"Xem [kế hoạch]({LINK}). Viết <b>thẻ</b> & 5 < 6 thì hiện đúng như thế."
)
SHORT_SEEN = (
    "Ngày Môi trường thế giới là Thứ Sáu, 05/06/2026. Chủ đề: Chống ô nhiễm nhựa. "
    "Xem kế hoạch. Viết <b>thẻ</b> & 5 < 6 thì hiện đúng như thế."
)
SHORT_PLAIN = SHORT_SEEN.replace("kế hoạch.", f"kế hoạch ({LINK}).")


def message(address: str, text: str) -> OutboundMessage:
    return OutboundMessage("c:m:once@x", "c", "m", "x", "t", address, text, DUE)


def entities_of(found: Any) -> list[tuple[str, str]]:
    """(type, covered text) of each entity, the way a reader sees the formatting."""
    text = found.plain_text or ""
    encoded = text.encode("utf-16-le")
    return [
        (
            e["type"],
            encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le"),
        )
        for e in found.entities
    ]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=RateLimits.off()) as server:  # pacing is not tested here
        yield server


async def test_telegram_shows_bold_italic_and_links_and_html_in_the_text_as_written(
    telegram: FakeTelegram,
) -> None:
    chat = telegram.add_private_chat()
    channel = TelegramChannel("tg", DEFAULT_TOKEN, "T", telegram.url)
    await channel.send(message(str(chat), SHORT))
    await channel.close()
    [sent] = telegram.messages_to(chat)
    assert sent.parse_mode == "HTML" and sent.plain_text == SHORT_SEEN
    assert entities_of(sent) == [
        ("bold", "Ngày Môi trường thế giới"),
        ("italic", "Thứ Sáu"),
        ("italic", "Chống ô nhiễm nhựa"),
        ("text_link", "kế hoạch"),
    ]
    assert sent.entities[-1]["url"] == LINK


async def test_a_long_message_is_cut_into_parts_whose_bold_closes_and_reopens(
    telegram: FakeTelegram,
) -> None:
    """A bold run across the cut between two parts: each part is HTML Telegram accepts (the
    fake refuses an unclosed <b>), the first ends bold and the second begins bold."""
    sentence = "Ra quân vệ sinh môi trường, thu gom rác thải nhựa ở mọi khu dân cư."
    words = [sentence] * 110  # about 7,500 characters in one paragraph
    words[55] = "**" + words[55]
    words[62] += "**"
    text = " ".join(words)
    chat = telegram.add_private_chat()
    channel = TelegramChannel("tg", DEFAULT_TOKEN, "T", telegram.url)
    await channel.send(message(str(chat), text))
    await channel.close()
    first, second = telegram.messages_to(chat)
    assert (first.plain_text or "").startswith("(1/2) ")
    assert (second.plain_text or "").startswith("(2/2) ")
    for part in (first, second):
        assert utf16_length(part.plain_text or "") <= TEXT_LIMIT
        assert (part.text or "").count("<b>") == (part.text or "").count("</b>") == 1
    seen = (first.plain_text or "")[6:] + " " + (second.plain_text or "")[6:]
    assert seen == text.replace("**", "")
    [(kind, tail)] = entities_of(first)
    [(kind_after, head)] = entities_of(second)
    assert kind == kind_after == "bold"
    assert (first.plain_text or "").endswith(tail) and (second.plain_text or "")[6:].startswith(
        head
    )
    assert f"{tail} {head}" == " ".join([sentence] * 8)


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo(clock=FakeClock()) as server:
        yield server


async def test_zalo_bot_and_oa_get_plain_text_with_links_written_out(zalo: FakeZalo) -> None:
    chat = zalo.add_chat("7e1a2b")
    bot = ZaloBotChannel("zb", zalo.bot_token, "B", zalo.bot_base_url)
    await bot.send(message(chat, SHORT))
    await bot.close()
    user = zalo.add_follower("2512523625412515", last_interaction=dt.timedelta(hours=1))
    client = httpx.AsyncClient(timeout=5)
    keeper = TokenKeeper("oa", Memory(), zalo.oauth_url, zalo.app_id, zalo.secret_key,
                         zalo.issue_refresh_token(), client, ("R", "S"), clock=zalo.clock)  # fmt: skip
    oa = ZaloOAChannel("oa", keeper, client, zalo.base_url)
    await oa.send(message(user, SHORT))
    await oa.close()
    assert [(m.recipient, m.text) for m in zalo.accepted] == [
        (chat, SHORT_PLAIN),
        (user, SHORT_PLAIN),
    ]


async def test_console_and_file_outlets_show_the_text_a_person_reads(tmp_path: Path) -> None:
    """Both outlets show messages to a person (a terminal, a file read by staff) and printed the
    markup as written (``**Ngày …**``): they show the plain form, as Zalo gets it."""
    import io
    import json

    from channels.console import ConsoleChannel
    from channels.file import FileChannel

    stream = io.StringIO()
    await ConsoleChannel("man-hinh", stream, dt.UTC).send(message("", SHORT))
    assert stream.getvalue().splitlines()[2:] == [SHORT_PLAIN]
    path = tmp_path / "outbox.jsonl"
    await FileChannel("nhat-ky", path).send(message("", SHORT))
    (line,) = path.read_text("utf-8").splitlines()
    assert json.loads(line)["text"] == SHORT_PLAIN


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=400)
@given(
    st.lists(
        st.sampled_from(
            ["*", "_", "**", "[", "](https://a.vn/x)", "a", " ", "<b>", "&", "\\", "\n\n", "đ"]
        ),
        max_size=30,
    ).map("".join)
)
def test_any_text_becomes_html_telegram_accepts_showing_what_a_reader_sees(text: str) -> None:
    marked = parse(text)
    seen, _ = parse_html(marked.html())
    assert seen == marked.visible
    assert parse(literal(text)).visible == text
    assert parse(literal(text)).html() == html.escape(text, quote=False)


@settings(max_examples=200)
@given(
    st.lists(
        st.sampled_from(["**", "*", "_", "lời ", "câu. ", "\n", "[x](https://a.vn/x) "]),
        max_size=60,
    ).map("".join),
    st.integers(20, 60),
)
def test_every_part_of_a_cut_text_is_html_telegram_accepts(text: str, limit: int) -> None:
    marked = parse(text)
    visible = marked.visible
    for label, start, end in numbered_ranges(visible, limit, utf16_length):
        seen, _ = parse_html(label + marked.slice(start, end).html())
        assert seen == label + visible[start:end]
        assert utf16_length(seen) <= limit


@pytest.mark.parametrize(
    ("page", "header"), [("campaign-files.md", "| viết |"), ("en/campaign-files.md", "| write |")]
)
def test_the_documented_examples_hold(page: str, header: str) -> None:
    """docs/campaign-files.md's table (and its English mirror's) of what a text becomes on
    Telegram and on Zalo."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / page).read_text("utf-8")
    table = doc[doc.index(header) :].split("\n\n", 1)[0].splitlines()[2:]
    assert len(table) == 5
    for row in table:
        written, sent, zalo = (re.findall(r"`([^`]+)`", cell) for cell in row.split(" | "))
        assert len(written) == len(sent) == len(zalo), row
        for text, sent_html, plain in zip(written, sent, zalo, strict=True):
            assert (parse(text).html(), parse(text).plain()) == (sent_html, plain), text
