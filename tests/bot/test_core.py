"""The command core answering every command from a store filled by sync, on a set clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select, update

from campaigns.i18n import CATALOG as TEXTS
from channels.split import utf16_length
from scheduler.bot import core as core_module
from scheduler.bot.core import ADMIN_COMMANDS, USER_COMMANDS
from scheduler.store.tables import State
from tests.bot.conftest import (
    ADMIN,
    ADMIN_GROUP,
    CHAT,
    GREEN,
    GREEN_WEEK,
    GROUP_KEY,
    LATER_KEY,
    NOW,
    SOON_KEY,
    TELEGRAM,
    VN,
    ZALO,
    Bot,
    C,
    D,
    audit_rows,
    delivery_states,
    fill,
    labels,
    library,
    many_items,
    parse,
    subscription_rows,
    unlabel,
    within,
)
from tests.store import both_stores

WED = "ngay-moi-truong-the-gioi"
MONTH = "thang-hanh-dong-vi-moi-truong"
PGI = "bao-cao-chi-so-xanh-pgi"


def item_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.startswith(("• ", "⏰ "))]


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN)


# -- /start and /help ------------------------------------------------------------------------


def test_start_and_help_list_the_user_commands(bot: Bot) -> None:
    text = bot.say("/help")
    assert text.startswith("Xin chào! Tôi là loa, trợ lý lịch chiến dịch")
    for name in USER_COMMANDS[2:]:
        assert f"\n/{name} — " in text
    assert "/upcoming — các việc sắp tới: /upcoming 20 (20 việc) hoặc /upcoming 7d" in text
    assert bot.say("/start") == text


@pytest.mark.parametrize(
    ("chat", "user", "channel", "admin"),
    [
        (CHAT, CHAT, "tg", False),
        (ADMIN, ADMIN, "tg", True),  # the admin in a private chat
        ("-100123", ADMIN, "tg", True),  # the admin in any group: by user id
        (ADMIN_GROUP, "4242", "tg", True),  # anyone in the admins' group: by chat id
        (ADMIN, ADMIN, "zalo", False),  # an admin on Telegram is not one on Zalo
        ("zalo-admin", "zalo-admin", "zalo", True),
    ],
)
def test_help_lists_admin_commands_only_for_admins(
    bot: Bot, chat: str, user: str, channel: str, admin: bool
) -> None:
    text = bot.say("/help", chat=chat, user=user, channel=channel)
    assert ("Lệnh quản trị:" in text) is admin
    for name in ADMIN_COMMANDS:
        assert (f"\n/{name} — " in text) is admin


# -- /campaigns ------------------------------------------------------------------------------


def test_campaigns_lists_ongoing_first_then_the_soonest(bot: Bot) -> None:
    assert item_lines(bot.say("/campaigns")) == [
        f"• Tháng hành động vì môi trường ({MONTH}) — đang diễn ra đến Thứ Hai, 30/06/2025",
        f"• Ngày Môi trường thế giới (05/6) ({WED}) — bắt đầu Thứ Năm, 05/06/2025",
        f"• Tuần lễ xanh ({GREEN}) — bắt đầu Thứ Ba, 10/06/2025",
    ]  # the PGI report's first last day is 09/12/2026, past the 400-day horizon


def test_an_ongoing_campaign_runs_until_this_years_end_not_the_horizons(bot: Bot) -> None:
    """The store holds the Month of Action of 2025 and 2026: under way until 30/06/2025."""
    text = bot.say("/campaigns")
    assert "đang diễn ra đến Thứ Hai, 30/06/2025" in text
    assert "30/06/2026" not in text


@both_stores
def test_campaigns_marks_a_paused_one(bot: Bot) -> None:
    bot.say(f"/pause {GREEN}", user=ADMIN)
    assert f"• Tuần lễ xanh ({GREEN}) (đang tạm dừng) — bắt đầu" in bot.say("/campaigns")


def test_campaigns_when_nothing_is_coming(db: Engine) -> None:
    assert Bot(db).say("/campaigns") == "Hiện chưa có chiến dịch nào đang hoặc sắp diễn ra."
    assert Bot(db).say("/campaigns", language="en") == "No campaign is running or coming."


def test_a_removed_campaign_is_not_listed(bot: Bot) -> None:
    bot.sync(library())  # the green week's file is gone
    assert GREEN not in bot.say("/campaigns")
    assert "Không có chiến dịch “tuan-le-xanh”" in bot.say(f"/campaign {GREEN}")


# -- the deadline "before 10 December": its last day, 9 December (all-day, no end) -----------


@pytest.fixture
def december(db: Engine) -> Bot:
    """The library synced on 1 December 2026; the clock on the last day, 9 December, 10:00."""
    fill(db, library(), local(2026, 12, 1, 9, 0))
    bot = Bot(db)
    bot.clock.now = local(2026, 12, 9, 10, 0)
    return bot


def test_on_the_deadline_day_the_report_is_still_listed(december: Bot) -> None:
    lines = item_lines(december.say("/campaigns"))
    report = next(line for line in lines if PGI in line)
    assert report.endswith("— đang diễn ra đến Thứ Tư, 09/12/2026")


def test_on_the_deadline_day_today_shows_it(december: Bot) -> None:
    text = december.say("/today")
    assert text.startswith("Hôm nay, Thứ Tư, 09/12/2026:")
    assert (
        "⏰ Thứ Tư, 09/12/2026 — Hạn: Báo cáo kết quả cải thiện, nâng cao Chỉ số Xanh cấp "
        f"tỉnh (PGI) [{PGI}]" in item_lines(text)
    )


def test_on_the_deadline_day_upcoming_lists_it_first(december: Bot) -> None:
    lines = item_lines(december.say("/upcoming 3"))
    assert lines[0] == (
        "⏰ Thứ Tư, 09/12/2026 — Hạn: Báo cáo kết quả cải thiện, nâng cao Chỉ số Xanh cấp "
        f"tỉnh (PGI) [{PGI}]"
    )
    december.clock.now = local(2026, 12, 10, 0, 5)  # the day after: gone
    assert all("09/12/2026" not in line for line in item_lines(december.say("/upcoming 3")))


def test_a_deadline_period_ends_on_its_day_not_the_day_before(december: Bot) -> None:
    text = december.say(f"/campaign {PGI}")
    assert "Thời gian: Thứ Tư, 09/12/2026 – Thứ Năm, 09/12/2027" in text
    december.clock.now = local(2026, 12, 1, 10, 0)
    assert "Thời gian: Thứ Tư, 09/12/2026 – Thứ Năm, 09/12/2027" in december.say(f"/campaign {PGI}")


def test_a_one_day_activity_period_ends_on_that_day(bot: Bot) -> None:
    text = bot.say(f"/campaign {WED}")
    assert "Thời gian: Thứ Năm, 05/06/2025 – Thứ Sáu, 05/06/2026" in text


# -- /upcoming -------------------------------------------------------------------------------


def test_upcoming_without_argument_shows_ten_in_time_order(bot: Bot) -> None:
    text = bot.say("/upcoming")
    lines = item_lines(text)
    assert text.startswith("Các việc sắp tới:\n")
    assert len(lines) == 10
    assert lines[:4] == [
        f"• Thứ Năm, 05/06/2025 — Ngày Môi trường thế giới [{WED}]",
        "• 07:00, Thứ Năm, 05/06/2025 — Trồng cây xanh hưởng ứng Ngày Môi trường thế giới 05/6 "
        f"(Khuôn viên trụ sở cơ quan, vườn cây của Chi đoàn) [{MONTH}]",
        f"• 08:00, Chủ Nhật, 08/06/2025 — Diễn đàn thanh niên vì môi trường [{MONTH}]",
        f"• 08:00, Thứ Ba, 10/06/2025 — Ngày hội xanh (Hội trường tầng 2) [{GREEN}]",
    ]
    assert f"⏰ Thứ Sáu, 20/06/2025 — Hạn: Báo cáo kết quả [{GREEN}]" in lines


@pytest.mark.parametrize(("arg", "count"), [("1", 1), ("3", 3), ("12", 12), ("500", None)])
def test_upcoming_n_shows_n(bot: Bot, arg: str, count: int | None) -> None:
    lines = item_lines(bot.say(f"/upcoming {arg}"))
    if count is None:  # fewer than 500 in the store: all of them
        assert 12 < len(lines) < 500
    else:
        assert len(lines) == count


@pytest.mark.parametrize("arg", ["7d", "7D", "7ngày", "7NGÀY", "7ngay", "7nga\u0300y"])
def test_upcoming_days_shows_that_window(bot: Bot, arg: str) -> None:
    assert item_lines(bot.say(f"/upcoming {arg}")) == [
        f"• Thứ Năm, 05/06/2025 — Ngày Môi trường thế giới [{WED}]",
        "• 07:00, Thứ Năm, 05/06/2025 — Trồng cây xanh hưởng ứng Ngày Môi trường thế giới 05/6 "
        f"(Khuôn viên trụ sở cơ quan, vườn cây của Chi đoàn) [{MONTH}]",
        f"• 08:00, Chủ Nhật, 08/06/2025 — Diễn đàn thanh niên vì môi trường [{MONTH}]",
        f"• 08:00, Thứ Ba, 10/06/2025 — Ngày hội xanh (Hội trường tầng 2) [{GREEN}]",
        "• 08:00, Thứ Tư, 11/06/2025 — Đối thoại chính sách về giải pháp giảm ô nhiễm nhựa "
        f"[{MONTH}]",  # 08:00 on the 11th is within 7 days of 10:00 on the 4th
    ]


@pytest.mark.parametrize(
    ("arg", "answer"),
    [
        ("0", "Số việc phải từ 1 đến 500."),
        ("501", "Số việc phải từ 1 đến 500."),
        ("999999", "Số việc phải từ 1 đến 500."),
        ("0d", "Số ngày phải từ 1 đến 400."),
        ("401d", "Số ngày phải từ 1 đến 400."),
        ("abc", "Cách dùng: /upcoming, /upcoming 20 (20 việc tới) hoặc /upcoming 7d (7 ngày tới)."),
        ("-5", "Cách dùng: /upcoming, /upcoming 20 (20 việc tới) hoặc /upcoming 7d (7 ngày tới)."),
        ("5 7", "Cách dùng: /upcoming, /upcoming 20 (20 việc tới) hoặc /upcoming 7d (7 ngày tới)."),
        ("7 d", "Cách dùng: /upcoming, /upcoming 20 (20 việc tới) hoặc /upcoming 7d (7 ngày tới)."),
        ("1.5", "Cách dùng: /upcoming, /upcoming 20 (20 việc tới) hoặc /upcoming 7d (7 ngày tới)."),
    ],
)
def test_upcoming_bad_arguments(bot: Bot, arg: str, answer: str) -> None:
    assert bot.say(f"/upcoming {arg}") == answer


def test_upcoming_days_is_capped_like_a_count(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long window is never a flood of messages: at most MAX_COUNT items, and it says so."""
    fill(db, [many_items(200)])
    monkeypatch.setattr(core_module, "MAX_COUNT", 50)
    text = Bot(db).say("/upcoming 400d")
    assert len(item_lines(text)) == 50
    assert text.endswith("Chỉ hiện 50 việc đầu tiên; hỏi ít ngày hơn để xem hết.")
    assert "Chỉ hiện" not in Bot(db).say("/upcoming 30d")


def test_upcoming_when_nothing_is_coming(db: Engine) -> None:
    assert Bot(db).say("/upcoming") == "Các việc sắp tới:\nKhông có việc nào."


# -- /today and /week ------------------------------------------------------------------------


def test_today_shows_what_is_under_way_and_starts_today(bot: Bot) -> None:
    bot.clock.now = local(2025, 6, 5, 9, 0)
    text = bot.say("/today")
    assert text.split("\n")[0] == "Hôm nay, Thứ Năm, 05/06/2025:"
    assert item_lines(text) == [
        f"• Chủ Nhật, 25/05/2025 → Thứ Hai, 30/06/2025 — Tháng hành động vì môi trường [{MONTH}]",
        f"• Thứ Năm, 05/06/2025 — Ngày Môi trường thế giới [{WED}]",
        "• 07:00, Thứ Năm, 05/06/2025 — Trồng cây xanh hưởng ứng Ngày Môi trường thế giới 05/6 "
        f"(Khuôn viên trụ sở cơ quan, vườn cây của Chi đoàn) [{MONTH}]",
    ]


def test_today_is_the_local_day(bot: Bot) -> None:
    bot.clock.now = dt.datetime(2025, 6, 4, 17, 30, tzinfo=dt.UTC)  # 00:30 on 5 June in Vietnam
    assert bot.say("/today").startswith("Hôm nay, Thứ Năm, 05/06/2025:")


def test_week_runs_monday_to_sunday(bot: Bot) -> None:
    text = bot.say("/week")
    assert text.split("\n")[0] == "Tuần này (Thứ Hai, 02/06/2025 – Chủ Nhật, 08/06/2025):"
    lines = item_lines(text)
    assert lines[0].startswith("• Chủ Nhật, 25/05/2025 → Thứ Hai, 30/06/2025")
    assert (
        lines[-1] == f"• 08:00, Chủ Nhật, 08/06/2025 — Diễn đàn thanh niên vì môi trường [{MONTH}]"
    )
    assert not any("10/06/2025" in line for line in lines)


def test_week_on_a_sunday_night_is_the_week_ending(bot: Bot) -> None:
    bot.clock.now = local(2025, 6, 8, 23, 30)
    assert bot.say("/week").startswith("Tuần này (Thứ Hai, 02/06/2025 – Chủ Nhật, 08/06/2025):")
    bot.clock.now = local(2025, 6, 9, 0, 0)
    assert bot.say("/week").startswith("Tuần này (Thứ Hai, 09/06/2025 – Chủ Nhật, 15/06/2025):")


# -- /campaign ID ----------------------------------------------------------------------------


def test_campaign_shows_summary_period_units_and_next_items(bot: Bot) -> None:
    assert bot.say(f"/campaign {GREEN}") == "\n".join(
        [
            f"Tuần lễ xanh ({GREEN})",
            "Chiến dịch thử của bot: một ngày hội và một hạn báo cáo.",
            "Thời gian: Thứ Ba, 10/06/2025 – Thứ Sáu, 20/06/2025",
            "Chủ trì: Văn phòng",
            "Phối hợp: Chi đoàn; Công đoàn",
            "",
            "Sắp tới:",
            "• 08:00, Thứ Ba, 10/06/2025 — Ngày hội xanh (Hội trường tầng 2)",
            "⏰ Thứ Sáu, 20/06/2025 — Hạn: Báo cáo kết quả",
            "",
            f"Nhận tin tại đây: /subscribe {GREEN} · lịch: /feed {GREEN}",
        ]
    )


def test_campaign_shows_at_most_five_next_items(bot: Bot) -> None:
    text = bot.say(f"/campaign {MONTH}")
    assert len(item_lines(text)) == 5
    assert "Chủ trì: Sở Nông nghiệp và Môi trường; Tỉnh đoàn" in text


def test_campaign_id_is_case_insensitive(bot: Bot) -> None:
    assert bot.say("/campaign TUAN-LE-XANH") == bot.say(f"/campaign {GREEN}")


@both_stores
def test_campaign_paused_and_nothing_coming(bot: Bot) -> None:
    bot.say(f"/pause {GREEN}", user=ADMIN)
    bot.clock.now = local(2025, 6, 21, 9, 0)
    text = bot.say(f"/campaign {GREEN}")
    assert text.split("\n")[:2] == [f"Tuần lễ xanh ({GREEN})", "(đang tạm dừng)"]
    assert "Không có việc nào." in text and "Thời gian:" not in text


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/campaign", "Cần đúng một mã chiến dịch: /campaign MÃ (xem mã bằng /campaigns)."),
        ("/campaign a b", "Cần đúng một mã chiến dịch: /campaign MÃ (xem mã bằng /campaigns)."),
        (
            "/campaign tuan-le-xan",
            "Không có chiến dịch “tuan-le-xan”. Xem danh sách bằng /campaigns. "
            "Có phải bạn muốn: tuan-le-xanh?",
        ),
        (
            "/campaign ngay-moi-truong",
            "Không có chiến dịch “ngay-moi-truong”. Xem danh sách bằng /campaigns. "
            f"Có phải bạn muốn: {WED}?",
        ),
        ("/campaign zzz", "Không có chiến dịch “zzz”. Xem danh sách bằng /campaigns."),
        ("/campaign 🌱🌱", "Không có chiến dịch “🌱🌱”. Xem danh sách bằng /campaigns."),
    ],
)
def test_campaign_bad_ids(bot: Bot, text: str, answer: str) -> None:
    assert bot.say(text) == answer


# -- /feed -----------------------------------------------------------------------------------


def test_feed_gives_the_public_links(bot: Bot) -> None:
    bot.feed_base = "https://lich.vp.gov.vn/"
    assert bot.say("/feed") == "\n".join(
        [
            "Lịch “Tất cả chiến dịch”: thêm đường dẫn này vào ứng dụng lịch (Thêm lịch → Từ URL):",
            "https://lich.vp.gov.vn/feeds/all.ics",
            "Hoặc mở trực tiếp trên điện thoại:",
            "webcal://lich.vp.gov.vn/feeds/all.ics",
        ]
    )
    text = bot.say("/feed Tuan-Le-Xanh")
    assert text.startswith("Lịch “Tuần lễ xanh”:")
    assert f"\nhttps://lich.vp.gov.vn/feeds/campaign/{GREEN}.ics\n" in text
    assert text.endswith(f"\nwebcal://lich.vp.gov.vn/feeds/campaign/{GREEN}.ics")


def test_feed_over_plain_http(bot: Bot) -> None:
    bot.feed_base = "http://192.168.1.10:8080"
    text = bot.say("/feed")
    assert "http://192.168.1.10:8080/feeds/all.ics" in text
    assert "webcal://192.168.1.10:8080/feeds/all.ics" in text


def test_a_private_feed_is_refused_without_its_link(bot: Bot) -> None:
    bot.feed_base = "https://lich.vp.gov.vn"
    bot.private_feeds = frozenset({f"campaign/{GREEN}", "all"})
    # a private campaign is known only to chats allowed it (tests/bot/test_privacy.py)
    for text, chat in (("/feed", CHAT), (f"/feed {GREEN}", ADMIN)):
        answer = bot.say(text, chat=chat)
        assert "nội bộ" in answer and "quản trị viên" in answer
        assert "http" not in answer and "webcal" not in answer and "token" not in answer
    assert bot.say(f"/feed {GREEN}", chat=ADMIN, language="en") == (
        "The “Tuần lễ xanh” calendar is private; ask an admin for its link."
    )
    assert "https://lich.vp.gov.vn/feeds/campaign/" + WED in bot.say(f"/feed {WED}")


def test_feed_when_loa_publishes_none(bot: Bot) -> None:
    assert bot.say("/feed") == "Máy chủ này không công bố lịch (http.enabled = false)."
    assert bot.say(f"/feed {GREEN}") == "Máy chủ này không công bố lịch (http.enabled = false)."


def test_feed_unknown_campaign(bot: Bot) -> None:
    bot.feed_base = "https://lich.vp.gov.vn"
    assert bot.say("/feed tuan-le").endswith("Có phải bạn muốn: tuan-le-xanh?")


# -- /subscribe and /unsubscribe -------------------------------------------------------------


@both_stores
def test_subscribe_adds_the_chat_and_asks_for_a_resync(bot: Bot) -> None:
    reply = bot.ask(f"/subscribe {GREEN}")
    assert reply is not None and reply.resync and not reply.wake
    assert reply.pages == [
        f"Đã đăng ký: tin của “Tuần lễ xanh” sẽ được gửi tới đây. Thôi nhận: /unsubscribe {GREEN}"
    ]
    assert subscription_rows(bot.db) == {("tg", CHAT, GREEN): (True, "")}
    assert SOON_KEY not in delivery_states(bot.db)  # nothing before the sync reply.resync asks
    bot.sync()
    states = delivery_states(bot.db)
    assert states[SOON_KEY] == states[LATER_KEY] == ("pending", "")


@both_stores
def test_subscribe_twice_changes_nothing(bot: Bot) -> None:
    bot.say(f"/subscribe {GREEN}")
    reply = bot.ask("/subscribe TUAN-LE-XANH")
    assert reply is not None and not reply.resync
    assert reply.pages == ["Bạn đã đăng ký “Tuần lễ xanh” rồi."]
    assert len(subscription_rows(bot.db)) == 1


@both_stores
def test_subscriptions_are_per_chat_and_channel(bot: Bot) -> None:
    bot.say(f"/subscribe {GREEN}")
    bot.say(f"/subscribe {GREEN}", chat="777")
    bot.say(f"/subscribe {GREEN}", chat=CHAT, channel="zalo")
    assert set(subscription_rows(bot.db)) == {
        ("tg", CHAT, GREEN), ("tg", "777", GREEN), ("zalo", CHAT, GREEN),
    }  # fmt: skip


@both_stores
def test_subscribe_says_when_the_campaign_sends_subscribers_nothing(bot: Bot) -> None:
    bot.sends = False
    assert bot.say(f"/subscribe {WED}").endswith(
        "\nLưu ý: chiến dịch này hiện chưa có tin nào gửi cho người đăng ký."
    )


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        (
            "/subscribe tuan-le",
            "Không có chiến dịch “tuan-le”. Xem danh sách bằng /campaigns. "
            "Có phải bạn muốn: tuan-le-xanh?",
        ),
        ("/subscribe 🙂", "Không có chiến dịch “🙂”. Xem danh sách bằng /campaigns."),
        (
            f"/subscribe {GREEN} {WED}",
            "Cần đúng một mã chiến dịch: /subscribe MÃ (xem mã bằng /campaigns).",
        ),
        ("/subscribe", "Cách dùng: /subscribe MÃ (xem mã bằng /campaigns)."),
    ],
)
@both_stores
def test_subscribe_bad_ids_change_nothing(bot: Bot, text: str, answer: str) -> None:
    reply = bot.ask(text)
    assert reply is not None and reply.pages == [answer] and not reply.resync
    assert subscription_rows(bot.db) == {}


@both_stores
def test_subscribe_and_unsubscribe_without_id_list_the_chats_subscriptions(bot: Bot) -> None:
    bot.say(f"/subscribe {GREEN}")
    bot.say(f"/subscribe {WED}")
    assert bot.say("/subscribe") == "\n".join(
        [
            "Cách dùng: /subscribe MÃ (xem mã bằng /campaigns).",
            "Bạn đang nhận tin của:",
            f"• {WED}",
            f"• {GREEN}",
        ]
    )
    assert bot.say("/unsubscribe", language="en") == "\n".join(
        ["Usage: /unsubscribe ID.", "You get messages from:", f"• {WED}", f"• {GREEN}"]
    )


@both_stores
def test_unsubscribe_cancels_only_that_chats_waiting_deliveries(bot: Bot) -> None:
    bot.say(f"/subscribe {GREEN}")
    bot.say(f"/subscribe {GREEN}", chat="777")
    bot.sync()
    reply = bot.ask("/unsubscribe Tuan-Le-Xanh")
    assert reply is not None and reply.resync
    assert reply.pages == [
        f"Đã huỷ đăng ký “{GREEN}”: bạn sẽ không nhận tin của chiến dịch này nữa."
    ]
    states = delivery_states(bot.db)
    assert states[SOON_KEY] == states[LATER_KEY] == ("cancelled", "unsubscribed")
    assert states[SOON_KEY.replace(CHAT, "777")] == ("pending", "")  # the other chat's
    assert states[GROUP_KEY] == ("pending", "")  # the configured group's
    assert subscription_rows(bot.db)[("tg", CHAT, GREEN)] == (False, "unsubscribed")
    bot.sync()  # the daemon's resync leaves them cancelled
    assert delivery_states(bot.db)[SOON_KEY] == ("cancelled", "unsubscribed")


@both_stores
def test_unsubscribe_leaves_sent_deliveries_alone(bot: Bot) -> None:
    bot.say(f"/subscribe {GREEN}")
    bot.sync()
    with bot.db.begin() as conn:
        conn.execute(update(D).where(D.c.key == SOON_KEY).values(state=State.SENT))
    bot.say(f"/unsubscribe {GREEN}")
    states = delivery_states(bot.db)
    assert states[SOON_KEY] == ("sent", "") and states[LATER_KEY][0] == "cancelled"


@both_stores
def test_resubscribing_and_a_sync_restore_the_cancelled_deliveries(bot: Bot) -> None:
    bot.say(f"/subscribe {GREEN}")
    bot.sync()
    bot.say(f"/unsubscribe {GREEN}")
    bot.sync()
    bot.clock.now = local(2025, 6, 5, 9, 0)  # the morning message is past now: it stays
    reply = bot.ask(f"/subscribe {GREEN}")
    assert reply is not None and reply.resync
    assert reply.pages[0].startswith("Đã đăng ký")
    assert subscription_rows(bot.db)[("tg", CHAT, GREEN)] == (True, "")
    bot.sync()
    states = delivery_states(bot.db)
    assert states[LATER_KEY] == ("pending", "")
    assert states[SOON_KEY] == ("cancelled", "unsubscribed")


@both_stores
def test_unsubscribing_and_subscribing_again_before_a_sync_loses_nothing(bot: Bot) -> None:
    """The stored digest already has the chat in it: the sync must expand all the same."""
    bot.say(f"/subscribe {GREEN}")
    bot.sync()
    bot.say(f"/unsubscribe {GREEN}")
    bot.say(f"/subscribe {GREEN}")
    bot.sync()
    states = delivery_states(bot.db)
    assert states[SOON_KEY] == states[LATER_KEY] == ("pending", "")


@both_stores
def test_unsubscribe_cancels_held_deliveries_and_a_paused_resubscription_holds(
    bot: Bot,
) -> None:
    bot.say(f"/subscribe {GREEN}")
    bot.sync()
    bot.say(f"/pause {GREEN}", user=ADMIN)
    bot.say(f"/unsubscribe {GREEN}")
    states = delivery_states(bot.db)
    assert states[SOON_KEY] == states[LATER_KEY] == ("cancelled", "unsubscribed")
    assert states[GROUP_KEY] == ("held", "")
    bot.say(f"/subscribe {GREEN}")
    bot.sync()
    states = delivery_states(bot.db)
    assert states[SOON_KEY] == states[LATER_KEY] == ("held", "")  # back, and still paused


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        (
            f"/unsubscribe {WED}",
            f"Bạn chưa đăng ký “{WED}”.\nBạn đang nhận tin của:\n• {GREEN}",
        ),
        (
            "/unsubscribe tuan-le-xan",
            "Bạn chưa đăng ký “tuan-le-xan”. Có phải bạn muốn: tuan-le-xanh?\n"
            f"Bạn đang nhận tin của:\n• {GREEN}",
        ),
        (
            "/unsubscribe a b",
            "Cần đúng một mã chiến dịch: /unsubscribe MÃ (xem mã bằng /campaigns).",
        ),
    ],
)
@both_stores
def test_unsubscribe_what_the_chat_does_not_get(bot: Bot, text: str, answer: str) -> None:
    bot.say(f"/subscribe {GREEN}")
    reply = bot.ask(text)
    assert reply is not None and not reply.resync
    assert "\n".join(reply.pages) == answer
    assert subscription_rows(bot.db)[("tg", CHAT, GREEN)] == (True, "")


# -- /lang and the reply language ------------------------------------------------------------


@both_stores
def test_lang_is_kept_per_chat(bot: Bot) -> None:
    reply = bot.ask("/lang EN")
    assert reply is not None and reply.pages == ["Switched to English."]
    with bot.db.connect() as conn:
        assert conn.execute(select(C.c.chat, C.c.language)).all() == [(CHAT, "en")]
    assert bot.say("/upcoming 1") == (
        "Coming up:\n• Thursday, 5 June 2025 — Ngày Môi trường thế giới [ngay-moi-truong-the-gioi]"
    )
    assert bot.say("/upcoming 1", chat="777").startswith("Các việc sắp tới:")
    assert bot.say("/upcoming 1", channel="zalo").startswith("Các việc sắp tới:")
    assert bot.say("/lang vi") == "Đã chuyển sang tiếng Việt."
    assert bot.say("/upcoming 1").startswith("Các việc sắp tới:")


@pytest.mark.parametrize("text", ["/lang", "/lang fr", "/lang vi en", "/lang tiếng-việt"])
def test_lang_usage(bot: Bot, text: str) -> None:
    assert bot.say(text) == "Cách dùng: /lang vi hoặc /lang en."
    with bot.db.connect() as conn:
        assert conn.execute(select(C)).all() == []


@pytest.mark.parametrize(
    ("app", "expected"),
    [("", "vi"), ("vi", "vi"), ("vi-VN", "vi"), ("en", "en"), ("en-US", "en"), ("EN-gb", "en"),
     ("fr", "vi"), ("zh-Hans", "vi")],
)  # fmt: skip
def test_the_app_language_when_the_chat_chose_none(bot: Bot, app: str, expected: str) -> None:
    text = bot.say("/today", language=app)
    assert text.startswith(
        "Today, Wednesday, 4 June 2025:" if expected == "en" else "Hôm nay, Thứ Tư, 04/06/2025:"
    )


def test_the_chats_choice_wins_over_the_app_language(bot: Bot) -> None:
    bot.say("/lang vi")
    assert bot.say("/today", language="en-US").startswith("Hôm nay, Thứ Tư, 04/06/2025:")
    bot.say("/lang en", chat="777")
    assert bot.say("/today", chat="777", language="vi").startswith("Today, Wednesday")


def test_the_configured_language_is_the_last_resort(bot: Bot) -> None:
    bot.language = "en"
    assert bot.say("/today").startswith("Today, Wednesday, 4 June 2025:")
    assert bot.say("/today", language="vi").startswith("Hôm nay")


def test_english_dates_and_labels(bot: Bot) -> None:
    text = bot.say(f"/campaign {GREEN}", language="en")
    assert "When: Tuesday, 10 June 2025 – Friday, 20 June 2025" in text
    assert "Lead: Văn phòng" in text and "Partners: Chi đoàn; Công đoàn" in text
    assert "⏰ Friday, 20 June 2025 — Due: Báo cáo kết quả" in text
    assert "• 08:00, Tuesday, 10 June 2025 — Ngày hội xanh (Hội trường tầng 2)" in text


def test_every_bot_text_has_both_languages_and_vietnamese_diacritics() -> None:
    import unicodedata

    bot_texts = {code: pair for code, pair in TEXTS.items() if code.startswith("bot_")}
    assert all(vi.strip() and en.strip() and vi != en for vi, en in bot_texts.values())
    assert all(unicodedata.is_normalized("NFC", vi) for vi, _ in bot_texts.values())
    for name in (*USER_COMMANDS[2:], *ADMIN_COMMANDS):
        assert f"bot_help_{name}" in bot_texts
    assert TEXTS["bot_not_admin"][0] == "Xin lỗi, lệnh này chỉ dành cho quản trị viên."


# -- admin commands --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["/status", f"/pause {GREEN}", f"/resume {GREEN}", "/retry k"])
@both_stores
def test_admin_commands_refuse_others_politely_and_are_audited(bot: Bot, text: str) -> None:
    before = delivery_states(bot.db)
    reply = bot.ask(text, chat="-100123", user="4242", group=True)
    assert reply is not None and reply.pages == ["Xin lỗi, lệnh này chỉ dành cho quản trị viên."]
    assert not reply.wake and not reply.resync
    assert delivery_states(bot.db) == before
    (entry,) = audit_rows(bot.db)
    name, _, arguments = text[1:].partition(" ")
    assert (entry.channel, entry.chat, entry.user, entry.command, entry.arguments) == (
        "tg", "-100123", "4242", name, arguments,
    )  # fmt: skip
    assert entry.result == "refused" and entry.at == NOW


def test_an_admin_of_another_channel_is_refused(bot: Bot) -> None:
    assert bot.say("/status", channel="zalo", chat=ADMIN, user=ADMIN).startswith("Xin lỗi")
    assert audit_rows(bot.db)[0].result == "refused"


def test_status_counts_states_and_shows_the_next_due(bot: Bot) -> None:
    text = bot.say("/status", user=ADMIN, chat=ADMIN)
    assert text.split("\n")[0] == "Tình trạng gửi tin:"
    assert "• đang chờ: " in text
    assert "Tin kế tiếp: 10:30, Thứ Tư, 04/06/2025" in text  # the green week's morning note
    assert "Lỗi gần nhất:" not in text
    (entry,) = audit_rows(bot.db)
    assert (entry.command, entry.result, entry.user) == ("status", "ok", ADMIN)


def test_status_lists_the_last_failures(bot: Bot) -> None:
    with bot.db.begin() as conn:
        conn.execute(
            update(D)
            .where(D.c.key == GROUP_KEY)
            .values(state=State.FAILED, last_error="Forbidden: bot was kicked\nfrom the group")
        )
    text = bot.say("/status", chat=ADMIN_GROUP, user="1", group=True)  # admin by chat id
    assert "• lỗi: 1" in text
    assert text.endswith(
        f"Lỗi gần nhất:\n• {GROUP_KEY} [lỗi]: Forbidden: bot was kicked from the group"
    )


def test_status_of_an_empty_outbox(db: Engine) -> None:
    assert (
        Bot(db).say("/status", user=ADMIN) == "Tình trạng gửi tin:\nChưa có tin nào trong hàng đợi."
    )


@both_stores
def test_pause_holds_waiting_deliveries_and_a_sync_keeps_new_ones_held(bot: Bot) -> None:
    bot.say(f"/subscribe {GREEN}")
    bot.sync()
    reply = bot.ask(f"/pause {GREEN}", user=ADMIN)
    assert reply is not None and reply.wake
    assert reply.pages == [
        f"Đã tạm dừng “{GREEN}”: 3 tin đang chờ được giữ lại. Gửi tiếp: /resume {GREEN}"
    ]
    states = delivery_states(bot.db)
    assert {states[k][0] for k in (SOON_KEY, LATER_KEY, GROUP_KEY)} == {"held"}
    assert all(s == "pending" for k, (s, _) in states.items() if not k.startswith(GREEN))
    # a new message and a new subscriber while paused: their deliveries arrive held
    edited = GREEN_WEEK + (
        '\n[[message]]\nid = "moi"\nat = 2025-06-12T08:00:00\ntext = "Tin mới"\n'
        'channels = ["subscribers"]\n'
    )
    bot.say(f"/subscribe {GREEN}", chat="777")
    bot.sync([*library(), parse(edited)])
    states = delivery_states(bot.db)
    assert states[f"{GREEN}:moi:once@tg:chat:{CHAT}"] == ("held", "")
    assert states[f"{GREEN}:moi:once@tg:chat:777"] == ("held", "")
    assert states[SOON_KEY.replace(CHAT, "777")] == ("held", "")
    assert states[SOON_KEY] == ("held", "")
    (entry,) = (e for e in audit_rows(bot.db) if e.command == "pause")
    assert (entry.result, entry.arguments) == ("ok", GREEN)
    assert entry.detail.startswith(f"Đã tạm dừng “{GREEN}”")


@both_stores
def test_pause_twice(bot: Bot) -> None:
    bot.say(f"/pause {GREEN}", user=ADMIN)
    reply = bot.ask(f"/pause {GREEN}", user=ADMIN)
    assert reply is not None and reply.pages == [f"“{GREEN}” đang tạm dừng rồi."]
    assert [e.result for e in audit_rows(bot.db)] == ["ok", "ok"]


@both_stores
def test_resume_within_grace_sends_and_beyond_grace_misses(bot: Bot) -> None:
    bot.say(f"/pause {GREEN}", user=ADMIN)
    bot.clock.now = local(2025, 6, 4, 11, 45)  # 10:30 is 1 h 15 min ago: past the 1 h grace
    reply = bot.ask(f"/resume {GREEN}", user=ADMIN)
    assert reply is not None and reply.wake
    assert reply.pages == [
        f"Đã gửi tiếp “{GREEN}”: 0 tin sẽ được gửi, 1 tin đã quá hạn nên bỏ qua."
    ]
    assert delivery_states(bot.db)[GROUP_KEY] == ("missed", "")
    (entry,) = (e for e in audit_rows(bot.db) if e.command == "resume")
    assert entry.result == "ok" and entry.at == local(2025, 6, 4, 11, 45)


@both_stores
def test_resume_within_grace(bot: Bot) -> None:
    bot.say(f"/subscribe {GREEN}")
    bot.sync()
    bot.say(f"/pause {GREEN}", user=ADMIN)
    bot.clock.now = local(2025, 6, 4, 11, 15)  # 45 min after 10:30: within the grace
    text = bot.say(f"/resume {GREEN}", user=ADMIN)
    assert text == f"Đã gửi tiếp “{GREEN}”: 3 tin sẽ được gửi, 0 tin đã quá hạn nên bỏ qua."
    states = delivery_states(bot.db)
    assert {states[k][0] for k in (SOON_KEY, LATER_KEY, GROUP_KEY)} == {"pending"}
    assert bot.say(f"/resume {GREEN}", user=ADMIN) == f"“{GREEN}” không bị tạm dừng."


@both_stores
def test_resume_of_more_deliveries_than_one_statement_takes(bot: Bot) -> None:
    """1,200 held deliveries, every other one past its grace (keys go 500 to a statement)."""
    start = local(2025, 6, 4, 8, 0)
    rows = [
        dict(
            key=f"{GREEN}:loat:{i:04d}@tg:nhom-vp", message_key=f"{GREEN}:loat:{i:04d}",
            campaign=GREEN, item="loat", occurrence=f"{i:04d}", channel="tg", target="nhom-vp",
            due=start if i % 2 else start + dt.timedelta(days=1, minutes=i), text="x",
            state=State.PENDING, next_attempt_at=start, grace_seconds=3600, created_at=start,
            updated_at=start,
        )
        for i in range(1200)
    ]  # fmt: skip
    with bot.db.begin() as conn:
        conn.execute(D.insert(), rows)
    assert bot.say(f"/pause {GREEN}", user=ADMIN).startswith(f"Đã tạm dừng “{GREEN}”: 1201 tin")
    assert bot.say(f"/resume {GREEN}", user=ADMIN) == (
        f"Đã gửi tiếp “{GREEN}”: 601 tin sẽ được gửi, 600 tin đã quá hạn nên bỏ qua."
    )  # 08:00 is two hours before 10:00; the group's 10:30 note is still to come
    states = delivery_states(bot.db)
    batch = [states[str(row["key"])][0] for row in rows]
    assert batch == ["pending" if i % 2 == 0 else "missed" for i in range(1200)]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/pause", "Cần đúng một mã chiến dịch: /pause MÃ (xem mã bằng /campaigns)."),
        (
            "/pause tuan-le",
            "Không có chiến dịch “tuan-le”. Xem danh sách bằng /campaigns. "
            "Có phải bạn muốn: tuan-le-xanh?",
        ),
        ("/resume a b", "Cần đúng một mã chiến dịch: /resume MÃ (xem mã bằng /campaigns)."),
        ("/retry", "Cách dùng: /retry KHOÁ_TIN."),
        ("/retry a b", "Cách dùng: /retry KHOÁ_TIN."),
        ("/retry khong-co", "Không có tin với khoá “khong-co”."),
        (
            f"/retry {GROUP_KEY}",
            f"Tin “{GROUP_KEY}” đang ở trạng thái “đang chờ”, không gửi lại được.",
        ),
    ],
)
@both_stores
def test_admin_commands_that_do_nothing_are_audited_as_errors(
    bot: Bot, text: str, answer: str
) -> None:
    before = delivery_states(bot.db)
    reply = bot.ask(text, user=ADMIN)
    assert reply is not None and reply.pages == [answer] and reply.failed and not reply.wake
    assert delivery_states(bot.db) == before
    (entry,) = audit_rows(bot.db)
    assert (entry.result, entry.detail) == ("error", answer)


@both_stores
def test_retry_sends_a_failed_delivery_again(bot: Bot) -> None:
    with bot.db.begin() as conn:
        conn.execute(update(D).where(D.c.key == GROUP_KEY).values(state=State.FAILED, attempts=8))
    bot.clock.now = local(2025, 6, 4, 14, 0)
    reply = bot.ask(f"/retry {GROUP_KEY}", user=ADMIN)
    assert reply is not None and reply.wake and not reply.failed
    assert reply.pages == [f"Sẽ gửi lại ngay: {GROUP_KEY}"]
    with bot.db.connect() as conn:
        row = conn.execute(select(D).where(D.c.key == GROUP_KEY)).one()
    assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 0, local(2025, 6, 4, 14))
    (entry,) = audit_rows(bot.db)
    assert (entry.command, entry.arguments, entry.result) == ("retry", GROUP_KEY, "ok")


@both_stores
@pytest.mark.parametrize(
    ("channel", "target", "cause"),
    [
        ("tg", "", "tin không ghi nhóm hay người nhận nào trên kênh “tg”"),
        ("zalo", "", "tin không ghi nhóm hay người nhận nào trên kênh “zalo”"),
        ("tg", "nhom-cu", "kênh “tg” không có nơi nhận “nhom-cu”"),
        ("fb", "", "kênh “fb” không có trong cấu hình của loa"),
    ],
)
def test_retry_refuses_a_delivery_that_can_never_be_sent_and_says_why(
    bot: Bot, channel: str, target: str, cause: str
) -> None:
    """A delivery stored with no chat (by an older loa) failed with "chat_id is empty": /retry
    refuses it, under the rule ``loa retry`` follows, instead of queueing it to fail again. It
    answered with the CLI's sentence ("… ví dụ loa send tg:nhom-vp"), odd in a chat: the chat
    says why in its own words and that the operator must fix the configuration."""
    from scheduler.store import outbox

    key = outbox.add_manual(bot.db, channel, target, "Thử nghiệm", NOW)
    with bot.db.begin() as conn:
        conn.execute(update(D).where(D.c.key == key).values(state=State.FAILED))
    before = delivery_states(bot.db)
    reply = bot.ask(f"/retry {key}", user=ADMIN)
    assert reply is not None and reply.failed and not reply.wake
    (page,) = reply.pages
    assert page == (
        f"Tin “{key}” không gửi lại được: {cause}, nên gửi lần nào cũng lỗi. "
        "Nhờ người vận hành loa kiểm tra kênh và nơi nhận trong config.toml."
    )
    assert "loa send" not in page and "[channels" not in page
    assert delivery_states(bot.db) == before
    (entry,) = audit_rows(bot.db)
    assert (entry.command, entry.result, entry.detail) == ("retry", "error", page)


@both_stores
def test_retry_refuses_a_duplicate_in_the_chats_words(bot: Bot) -> None:
    """A delivery cancelled because its chat gets the message under another key is not sent a
    second time; the chat hears it in its own words, not the CLI's ("không gửi lại tin '…'")."""
    from scheduler.subscriptions import DUPLICATE

    reason = "cuộc trò chuyện này nhận tin dưới khóa k:khac: không gửi lần thứ hai"
    with bot.db.begin() as conn:
        conn.execute(update(D).where(D.c.key == GROUP_KEY).values(
            state=State.CANCELLED, cancel_reason=DUPLICATE, last_error=reason))  # fmt: skip
    reply = bot.ask(f"/retry {GROUP_KEY}", user=ADMIN)
    assert reply is not None and reply.failed and not reply.wake
    assert reply.pages == [f"Tin “{GROUP_KEY}” không được gửi lại: {reason}."]


@both_stores
def test_an_error_while_answering_is_audited_and_raised(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(core_module.pausing, "pause", broken)
    with pytest.raises(RuntimeError):
        bot.ask(f"/pause {GREEN}", user=ADMIN)
    (entry,) = audit_rows(bot.db)
    assert (entry.result, entry.detail) == ("error", "RuntimeError: database is locked")


# -- odd input -------------------------------------------------------------------------------

HINT = "Tôi chỉ hiểu các lệnh bắt đầu bằng dấu /. Gõ /help để xem danh sách lệnh."


@pytest.mark.parametrize(
    ("text", "group", "answer"),
    [
        ("", False, HINT),
        ("   \n\t", False, HINT),
        ("/", False, HINT),
        ("xin chào", False, HINT),
        ("🌱🌱🌱", False, HINT),
        ("", True, None),
        ("xin chào cả nhà", True, None),
        ("/", True, None),
        ("/help@otherbot", True, None),
        ("/upcoming@other_bot 5", True, None),
        ("/foo", True, None),  # another bot's command in the group
        ("/warn", True, None),
        ("/status@otherbot", True, None),
        ("/foo", False, "Không có lệnh /foo. Gõ /help để xem danh sách lệnh."),
        ("/foo@LoaBot", True, "Không có lệnh /foo. Gõ /help để xem danh sách lệnh."),
        (
            "/upcomming",
            False,
            "Không có lệnh /upcomming. Gõ /help để xem danh sách lệnh. Có phải bạn muốn: /upcoming?",
        ),
        (
            "/subscrib@loabot x",
            True,
            "Không có lệnh /subscrib. Gõ /help để xem danh sách lệnh. "
            "Có phải bạn muốn: /subscribe?",
        ),
        (
            "/paus x",
            False,
            "Không có lệnh /paus. Gõ /help để xem danh sách lệnh.",  # no admin hint for others
        ),
        ("/upcoming 🌱", False,
         "Cách dùng: /upcoming, /upcoming 20 (20 việc tới) hoặc /upcoming 7d (7 ngày tới)."),
        ("/lang 🇻🇳", False, "Cách dùng: /lang vi hoặc /lang en."),
        ("/unsubscribe \u202eabc", False, "Bạn chưa đăng ký “abc”."),
    ],
)  # fmt: skip
def test_odd_messages(bot: Bot, text: str, group: bool, answer: str | None) -> None:
    reply = bot.ask(text, group=group, chat="-100123" if group else CHAT)
    if answer is None:
        assert reply is None
    else:
        assert reply is not None and "\n".join(reply.pages) == answer


@pytest.mark.parametrize(
    "text",
    [
        "/help",
        "/HELP",
        "/Help@LoaBot",
        "/help@loabot",
        "/help@LOABOT",
        "  \n/help  \n",
        "\u200f/help",
        "\u202e/help\u202c",
        "\ufeff/help",
        "/help\u200b",
        "/he\u200blp",
    ],
)
def test_help_however_it_is_written(bot: Bot, text: str) -> None:
    assert bot.say(text, group=True, chat="-100123") == bot.say("/help")


def test_the_admin_hint_for_admins(bot: Bot) -> None:
    assert bot.say("/paus x", user=ADMIN).endswith("Có phải bạn muốn: /pause?")
    assert bot.say("/statu", user=ADMIN).endswith("Có phải bạn muốn: /status?")
    assert bot.say("/statu").endswith("Có phải bạn muốn: /start?")


def test_mixed_case_and_newlines_in_a_command(bot: Bot) -> None:
    assert len(item_lines(bot.say("\n\n  /UpComing\n3\n"))) == 3
    assert item_lines(bot.say("\n\n  /UpComing\n3\n")) == item_lines(bot.say("/upcoming 3"))
    assert item_lines(bot.say("/UPCOMING\t3D")) == item_lines(bot.say("/upcoming 2"))


@pytest.mark.parametrize(
    "command",
    ["campaign", "subscribe", "unsubscribe", "feed", "upcoming", "lang", "pause", "retry"],
)
def test_a_five_thousand_character_argument_is_quoted_short(bot: Bot, command: str) -> None:
    bot.feed_base = "https://lich.vp.gov.vn"
    argument = "Ngày-môi-trường-" + "x" * 5000
    reply = bot.ask(f"/{command} {argument}", user=ADMIN)
    assert reply is not None and len(reply.pages) == 1
    assert utf16_length(reply.pages[0]) < 300
    assert "x" * 40 not in reply.pages[0]
    if command in ("campaign", "subscribe", "unsubscribe", "feed", "pause", "retry"):
        assert "“Ngày-môi-trường-xxxxxxxxxxxxxxxxxxxxxxx…”" in reply.pages[0]


def test_a_five_thousand_character_command_name_is_quoted_short(bot: Bot) -> None:
    text = bot.say("/" + "a" * 5000)
    assert text == f"Không có lệnh /{'a' * 38}…. Gõ /help để xem danh sách lệnh."


@both_stores
def test_a_long_argument_is_audited_cut(bot: Bot) -> None:
    bot.say("/pause " + "x" * 5000)
    (entry,) = audit_rows(bot.db)
    assert entry.result == "refused" and entry.arguments == "x" * 1000


# -- paging: 200 coming items ----------------------------------------------------------------


@pytest.fixture
def crowded(db: Engine) -> Bot:
    fill(db, [many_items(200)])
    return Bot(db)


@pytest.mark.parametrize("limit", [TELEGRAM, ZALO])
def test_two_hundred_items_come_in_numbered_pages(crowded: Bot, limit: int) -> None:
    reply = crowded.ask("/upcoming 200", limit=limit)
    assert reply is not None
    pages = reply.pages
    total = len(pages)
    assert total >= (5 if limit == TELEGRAM else 10)
    assert labels(pages) == [(i, total) for i in range(1, total + 1)]
    assert all(page.startswith(f"({i}/{total})\n") for i, page in enumerate(pages, start=1))
    assert within(pages, limit)
    assert unlabel(pages[0]).startswith("Các việc sắp tới:\n")
    lines = [line for page in pages for line in item_lines(unlabel(page))]
    assert len(lines) == len(set(lines)) == 200
    assert [line.split(": ", 1)[0].rsplit("Việc số ", 1)[1] for line in lines] == [
        f"{i:03d}" for i in range(200)
    ]  # each item once, in time order
    assert lines[0] == (
        "• 08:00, Thứ Năm, 05/06/2025 — Việc số 000: ra quân vệ sinh môi trường 🌱♻️ cùng "
        "đoàn viên (Phường 1) [hai-tram-viec]"
    )
    assert lines[-1].startswith("• 08:00, Chủ Nhật, 21/12/2025 — Việc số 199:")


def test_a_title_written_on_several_lines_is_one_item_line(db: Engine) -> None:
    fill(db, [parse(
        'id = "nhieu-dong"\ntitle = """Nhiều\ndòng"""\n'
        '[[activity]]\nid = "a"\ntitle = """Ngày hội\n  xanh"""\nstart = 2025-06-06T08:00:00\n'
        'location = """Hội trường\ntầng 2"""\n'
    )])  # fmt: skip
    bot = Bot(db)
    assert item_lines(bot.say("/upcoming")) == [
        "• 08:00, Thứ Sáu, 06/06/2025 — Ngày hội xanh (Hội trường tầng 2) [nhieu-dong]"
    ]
    assert bot.say("/campaign nhieu-dong").startswith("Nhiều dòng (nhieu-dong)\n")
    assert "• Nhiều dòng (nhieu-dong) — bắt đầu" in bot.say("/campaigns")


def test_plain_text_in_a_private_chat_is_answered_in_the_chats_language(bot: Bot) -> None:
    bot.say("/lang en")
    assert bot.say("hello") == "I understand commands that start with /. Send /help for the list."
    assert bot.say("hello", chat="777") == HINT
