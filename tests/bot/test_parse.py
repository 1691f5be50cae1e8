"""Reading a command out of a chat message: tables of real and odd messages, and properties."""

from __future__ import annotations

import functools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.bot.parse import Command, clean, for_other_bot, parse_command


@pytest.mark.parametrize(
    ("text", "name", "args", "addressed_to"),
    [
        ("/help", "help", (), ""),
        ("/start", "start", (), ""),
        ("/upcoming 5", "upcoming", ("5",), ""),
        ("/UpComing 7d", "upcoming", ("7d",), ""),
        ("/HELP", "help", (), ""),
        ("  /upcoming   20  ", "upcoming", ("20",), ""),
        (
            "\n\n/campaign\nngay-moi-truong-the-gioi\n",
            "campaign",
            ("ngay-moi-truong-the-gioi",),
            "",
        ),
        ("/campaign\ta\t\tb", "campaign", ("a", "b"), ""),
        ("/lang\u00a0en", "lang", ("en",), ""),  # a no-break space separates like a space
        ("/lang\u3000en", "lang", ("en",), ""),  # so does an ideographic space
        ("/help@LoaBot", "help", (), "loabot"),
        ("/help@LOABOT", "help", (), "loabot"),
        ("/upcoming@LoaBot 3", "upcoming", ("3",), "loabot"),
        ("/help@", "help", (), ""),
        ("/help@@LoaBot", "help", (), "loabot"),
        ("/subscribe 🌱", "subscribe", ("🌱",), ""),
        ("/campaign Ngày-Môi-Trường", "campaign", ("Ngày-Môi-Trường",), ""),
        ("/xem_lich", "xem_lich", (), ""),
        ("/lịch", "lịch", (), ""),
        # invisible characters from a copy and paste do not hide the command
        ("\u200f/help", "help", (), ""),  # right-to-left mark
        ("\u202e/help", "help", (), ""),  # right-to-left override
        ("\ufeff/help", "help", (), ""),  # byte order mark
        ("/help\u200b", "help", (), ""),  # zero-width space
        ("/cam\u200dpaign x", "campaign", ("x",), ""),  # zero-width joiner
        ("/campaign tuan-le-xanh\u200b", "campaign", ("tuan-le-xanh",), ""),
        # control characters and lone surrogates cannot be quoted back nor stored
        ("/retry a\x00b", "retry", ("ab",), ""),
        ("/x\ud800", "x", (), ""),
        # decomposed Vietnamese (a letter, then its combining marks) reads as composed
        ("/upcoming 7nga\u0300y", "upcoming", ("7ngày",), ""),
        (unicodedata.normalize("NFD", "/lịch Người"), "lịch", ("Người",), ""),
        ("/retry\x07 k", "retry", ("k",), ""),
    ],
)
def test_commands(text: str, name: str, args: tuple[str, ...], addressed_to: str) -> None:
    assert parse_command(text) == Command(name, args, addressed_to)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\t",
        "/",
        "/ help",
        "//help",
        "/@LoaBot",
        "help",
        "xin chào",
        "Cho tôi xem lịch /upcoming",
        "@LoaBot /help",
        "/a/b",
        "\u200b",
        "🌱",
        "\\help",
    ],
)
def test_not_commands(text: str) -> None:
    assert parse_command(text) is None


def test_none_text_is_not_a_command() -> None:
    assert parse_command(None) is None  # type: ignore[arg-type]


def test_arguments_are_the_args_joined() -> None:
    command = parse_command("/retry   a:b:c@tg:nhom\n  x")
    assert command is not None
    assert command.args == ("a:b:c@tg:nhom", "x") and command.arguments == "a:b:c@tg:nhom x"


def test_a_five_thousand_character_argument_is_kept_whole() -> None:
    command = parse_command("/campaign " + "x" * 5000)
    assert command is not None and command.args == ("x" * 5000,)


@pytest.mark.parametrize(
    ("text", "username", "other"),
    [
        ("/help", "LoaBot", False),
        ("/help@LoaBot", "LoaBot", False),
        ("/help@loabot", "LoaBot", False),
        ("/help@LOABOT", "@loabot", False),
        ("/help@otherbot", "LoaBot", True),
        ("/help@LoaBot2", "LoaBot", True),
        ("/help@", "LoaBot", False),
        ("/help@LoaBot", "", True),  # loa does not know its name yet: not sure it is meant
        ("/help", "", False),
    ],
)
def test_for_other_bot(text: str, username: str, other: bool) -> None:
    command = parse_command(text)
    assert command is not None
    assert for_other_bot(command, username) is other


def test_clean_keeps_letters_and_whitespace() -> None:
    assert clean("Ngày\u200b Môi\ttrường\n🌱\x00") == "Ngày Môi\ttrường\n🌱"
    assert clean("nga\u0300y") == "ngày"


# -- properties ------------------------------------------------------------------------------

NAMES = st.text(st.characters(categories=("Ll", "Lu", "Nd")), min_size=1)
WORDS = st.text(st.characters(categories=("L", "N", "P", "S"), exclude_characters="/@"), min_size=1)


@settings(max_examples=300)
@given(st.text())
def test_any_text_parses_or_is_not_a_command(text: str) -> None:
    command = parse_command(text)
    if command is None:
        return
    assert command.name and command.name == command.name.casefold()
    assert not any(c.isspace() or c in "@/" for c in command.name)
    assert all(arg and not any(c.isspace() for c in arg) for arg in command.args)
    assert not any(c.isspace() for c in command.addressed_to)
    assert clean(text).lstrip().startswith("/")


@settings(max_examples=200)
@given(st.text(st.characters(exclude_characters="/")))
def test_text_without_a_slash_is_never_a_command(text: str) -> None:
    assert parse_command(text) is None


@settings(max_examples=200)
@given(NAMES, st.lists(WORDS, max_size=5), st.sampled_from([" ", "\n", "  \t", "\u00a0"]))
def test_a_written_command_reads_back(name: str, args: list[str], separator: str) -> None:
    text = "/" + name + "".join(separator + arg for arg in args)
    nfc = functools.partial(unicodedata.normalize, "NFC")
    assert parse_command(text) == Command(nfc(name).casefold(), tuple(map(nfc, args)))
