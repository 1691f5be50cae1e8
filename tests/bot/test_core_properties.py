"""Properties of the command core for any message: it never raises, every page fits the
platform's limit, and paging loses, repeats or reorders no item line.

The store is filled once per module (the library, the green week and 200 coming items); the
messages hypothesis writes may subscribe, pause or switch languages in it, which changes what
the answers say but not the properties checked here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from channels.split import utf16_length
from scheduler.bot.core import ADMIN_COMMANDS, USER_COMMANDS
from scheduler.bot.paging import LABEL_ROOM
from scheduler.store.db import migrate, open_engine
from tests.bot.conftest import (
    ADMIN,
    BOT,
    GREEN,
    GREEN_KEYS,
    GREEN_WEEK,
    NOW,
    TELEGRAM,
    VN,
    ZALO,
    Bot,
    fill,
    labels,
    library,
    many_items,
    parse,
    unlabel,
)

EXAMPLES = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("bot") / "loa.db"
    engine = open_engine(f"sqlite:///{path}")
    migrate(engine)
    fill(engine, [*library(), parse(GREEN_WEEK), many_items(200)])
    yield engine
    engine.dispose()


NAMES = [*USER_COMMANDS, *ADMIN_COMMANDS, "foo", "upcomming", ""]
IDS = [GREEN, "ngay-moi-truong-the-gioi", "hai-tram-viec", "TUAN-LE-XANH", *GREEN_KEYS]


def _mixed_case(name: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda flags: "".join(c.upper() if f else c for c, f in zip(name, flags, strict=True))
    )


ARGUMENT = st.one_of(
    st.sampled_from(IDS),
    st.integers(-5, 700).map(str),
    st.integers(0, 500).map(lambda n: f"{n}d"),
    st.sampled_from(["vi", "en", "EN", "fr", "7ngày", "🌱", "\u200b", "\u202e", "x" * 5000]),
    st.text(max_size=60),
)
COMMAND = st.builds(
    lambda slash, name, at, args, sep: slash + name + at + "".join(sep + a for a in args),
    st.sampled_from(["/", " /", "\n/", "\u200f/"]),
    st.sampled_from(NAMES).flatmap(_mixed_case),
    st.sampled_from(["", "", "@LoaBot", "@loabot", "@otherbot", "@"]),
    st.lists(ARGUMENT, max_size=3),
    st.sampled_from([" ", "\n", "\t ", "\u00a0"]),
)
TEXT = st.one_of(COMMAND, st.text(), st.text(min_size=1).map(lambda s: "/" + s))
LANGUAGE = st.sampled_from(["", "vi", "vi-VN", "en", "en-US", "EN", "xx"]) | st.text(max_size=8)


@EXAMPLES
@given(
    text=TEXT,
    group=st.booleans(),
    admin=st.booleans(),
    language=LANGUAGE,
    limit=st.sampled_from([ZALO, TELEGRAM]),
    chat=st.sampled_from(["555", "777", "-100123"]),
)
def test_any_message_gets_pages_within_the_limit_or_none(
    shared: Engine, text: str, group: bool, admin: bool, language: str, limit: int, chat: str
) -> None:
    bot = Bot(shared, feed_base="https://lich.vp.gov.vn")
    reply = bot.ask(
        text, chat=chat, user=ADMIN if admin else chat, group=group, language=language,
        limit=limit, bot=BOT,
    )  # fmt: skip
    if reply is None:
        assert group  # a private chat always gets an answer
        return
    assert reply.pages and all(page.strip() for page in reply.pages)
    assert all(utf16_length(page) <= limit for page in reply.pages)
    for page in reply.pages:
        page.encode("utf-8")  # sendable: no lone surrogate is quoted back
        assert "\x00" not in page
    if len(reply.pages) > 1:
        assert labels(reply.pages) == [
            (i, len(reply.pages)) for i in range(1, len(reply.pages) + 1)
        ]


@EXAMPLES
@given(text=st.text(st.characters(codec=None, categories=("Cs", "Cc", "Cf", "Zs", "So"))))
def test_surrogates_and_controls_never_break_an_answer(shared: Engine, text: str) -> None:
    bot = Bot(shared)
    for message in (text, "/" + text, "/campaign " + text, "/retry " + text):
        reply = bot.ask(message, user=ADMIN)
        assert reply is not None
        for page in reply.pages:
            page.encode("utf-8")
            assert utf16_length(page) <= TELEGRAM


def _item_lines(pages: list[str]) -> list[str]:
    return [
        line
        for page in pages
        for line in unlabel(page).split("\n")
        if line.startswith(("• ", "⏰ "))
    ]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.integers(1, 200),
    limit=st.sampled_from([ZALO, TELEGRAM]) | st.integers(150, 5000),
    lang=st.sampled_from(["vi", "en"]),
)
def test_paging_keeps_every_item_line_once_in_order(
    shared: Engine, count: int, limit: int, lang: str
) -> None:
    bot = Bot(shared)
    whole = bot.ask(f"/upcoming {count}", chat="paging", language=lang, limit=10**7)
    paged = bot.ask(f"/upcoming {count}", chat="paging", language=lang, limit=limit)
    assert whole is not None and paged is not None and len(whole.pages) == 1
    expected = _item_lines(whole.pages)
    assert len(expected) == count
    assert all(utf16_length(page) <= limit for page in paged.pages)
    if any(utf16_length(line) > limit - LABEL_ROOM for line in expected):
        return  # a line longer than a page is cut: test_paging checks those
    assert _item_lines(paged.pages) == expected  # no line lost, repeated, reordered or cut
    assert "\n".join(unlabel(page) for page in paged.pages) == whole.pages[0]


DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})$")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(minutes=st.integers(0, 400 * 24 * 60), lang=st.sampled_from(["vi", "en"]))
def test_campaigns_never_date_a_line_before_today(shared: Engine, minutes: int, lang: str) -> None:
    """Whenever it is asked, a listed campaign is under way until today or later, or starts
    today or later; and the day-based commands answer within the limit."""
    bot = Bot(shared)
    bot.clock.now = NOW + dt.timedelta(minutes=minutes)
    today = bot.clock.now.astimezone(VN).date()
    for line in bot.say("/campaigns", chat="dates").split("\n"):
        found = DATE.search(line)
        if line.startswith("• ") and found:
            day, month, year = map(int, found.groups())
            assert dt.date(year, month, day) >= today, line
    for text in ("/today", "/week", "/upcoming 50", "/campaign thang-hanh-dong-vi-moi-truong"):
        reply = bot.ask(text, chat="dates", language=lang, limit=ZALO)
        assert reply is not None and all(utf16_length(p) <= ZALO for p in reply.pages)
