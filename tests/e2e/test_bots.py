"""``loa run`` answering chat commands on Telegram (polling, python-telegram-bot against the local
fake Bot API): replies in Vietnamese, a subscription that brings the campaign's next message
exactly once, admin commands refused and audited for others, and no update answered twice
across a restart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tests.e2e.harness import (
    BOT_CAMPAIGN,
    Office,
    environment_day,
    notice_to_everyone,
    says_a_day,
    wait_for,
)
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = pytest.mark.slow


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def texts(fake: FakeTelegram, chat: int) -> list[str]:
    return [m.text or "" for m in fake.messages_to(chat)]


def reply_to(fake: FakeTelegram, chat: int, count: int, what: str) -> str:
    """Wait for the chat's ``count``-th message and return it."""
    found = wait_for(lambda: len(texts(fake, chat)) >= count, 20, what)
    assert found
    return texts(fake, chat)[count - 1]


def test_commands_subscription_admin_and_restart(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    user = fake.add_private_chat(first_name="Lan")
    admin = fake.add_private_chat(first_name="Hùng")
    group = fake.add_group()
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        f'[channels.tg.bot]\nenabled = true\npoll_seconds = 2\nadmins = ["{admin}"]\n'
    )
    office.write_config()
    today = dt.datetime.now(dt.UTC).date()
    reminder = "Nhắc: sáng thứ Năm mít tinh hưởng ứng Ngày Môi trường thế giới 🌱"
    # parked an hour ahead while the chats subscribe, then moved to 2 s ahead
    makers = {
        "moi-truong": lambda at: environment_day(today, ("nhac", at, reminder, "subscribers"))
    }
    parked_at = office.park(makers)
    process = office.start()
    office.started(process)

    # the command menu, in Vietnamese and (for English apps) in English
    wait_for(lambda: fake.commands(language_code="en"), 20, "setMyCommands")
    menu_vi = {c["command"]: c["description"] for c in fake.commands()}
    menu_en = {c["command"]: c["description"] for c in fake.commands(language_code="en")}
    assert {"upcoming", "subscribe", "feed", "lang"} <= set(menu_vi)
    assert "status" not in menu_vi  # admin commands stay off the menu
    assert "sắp tới" in menu_vi["upcoming"] and "coming" in menu_en["upcoming"]

    fake.queue_message(user, "/upcoming")
    answer = reply_to(fake, user, 1, "the /upcoming reply")
    assert answer.startswith("Các việc sắp tới:")
    assert "Lễ mít tinh hưởng ứng Ngày Môi trường thế giới" in answer
    assert says_a_day(answer) and "(Quảng trường tỉnh)" in answer

    fake.queue_message(user, "/subscribe ngay-moi-truong")
    assert "Đã đăng ký" in reply_to(fake, user, 2, "the /subscribe reply")
    key = f"ngay-moi-truong:nhac:once@tg:chat:{user}"
    wait_for(lambda: office.query("select state from delivery where key = ?", key), 20, "sync")

    fake.queue_message(user, "/status")
    assert "chỉ dành cho quản trị viên" in reply_to(fake, user, 3, "the refusal")
    fake.queue_message(admin, "/STATUS")
    status = reply_to(fake, admin, 1, "the admin's /status")
    assert status.startswith("Tình trạng gửi tin:") and "đang chờ: 1" in status

    fake.queue_message(group, "/help@some_other_bot")
    fake.queue_message(group, "/help@" + fake.bot_username)
    assert "/upcoming" in reply_to(fake, group, 1, "the group's /help")
    fake.queue_message(group, "/subscribe ngay-moi-truong")
    assert "Đã đăng ký" in reply_to(fake, group, 2, "the group's /subscribe")
    # the group becomes a supergroup and loa hears of it only when it sends there
    supergroup = fake.migrate(group)
    office.move(makers, parked_at, 2)

    # the campaign's message reaches the subscribed chats, once
    wait_for(lambda: len(texts(fake, user)) >= 4, 40, "the campaign message")
    assert texts(fake, user)[3] == reminder
    # the group's delivery is its own: it meets the upgrade (a 400) and goes to the new id,
    # maybe after the user's is recorded; once both are recorded, each chat has it once
    wait_for(lambda: texts(fake, supergroup), 20, "the message at the supergroup's new id")
    both = "select state from delivery where campaign = ? and item = 'nhac'"
    wait_for(lambda: office.query(both, BOT_CAMPAIGN) == [("sent",)] * 2, 20, "both recorded")
    assert texts(fake, supergroup) == [reminder]
    # the subscription followed the group to its new id: it can unsubscribe there
    fake.queue_message(supergroup, "/unsubscribe ngay-moi-truong")
    assert "Đã huỷ đăng ký" in reply_to(fake, supergroup, 2, "the supergroup's /unsubscribe")

    audit = office.loa("audit", "--format", "json")
    assert audit.returncode == 0, audit.stderr
    assert '"result": "refused"' in audit.stdout and f'"user": "{user}"' in audit.stdout
    assert '"result": "ok"' in audit.stdout and f'"user": "{admin}"' in audit.stdout

    code, _, err = office.stop(process)
    assert code == 0, err
    before = {chat: len(texts(fake, chat)) for chat in (user, admin, group, supergroup)}

    # a restart answers only what is new
    process = office.start()
    office.started(process)
    fake.queue_message(admin, "/help")
    assert "/pause" in reply_to(fake, admin, before[admin] + 1, "/help after the restart")
    assert {chat: len(texts(fake, chat)) for chat in (user, group, supergroup)} == {
        user: before[user],
        group: before[group],
        supergroup: before[supergroup],
    }
    assert len(texts(fake, user)) == 4  # the campaign message came once
    status_text = office.loa("status").stdout
    assert "tg (hỏi tin định kỳ) hoạt động từ " in status_text  # in Vietnamese, local time
    assert "+00:00" not in status_text
    code, _, err = office.stop(process)
    assert code == 0, err


def test_a_configured_group_that_subscribes_gets_each_message_once(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The group is a target in config.toml (``nhom-van-phong``) and also sends /subscribe: a
    message to the default channels reaches it under one name, once."""
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    group = fake.add_supergroup()
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        f'[channels.tg.targets]\nnhom-van-phong = "{group}"\n'
        "[channels.tg.bot]\nenabled = true\npoll_seconds = 1\n"
    )
    office.write_config()
    notice = "Sáng thứ Năm mít tinh hưởng ứng Ngày Môi trường thế giới 🌱"

    def subscribe() -> None:
        fake.queue_message(group, "/subscribe ngay-moi-truong")
        assert "Đã đăng ký" in reply_to(fake, group, 1, "the group's /subscribe")
        office.resynced("the sync after /subscribe")

    make = notice_to_everyone(notice)
    process, _ = office.start_then_move({"moi-truong": make}, 4, meanwhile=subscribe)
    office.settled()
    assert [m for m in texts(fake, group) if m == notice] == [notice]
    assert [r["text"] for r in office.sent()] == [notice]  # the file channel's copy
    keys = dict(office.query("select key, state from delivery"))
    assert keys["ngay-moi-truong:nhac:once@tg:nhom-van-phong"] == "sent"
    code, _, err = office.stop(process)
    assert code == 0, err
