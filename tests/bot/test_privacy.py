"""A private campaign (its feed listed in ``[http] private_feeds``) is in no answer to a chat
not allowed it: not in lists, not by its id, not as a hint. The chats allowed it are those the
bot's admins list, and an admin's own private chat; an admin asking in another group gets the
public answer, since the whole group reads it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, update

from tests.bot.conftest import (
    ADMIN,
    ADMIN_GROUP,
    CHAT,
    GREEN,
    GREEN_WEEK,
    SECRET,
    SECRET_CAMPAIGN,
    SECRET_FEEDS,
    SECRET_TITLE,
    Bot,
    D,
    fill,
    leaks,
    library,
    parse,
)

OTHER_GROUP = "-100123"  # a group the admins do not list

ANSWERS = (
    "/upcoming", "/upcoming 50", "/upcoming 30d", "/campaigns", "/today", "/week",
    f"/campaign {SECRET}", f"/campaign {SECRET[:-1]}", f"/campaign {SECRET.upper()}",
    f"/feed {SECRET}", "/feed", f"/subscribe {SECRET}", f"/subscribe {SECRET[:-2]}", "/help",
    "/unsubscribe", f"/unsubscribe {SECRET}", "/status",
    "/baocao nop-ban-kin-xyz", f"/baocao {SECRET}:nop-ban-kin-xyz", "/nop nop-ban-kin-xyz",
)  # fmt: skip


@pytest.fixture
def planted(db: Engine) -> Bot:
    fill(db, [*library(), parse(GREEN_WEEK), parse(SECRET_CAMPAIGN)])
    with db.begin() as conn:  # its message failed: /status lists the latest failures
        conn.execute(
            update(D).where(D.c.campaign == SECRET).values(state="failed", last_error="400 XYZ")
        )
    return Bot(db, feed_base="https://lich.vp.gov.vn", private_feeds=SECRET_FEEDS)


@pytest.mark.parametrize("text", ANSWERS)
@pytest.mark.parametrize(
    ("chat", "user", "group"),
    [(CHAT, CHAT, False), (OTHER_GROUP, CHAT, True), (OTHER_GROUP, ADMIN, True)],
    ids=["private-chat", "group", "admin-in-an-unlisted-group"],
)
def test_a_chat_not_allowed_hears_nothing_of_the_private_campaign(
    planted: Bot, text: str, chat: str, user: str, group: bool
) -> None:
    answer = planted.say(text + ("@LoaBot" if group and " " not in text else ""),
                         chat=chat, user=user, group=group)  # fmt: skip
    for typed in text.split()[1:]:  # what the chat wrote may be quoted back to it
        answer = answer.replace(typed, "«»")
    assert not leaks(answer), (text, answer)


def test_the_public_campaigns_still_answer_beside_it(planted: Bot) -> None:
    assert GREEN in planted.say("/campaigns")
    assert "Ngày hội xanh" in planted.say("/upcoming 30d")
    unknown = planted.say("/campaign khong-co-dau").replace("khong-co-dau", SECRET)
    assert planted.say(f"/campaign {SECRET}") == unknown  # as if it did not exist


@pytest.mark.parametrize(
    ("chat", "user", "group"),
    [(ADMIN, ADMIN, False), (ADMIN_GROUP, CHAT, True)],
    ids=["admin-private-chat", "admin-group"],
)
def test_allowed_chats_see_it(planted: Bot, chat: str, user: str, group: bool) -> None:
    ask = {"chat": chat, "user": user, "group": group}
    assert SECRET_TITLE in planted.say("/campaigns", **ask)
    assert "Họp kín XYZ" in planted.say("/today", **ask)
    assert "Nộp bản kín XYZ" in planted.say("/week", **ask)
    assert f"{SECRET}:nhac-kin" in planted.say("/status", **ask)
    assert "Ban Bí mật XYZ" in planted.say(f"/campaign {SECRET}", **ask)
    feed = planted.say(f"/feed {SECRET}", **ask)
    assert SECRET_TITLE in feed and "/feeds/" not in feed  # its feed's token is not told


def test_without_private_feeds_every_chat_sees_every_campaign(db: Engine) -> None:
    fill(db, [*library(), parse(GREEN_WEEK), parse(SECRET_CAMPAIGN)])
    assert SECRET_TITLE in Bot(db).say("/campaigns")
