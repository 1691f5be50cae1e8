"""A store filled the way the daemon fills it (campaign files synced at a fixed moment), and a
command core answering from it on a clock the test sets."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from campaigns.loader import LIBRARY, load_paths, parse_document
from campaigns.model import Campaign, ChannelCatalog
from channels.split import utf16_length
from scheduler.bot.core import BotSettings, CommandCore, Reply, Request
from scheduler.store.tables import AuditEntry, Chat, Delivery, Subscription
from scheduler.sync import sync

D = Delivery.__table__  # type: ignore[attr-defined]
S = Subscription.__table__  # type: ignore[attr-defined]
C = Chat.__table__  # type: ignore[attr-defined]
A = AuditEntry.__table__  # type: ignore[attr-defined]

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=VN)  # Wednesday 4 June 2025, 10:00 in Vietnam
HORIZON = dt.timedelta(days=400)
CATALOG = ChannelCatalog(
    targets={"tg": ("nhom-vp",), "zalo": ()},
    defaults=("tg",),
    needs_target=frozenset({"tg", "zalo"}),
)
TELEGRAM, ZALO = 4096, 2000  # message limits in UTF-16 units

ADMIN = "900"  # a Telegram user allowed the admin commands
ADMIN_GROUP = "-100777"  # a chat whose every member is allowed them
ADMINS = {"tg": frozenset({ADMIN, ADMIN_GROUP}), "zalo": frozenset({"zalo-admin"})}
CHAT = "555"  # a private chat (on Telegram its id is the user's)
BOT = "LoaBot"

LIBRARY_FILES = (
    "ngay-moi-truong-the-gioi.toml",  # 5 June, all day, every year
    "thang-hanh-dong-vi-moi-truong.toml",  # 25 May – 30 June every year, with timed activities
    "bao-cao-chi-so-xanh-pgi.toml",  # a report due 10 December, from 2026
)

# a small campaign with messages for subscribers; local times (Vietnam)
GREEN_WEEK = """
id = "tuan-le-xanh"
title = "Tuần lễ xanh"
description = "Chiến dịch thử của bot: một ngày hội và một hạn báo cáo."
grace = "1h"

[[activity]]
id = "ngay-hoi"
title = "Ngày hội xanh"
start = 2025-06-10T08:00:00
end = 2025-06-10T11:00:00
location = "Hội trường tầng 2"
lead = "Văn phòng"
partners = ["Công đoàn", "Chi đoàn"]

[[deadline]]
id = "bao-cao"
title = "Báo cáo kết quả"
due = 2025-06-20
lead = "Văn phòng"
partners = ["Công đoàn"]

[[message]]
id = "nhac-sang"
at = 2025-06-04T10:30:00
text = "Sáng nay 10:30 họp chuẩn bị Tuần lễ xanh."
channels = ["subscribers", "tg"]

[[message]]
id = "nhac-ngay-hoi"
at = "ngay-hoi -1d 08:00"
text = "Ngày mai: {{ activity.title }}."
channels = ["subscribers"]
"""
GREEN = "tuan-le-xanh"

# a private campaign ([http] private_feeds lists its feed) planted among public ones: its id,
# title, units, tag and UIDs are searched for on every public surface. It shares the unit
# "Văn phòng" and the tag "môi trường" with public campaigns; "Ban Bí mật XYZ" and "tuyệt mật
# xyz" are its alone.
SECRET = "ke-hoach-mat"
SECRET_TITLE = "Kế hoạch mật XYZ"
SECRET_UNIT = "Ban Bí mật XYZ"
SECRET_TAG = "tuyệt mật xyz"
SECRET_FEEDS = frozenset({f"campaign/{SECRET}"})
SECRET_CAMPAIGN = f"""
id = "{SECRET}"
title = "{SECRET_TITLE}"
description = "Nội dung mật XYZ: không được lộ ra ngoài."
tags = ["môi trường", "{SECRET_TAG}"]

[[activity]]
id = "hop-kin-xyz"
title = "Họp kín XYZ"
start = 2025-06-04T14:00:00
end = 2025-06-04T16:00:00
location = "Phòng kín XYZ"
lead = "{SECRET_UNIT}"
partners = ["Văn phòng"]

[[deadline]]
id = "nop-ban-kin-xyz"
title = "Nộp bản kín XYZ"
due = 2025-06-06
lead = "{SECRET_UNIT}"
units = ["{SECRET_UNIT}"]

[[message]]
id = "nhac-kin"
at = 2025-06-04T13:00:00
text = "Chiều nay họp kín XYZ."
channels = ["tg"]
"""


def leaks(text: str) -> list[str]:
    """What of the private campaign ``text`` shows: its id (in every UID), its title, or the
    mark every name of it carries ("XYZ": titles, place, unit, tag and their slugs), looked for
    case-folded and URL-decoded."""
    seen = unquote(text).casefold()
    return [mark for mark in (SECRET, SECRET_TITLE.casefold(), "xyz") if mark in seen]


SOON_KEY = f"{GREEN}:nhac-sang:once@tg:chat:{CHAT}"  # due 10:30 on 4 June, to the chat
LATER_KEY = f"{GREEN}:nhac-ngay-hoi:once@tg:chat:{CHAT}"  # due 08:00 on 9 June, to the chat
GROUP_KEY = f"{GREEN}:nhac-sang:once@tg:nhom-vp"  # the same morning message, to the group
GREEN_KEYS = (SOON_KEY, LATER_KEY, GROUP_KEY)


def parse(text: str) -> Campaign:
    found, problems = parse_document(
        text.encode(), Path("c.toml"), CATALOG, "Asia/Ho_Chi_Minh", "c.toml"
    )
    assert found is not None, "\n".join(map(str, problems))
    return found


def library() -> list[Campaign]:
    result = load_paths([LIBRARY / name for name in LIBRARY_FILES], CATALOG)
    assert not result.errors, result.errors
    return result.campaigns


def many_items(count: int, first: dt.date = dt.date(2025, 6, 5)) -> Campaign:
    """A campaign with ``count`` timed activities, one a day at 08:00 from ``first``, whose
    titles mix Vietnamese, emoji (two UTF-16 units each) and a location."""
    parts = ['id = "hai-tram-viec"\ntitle = "Hai trăm việc"\n']
    for i in range(count):
        day = first + dt.timedelta(days=i)
        parts.append(
            f'[[activity]]\nid = "a{i:03d}"\n'
            f'title = "Việc số {i:03d}: ra quân vệ sinh môi trường 🌱♻️ cùng đoàn viên"\n'
            f"start = {day.isoformat()}T08:00:00\n"
            f'location = "Phường {i % 17 + 1}"\n'
        )
    return parse("".join(parts))


def fill(db: Engine, campaigns: list[Campaign], now: dt.datetime = NOW) -> None:
    sync(db, campaigns, CATALOG, now, HORIZON)


@pytest.fixture
def backend() -> str:
    """Bot answers run on SQLite; the tests that write to the store (``both_stores``) also run
    on PostgreSQL: running every answer on both would add a minute for the same SQL."""
    return "sqlite"


@pytest.fixture
def store(db: Engine) -> Engine:
    """The three library plans and the green week, synced at NOW."""
    fill(db, [*library(), parse(GREEN_WEEK)])
    return db


@dataclass
class Clock:
    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Bot:
    """A command core with a settable clock, and a way to talk to it like a chat would."""

    db: Engine
    clock: Clock = field(default_factory=Clock)
    feed_base: str = ""
    private_feeds: frozenset[str] = frozenset()
    sends: bool = True
    language: str = "vi"
    campaigns: list[Campaign] = field(default_factory=list)  # whose triggers /trigger starts

    @property
    def core(self) -> CommandCore:
        settings = BotSettings(
            language=self.language,
            admins=ADMINS,
            feed_base=lambda: self.feed_base,
            private_feeds=self.private_feeds,
            sends_to_subscribers=lambda campaign: self.sends,
            catalog=CATALOG,
            campaigns=lambda: self.campaigns,
        )
        return CommandCore(self.db, settings, clock=self.clock)

    def ask(
        self,
        text: str,
        *,
        chat: str = CHAT,
        user: str | None = None,
        channel: str = "tg",
        language: str = "",
        group: bool = False,
        bot: str = BOT,
        limit: int = TELEGRAM,
    ) -> Reply | None:
        request = Request(
            channel=channel, chat=chat, user=chat if user is None else user, text=text,
            language=language, is_group=group, bot_username=bot,
        )  # fmt: skip
        return self.core.handle(request, limit)

    def say(self, text: str, **kwargs: Any) -> str:
        """The whole answer as one text (the pages joined, without their numbers)."""
        reply = self.ask(text, **kwargs)
        assert reply is not None, f"no answer to {text!r}"
        return "\n".join(unlabel(page) for page in reply.pages)

    def sync(self, campaigns: list[Campaign] | None = None) -> None:
        fill(self.db, [*library(), parse(GREEN_WEEK)] if campaigns is None else campaigns,
             self.clock.now)  # fmt: skip


@pytest.fixture
def bot(store: Engine) -> Bot:
    return Bot(store)


LABEL = re.compile(r"^\((\d+)/(\d+)\)\n")


def unlabel(page: str) -> str:
    return LABEL.sub("", page, count=1)


def labels(pages: list[str]) -> list[tuple[int, int]]:
    found = [LABEL.match(page) for page in pages]
    return [(int(m.group(1)), int(m.group(2))) for m in found if m]


def within(pages: list[str], limit: int) -> bool:
    return all(utf16_length(page) <= limit for page in pages)


def delivery_states(db: Engine) -> dict[str, tuple[str, str]]:
    with db.connect() as conn:
        rows = conn.execute(select(D.c.key, D.c.state, D.c.cancel_reason)).all()
    return {r.key: (r.state, r.cancel_reason) for r in rows}


def audit_rows(db: Engine) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(select(A).order_by(A.c.id)).all())


def subscription_rows(db: Engine) -> dict[tuple[str, str, str], tuple[bool, str]]:
    with db.connect() as conn:
        rows = conn.execute(select(S)).all()
    return {(r.channel, r.chat, r.campaign): (bool(r.active), r.ended_reason) for r in rows}
