"""``loa run`` with a Zalo bot polling the local fake Zalo Bot API: replies in Vietnamese, a
subscription that brings the campaign's next message exactly once, admin commands refused and
audited for others, pause and resume; and a Zalo platform that cannot be reached, which leaves
the schedule on time and shows the bot failing."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.harness import (
    BOT_CAMPAIGN,
    TIMED,
    Office,
    environment_day,
    iso,
    notice_to_everyone,
    says_a_day,
    wait_for,
)
from tests.fakes.zalo import FakeZalo

pytestmark = pytest.mark.slow

CAMPAIGN = BOT_CAMPAIGN
REMINDER = "Nhắc: sáng mai mít tinh hưởng ứng Ngày Môi trường thế giới 🌱"


def campaign(now: dt.datetime, reminder_at: dt.datetime) -> str:
    report = "Báo cáo kết quả hưởng ứng Ngày Môi trường thế giới"
    return environment_day(
        now.date(),
        ("nhac", reminder_at, REMINDER, "subscribers"),
        ("bao-cao", now + dt.timedelta(hours=2), report, "nhat-ky"),
    )


@pytest.fixture
def zalo() -> Iterator[FakeZalo]:
    server = FakeZalo()
    with server.in_thread():
        yield server


def texts(zalo: FakeZalo, chat: str) -> list[str]:
    return [m.text or "" for m in zalo.accepted if m.api == "sendMessage" and m.recipient == chat]


def ask(zalo: FakeZalo, chat: str, text: str) -> str:
    """Write to the bot from ``chat`` and wait for the reply."""
    before = len(texts(zalo, chat))
    zalo.push_update(chat, text)
    wait_for(lambda: len(texts(zalo, chat)) > before, 20, f"the reply to {text}")
    return texts(zalo, chat)[before]


def states(office: Office) -> dict[str, str]:
    return dict(office.query("select key, state from delivery where campaign = ?", CAMPAIGN))


def test_polling_bot_answers_subscribes_and_obeys_only_admins(
    office: Office, zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_ZB_TOKEN", zalo.bot_token)
    user = zalo.add_chat("6ede9afa66b88fe6d6a9", display_name="Lan")
    admin = zalo.add_chat("a1b2c3d4e5f60718293a", display_name="Hùng")
    office.extra_config = (
        f'[channels.zb]\ntype = "zalo_bot"\nbase_url = "{zalo.bot_base_url}"\ntoken_env = "LOA_ZB_TOKEN"\n'
        f'[channels.zb.bot]\nenabled = true\npoll_seconds = 2\nadmins = ["{admin}"]\n'
    )
    office.write_config()
    now = dt.datetime.now(dt.UTC)
    # parked an hour ahead while the chats subscribe and pause, then moved to 2 s ahead
    makers = {"moi-truong": lambda at: campaign(now, at)}
    parked_at = office.park(makers)
    process = office.start()
    office.started(process)

    answer = ask(zalo, user, "/upcoming")
    assert answer.startswith("Các việc sắp tới:")
    assert "Lễ mít tinh hưởng ứng Ngày Môi trường thế giới" in answer and says_a_day(answer)

    assert "Đã đăng ký" in ask(zalo, user, f"/subscribe {CAMPAIGN}")
    reminder = f"{CAMPAIGN}:nhac:once@zb:chat:{user}"
    report = f"{CAMPAIGN}:bao-cao:once@nhat-ky"
    wait_for(lambda: states(office).get(reminder) == "pending", 20, "the subscriber's delivery")

    # not an admin: refused, audited, nothing held
    assert "chỉ dành cho quản trị viên" in ask(zalo, user, f"/pause {CAMPAIGN}")
    assert states(office) == {reminder: "pending", report: "pending"}

    assert "Đã tạm dừng" in ask(zalo, admin, f"/pause {CAMPAIGN}")
    assert states(office) == {reminder: "held", report: "held"}
    assert "Đã gửi tiếp" in ask(zalo, admin, f"/resume {CAMPAIGN}")
    assert states(office) == {reminder: "pending", report: "pending"}
    office.move(makers, parked_at, 2)

    # the campaign's message reaches the subscribed chat, once
    wait_for(lambda: states(office).get(reminder) == "sent", 40, "the reminder sent")
    assert says_a_day(ask(zalo, user, "/upcoming"))  # one more round: nothing else was on its way
    code, _, err = office.stop(process)
    assert code == 0, err
    assert texts(zalo, user).count(REMINDER) == 1
    assert REMINDER not in texts(zalo, admin)

    audit = office.loa("audit", "--format", "json")
    assert audit.returncode == 0, audit.stderr
    entries = [
        (e["channel"], e["user"], e["command"], e["arguments"], e["result"])
        for e in reversed(json.loads(audit.stdout))
    ]
    assert entries == [
        ("zb", user, "pause", CAMPAIGN, "refused"),
        ("zb", admin, "pause", CAMPAIGN, "ok"),
        ("zb", admin, "resume", CAMPAIGN, "ok"),
    ]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@TIMED  # on time within 1 s
def test_an_unreachable_zalo_platform_leaves_the_schedule_on_time(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_ZB_TOKEN", "3187420591:zalo-bot-token-that-is-never-checked")
    office.extra_config = (
        f'[channels.zb]\ntype = "zalo_bot"\nbase_url = "http://127.0.0.1:{closed_port()}"\n'
        'token_env = "LOA_ZB_TOKEN"\n[channels.zb.bot]\nenabled = true\npoll_seconds = 2\n'
    )
    office.write_config()
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=8)
    office.campaign(
        "giao-ban",
        f'id = "giao-ban"\ntitle = "Giao ban"\n[[message]]\nid = "nhac"\nat = {iso(due)}\n'
        'text = "Nhắc: giao ban sáng thứ Hai"\nchannels = ["nhat-ky"]\n',
    )
    process = office.start()
    office.started(process)
    base = office.http_url()

    def health() -> httpx.Response:
        return httpx.get(f"{base}/healthz")

    failing = wait_for(
        lambda: health().json()["bots"].get("zb", {}).get("state") == "failing" and health(),
        20,
        "the bot reported failing",
    )
    body = failing.json()
    assert (body["status"], body["database"], body["scheduler"]) == ("degraded", "ok", "running")
    assert body["bots"]["zb"]["mode"] == "polling" and body["bots"]["zb"]["error"]

    [record] = wait_for(lambda: office.sent(), 30, "the file channel's message")
    lateness = dt.datetime.fromisoformat(record["sent_at"]) - dt.datetime.fromisoformat(
        record["due"]
    )
    assert dt.timedelta(0) <= lateness < dt.timedelta(seconds=1), record
    assert record["text"] == "Nhắc: giao ban sáng thứ Hai"
    assert process.poll() is None

    assert "zb (hỏi tin định kỳ) đang lỗi" in office.loa("status").stdout
    # a bot that cannot reach its platform degrades loa; it does not make it unhealthy
    assert health().status_code == 200
    code, _, err = office.stop(process)
    assert code == 0, err


def test_a_configured_chat_that_subscribes_gets_each_message_once(
    office: Office, zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Zalo as on Telegram: a group that is a target in config.toml and also /subscribes
    gets a message to the default channels once, under the configured name."""
    monkeypatch.setenv("LOA_ZB_TOKEN", zalo.bot_token)
    group = zalo.add_chat("9f8e7d6c5b4a39281706", chat_type="GROUP", display_name="Văn phòng")
    office.extra_config = (
        f'[channels.zb]\ntype = "zalo_bot"\nbase_url = "{zalo.bot_base_url}"\ntoken_env = "LOA_ZB_TOKEN"\n'
        f'[channels.zb.targets]\nnhom-van-phong = "{group}"\n'
        "[channels.zb.bot]\nenabled = true\npoll_seconds = 1\n"
    )
    office.write_config()

    def subscribe() -> None:
        assert "Đã đăng ký" in ask(zalo, group, f"/subscribe {CAMPAIGN}")
        office.resynced("the sync after /subscribe")

    make = notice_to_everyone(REMINDER)
    process, _ = office.start_then_move({"moi-truong": make}, 4, meanwhile=subscribe)
    office.settled()
    assert texts(zalo, group).count(REMINDER) == 1
    assert states(office)[f"{CAMPAIGN}:nhac:once@zb:nhom-van-phong"] == "sent"
    code, _, err = office.stop(process)
    assert code == 0, err
