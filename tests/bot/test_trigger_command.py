"""``/trigger TYPE [id=ID] [field=value …]`` from a chat: an admin's event goes through the one
intake and the answer lists what it scheduled, in the office's time zone; anyone else is
refused, audited, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from scheduler.store.tables import EventRecord
from tests.bot.conftest import ADMIN, CHAT, NOW, Bot, audit_rows, delivery_states, parse
from tests.e2e.test_events import STORM as E2E_STORM

E = EventRecord.__table__  # type: ignore[attr-defined]

STORM = E2E_STORM.replace("nhom-van-phong", "nhom-vp")  # the bots' catalogue names the group so


@pytest.fixture
def storm(db: Engine) -> Bot:
    return Bot(db, campaigns=[parse(STORM)])


def events(db: Engine) -> list[tuple[str, str, str]]:
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(select(E.c.id, E.c.source, E.c.sender))]


def test_an_admin_starts_a_sequence_and_hears_what_was_scheduled(storm: Bot) -> None:
    reply = storm.ask('/trigger canh-bao-bao id=bao-3-2026 ten_bao="Yagi cấp 12"', user=ADMIN)
    assert reply is not None and reply.wake and not reply.resync
    assert reply.pages == [
        "Đã nhận sự kiện bao-3-2026 (canh-bao-bao): 3 tin đang chờ gửi.\n"
        "• 10:00, Thứ Tư, 04/06/2025 → tg:nhom-vp: Cảnh báo bão Yagi cấp 12: mọi người chú ý "
        "an toàn.\n"
        "• 12:00, Thứ Tư, 04/06/2025 → tg:nhom-vp: Cập nhật về bão Yagi cấp 12.\n"
        "• 07:00, Thứ Năm, 05/06/2025 → tg:nhom-vp: Ra quân dọn dẹp sau bão Yagi cấp 12."
    ]  # NOW is 10:00 in Vietnam: the times are the office's
    assert events(storm.db) == [("bao-3-2026", "chat", f"tg:{ADMIN}")]
    (entry,) = audit_rows(storm.db)
    assert (entry.command, entry.result, entry.user) == ("trigger", "ok", ADMIN)
    assert entry.arguments == 'canh-bao-bao id=bao-3-2026 ten_bao="Yagi cấp 12"'
    again = storm.ask('/trigger canh-bao-bao id=bao-3-2026 ten_bao="Yagi cấp 12"', user=ADMIN)
    assert again is not None and not again.wake
    assert "không có gì mới" in again.pages[0]


def test_in_english_for_an_english_chat(storm: Bot) -> None:
    text = storm.say("/trigger canh-bao-bao ten_bao=Yagi", user=ADMIN, language="en")
    assert text.startswith("Event canh-bao-bao-20250604-100000-")
    assert "• 10:00, Wednesday, 4 June 2025 → tg:nhom-vp" in text


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/trigger", "Thiếu loại sự kiện"),
        ("/trigger ten_bao=Yagi", "Thiếu loại sự kiện"),
        ("/trigger canh-bao-bao Yagi", "trường=giá_trị"),
        ("/trigger canh-bao-bao ten_bao=a ten_bao=b", "ghi hai lần"),
        ("/trigger canh-bao-bao id=a id=b ten_bao=Yagi", "ghi hai lần"),
        ('/trigger canh-bao-bao ten_bao="Yagi', "dấu nháy"),
        ("/trigger chay-rung ten_bao=Yagi", "không có loại sự kiện 'chay-rung'"),
        ("/trigger canh-bao-bao", "thiếu trường 'ten_bao'"),
        ("/trigger canh-bao-bao ten_bao=Yagi gio=12", "trường 'gio' không được khai báo"),
        ("/trigger canh-bao-bao id=Bão-3 ten_bao=Yagi", "mã sự kiện 'Bão-3' không hợp lệ"),
    ],
)
def test_a_mistake_is_said_and_nothing_written(storm: Bot, text: str, answer: str) -> None:
    reply = storm.ask(text, user=ADMIN)
    assert reply is not None and not reply.wake
    assert answer in "\n".join(reply.pages)
    assert events(storm.db) == [] and delivery_states(storm.db) == {}
    (entry,) = audit_rows(storm.db)
    assert (entry.command, entry.result) == ("trigger", "error")


def test_anyone_else_is_refused_audited_and_nothing_written(storm: Bot) -> None:
    reply = storm.ask("/trigger canh-bao-bao id=bao-3 ten_bao=Yagi", chat=CHAT, user=CHAT)
    assert reply is not None and reply.pages == ["Xin lỗi, lệnh này chỉ dành cho quản trị viên."]
    assert not reply.wake
    with storm.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(E)).scalar_one() == 0
    assert delivery_states(storm.db) == {}
    (entry,) = audit_rows(storm.db)
    assert (entry.command, entry.result, entry.detail, entry.user) == (
        "trigger", "refused", "not an admin", CHAT,
    )  # fmt: skip
    assert entry.at == NOW


def test_help_shows_trigger_to_admins_only(storm: Bot) -> None:
    assert "/trigger — " in storm.say("/help", user=ADMIN)
    assert "/trigger" not in storm.say("/help")
