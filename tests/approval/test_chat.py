"""/approvals, /approve and /reject in chat: the chat user linked to a loa user decides with
that user's role; anyone else is refused, and the refusal audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from scheduler import audit, users
from scheduler.bot.core import BotSettings, CommandCore, Request
from tests.approval.test_store import CAT, NOW, _sync, states

LINKS = {"tg:111": "lan", "tg:222": "an"}  # lan approves; an is an editor


def core(db: Engine) -> CommandCore:
    settings = BotSettings(timezone="Asia/Ho_Chi_Minh", catalog=CAT, approvers=LINKS)
    return CommandCore(db, settings, clock=lambda: NOW)


def ask(db: Engine, user: str, text: str) -> tuple[str, bool]:
    reply = core(db).handle(Request("tg", user, user, text), 4096)
    assert reply is not None
    return "\n".join(reply.pages), reply.wake


def test_an_approver_lists_and_approves_from_chat(db: Engine) -> None:
    users.add(db, "lan", "approver", "mat-khau-dai", NOW)
    _sync(db)
    listed, _ = ask(db, "111", "/approvals")
    assert "c:ngay:once@tg:a" in listed and "Hôm nay là" in listed
    said, wake = ask(db, "111", "/approve c:ngay:once")
    assert wake and "2" in said
    assert states(db)["c:ngay:once@tg:b"] == "pending"
    entry = audit.recent(db, 1)[0]
    assert (entry.channel, entry.chat, entry.user, entry.command, entry.result) == (
        "tg", "111", "lan", "approve", "ok"
    )  # fmt: skip


def test_a_rejection_in_chat_carries_its_reason(db: Engine) -> None:
    users.add(db, "lan", "approver", "mat-khau-dai", NOW)
    _sync(db)
    _, wake = ask(db, "111", "/reject c:ngay:once@tg:a sai ngày")
    assert wake
    assert states(db)["c:ngay:once@tg:a"] == "cancelled"


def test_anyone_else_is_refused_and_audited(db: Engine) -> None:
    users.add(db, "an", "editor", "mat-khau-dai", NOW)
    _sync(db)
    for user in ("333", "222"):  # not linked; linked to an editor
        said, wake = ask(db, user, "/approve c:ngay:once")
        assert not wake and "chat_users" in said
    assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"
    refused = audit.recent(db, 2)
    assert [(e.chat, e.result) for e in refused] == [("222", "refused"), ("333", "refused")]
    assert refused[1].detail == "not a linked approver"


def test_the_help_shows_the_approval_commands_to_approvers_only(db: Engine) -> None:
    assert "/approve" in ask(db, "111", "/help")[0]
    assert "/approve" not in ask(db, "333", "/help")[0]


def test_the_two_person_rule_holds_in_chat(db: Engine) -> None:
    users.add(db, "lan", "approver", "mat-khau-dai", NOW)
    _sync(db)
    audit.write(db, NOW - dt.timedelta(minutes=1), "web", "", "lan", "campaign_edit", "c", "ok")
    said, wake = ask(db, "111", "/approve c:ngay:once")
    assert not wake and "lan" in said


def test_approvers_chats_are_told_only_what_waits_for_them(db: Engine) -> None:
    from zoneinfo import ZoneInfo

    from scheduler import alerts
    from scheduler.alerts.sender import AlertSender
    from scheduler.store.tables import Delivery

    alerts.raise_incident(db, alerts.APPROVAL_OVERDUE, "c:ngay:once", "tg:a", NOW)
    alerts.raise_incident(db, alerts.DELIVERY_FAILED, "tg:b", "chat not found", NOW)
    admin, approver = ("tg", "admin:900"), ("tg", "chat:111")
    send = AlertSender(db, [admin], ZoneInfo("Asia/Ho_Chi_Minh"), clock=lambda: NOW,
                       approvers=[approver, admin])  # fmt: skip
    assert send.run_once() == 2
    table = Delivery.__table__  # type: ignore[attr-defined]
    with db.connect() as conn:
        texts = dict(conn.execute(select(table.c.target, table.c.text)).all())
    assert "c:ngay:once" in texts["admin:900"] and "tg:b" in texts["admin:900"]
    assert "c:ngay:once" in texts["chat:111"] and "tg:b" not in texts["chat:111"]
