"""Reports in the store: sync records who owes a deadline, a submission cancels that unit's
reminders (and a later sync neither brings them back nor adds new ones), an overdue unit is
escalated once, and the deadline's feed event carries the table."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from campaigns.model import ChannelCatalog
from campaigns.units import Unit, UnitRegistry
from scheduler import pausing, reports
from scheduler.store.tables import Delivery, Occurrence, ReportStatus
from scheduler.sync import sync
from tests.helpers import VN, campaign

D = Delivery.__table__  # type: ignore[attr-defined]
R = ReportStatus.__table__  # type: ignore[attr-defined]
O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741

REGISTRY = UnitRegistry(
    {
        "so": Unit("so", "Sở Tài chính", "", (), (("tg", "unit:so:-1"),)),
        "doan": Unit("doan", "Tỉnh đoàn", "", (), (("tg", "unit:doan:-2"),)),
    },
    {("tg", "unit:so:-1"): "-1", ("tg", "unit:doan:-2"): "-2", ("tg", "admin:9"): "9"},
)
CATALOG = ChannelCatalog(targets={"tg": ()}, defaults=("tg",), addresses=REGISTRY.addresses,
                         units=REGISTRY)  # fmt: skip
TEXT = """id = "c"
title = "Chiến dịch"
[[deadline]]
id = "bao-cao"
title = "Báo cáo năm"
due = "yearly 12-10"
remind = [30, 7, 1]
lead = "Sở Tài chính"
partners = ["Tỉnh đoàn"]
channels = ["units"]
"""
NOW = dt.datetime(2026, 11, 1, 8, tzinfo=VN)
HORIZON = dt.timedelta(days=35)  # the 1-day reminder is not in it yet


def waiting(db: Engine, unit: str) -> list[str]:
    with db.connect() as conn:
        rows = conn.execute(
            select(D.c.item, D.c.state, D.c.cancel_reason).where(D.c.target.like(f"unit:{unit}:%"))
        ).all()
    return sorted(f"{r.item} {r.state} {r.cancel_reason}".strip() for r in rows)


@pytest.fixture
def synced(db: Engine) -> Engine:
    sync(db, [campaign(TEXT, CATALOG)], CATALOG, NOW, HORIZON)
    return db


def test_submission_stops_the_units_reminders_and_sync_keeps_them_stopped(synced: Engine) -> None:
    db = synced
    assert waiting(db, "doan") == ["bao-cao.remind-30d pending", "bao-cao.remind-7d pending"]
    done = reports.submit(db, "c:bao-cao", ["doan"], "cli:lan", "CV 12", NOW, REGISTRY)
    assert (done.unit, done.cancelled, done.again) == ("Tỉnh đoàn", 2, False)
    stopped = ["bao-cao.remind-30d cancelled submitted", "bao-cao.remind-7d cancelled submitted"]
    assert waiting(db, "doan") == stopped
    # a month later the horizon reaches the 1-day reminder: the unit does not get it either
    later = NOW + dt.timedelta(days=10)
    sync(db, [campaign(TEXT, CATALOG)], CATALOG, later, HORIZON, force=True)
    assert waiting(db, "doan") == ["bao-cao.remind-1d cancelled submitted", *stopped]
    assert waiting(db, "so") == [
        "bao-cao.remind-1d pending", "bao-cao.remind-30d pending", "bao-cao.remind-7d pending",
    ]  # fmt: skip


def test_unknown_or_not_owed(synced: Engine) -> None:
    with pytest.raises(reports.ReportError, match="không có hạn nộp báo cáo 'x'"):
        reports.submit(synced, "x", ["doan"], "", "", NOW, REGISTRY)
    with pytest.raises(reports.ReportError, match="Sở Tài chính, Tỉnh đoàn"):
        reports.submit(synced, "bao-cao", ["khac"], "", "", NOW, REGISTRY)


def test_overdue_escalates_once_to_the_lead_and_the_admins(synced: Engine) -> None:
    db = synced
    reports.submit(db, "bao-cao", ["doan"], "tg:7", "", NOW, REGISTRY)
    admins = [("tg", "admin:9")]
    assert reports.escalate(db, NOW, REGISTRY, admins, VN) == 0  # not yet overdue
    after = dt.datetime(2026, 12, 11, 0, 0, 1, tzinfo=VN)  # the last day has ended
    assert reports.escalate(db, after, REGISTRY, admins, VN) == 1
    assert reports.escalate(db, after + dt.timedelta(hours=1), REGISTRY, admins, VN) == 0
    with db.connect() as conn:
        sent = conn.execute(select(D.c.target, D.c.text).where(D.c.item == "bao-cao.overdue"))
        rows = sorted(sent.all())
    assert [r.target for r in rows] == ["admin:9", "unit:so:-1"]
    assert rows[0].text.startswith("⛔ Quá hạn: Sở Tài chính chưa nộp “Báo cáo năm”")
    # sync leaves the escalations alone (they are no item of the file)
    sync(db, [campaign(TEXT, CATALOG)], CATALOG, after, HORIZON, force=True)
    with db.connect() as conn:
        states = conn.execute(select(D.c.state).where(D.c.item == "bao-cao.overdue")).all()
    assert [s.state for s in states] == ["pending", "pending"]
    _, lines = reports.status(db, "bao-cao", after)
    assert [(line.unit, line.state) for line in lines] == [("doan", "submitted"), ("so", "overdue")]


def test_the_feed_event_shows_who_has_submitted(db: Engine) -> None:
    sync(db, [campaign(TEXT, CATALOG)], CATALOG, NOW, dt.timedelta(days=60))  # the due is in
    reports.submit(db, "bao-cao", ["doan"], "tg:7", "CV 12", NOW, REGISTRY)
    with db.connect() as conn:
        row = conn.execute(select(O.c.description, O.c.ics).where(O.c.kind == "deadline")).one()
    assert "Tình trạng nộp báo cáo:" in row.description
    assert (
        "✅ Tỉnh đoàn: đã nộp" in row.description and "⏳ Sở Tài chính: chưa nộp" in row.description
    )
    assert "Đã nộp: 1/2" in row.ics.replace("\r\n ", "")
    assert "tg:7" not in row.description  # who marked it stays with staff, not public feeds


def test_one_feed_per_unit_however_it_is_named(db: Engine) -> None:
    from scheduler.http.feeds import FeedSelector, FeedStore

    two_leads = TEXT.replace('lead = "Sở Tài chính"', 'lead = "sở tài chính; Tỉnh Đoàn"').replace(
        'partners = ["Tỉnh đoàn"]', "partners = []"
    )
    sync(db, [campaign(two_leads, CATALOG)], CATALOG, NOW, dt.timedelta(days=60))
    feeds = FeedStore(db, "")
    assert sorted(feeds.units()) == ["doan", "so"]
    for unit in ("so", "doan"):
        found = feeds.lookup(FeedSelector("unit", unit))
        assert found is not None
        assert feeds.render(*found).count(b"BEGIN:VEVENT") == 1


def ask(db: Engine, text: str, chat: str, language: str = "vi") -> str:
    from scheduler.bot.core import BotSettings, CommandCore, Request

    core = CommandCore(db, BotSettings(catalog=CATALOG), clock=lambda: NOW)
    request = Request(channel="tg", chat=chat, user="42", text=text, language=language,
                      is_group=chat.startswith("-"))  # fmt: skip
    reply = core.handle(request, 4096)
    assert reply is not None
    return "\n".join(reply.pages)


def test_nop_and_baocao_in_chat(synced: Engine) -> None:
    assert ask(synced, "/nop", "-2").startswith("Cách dùng: /nop MÃ")
    assert "không phải nhóm của đơn vị nào" in ask(synced, "/nop bao-cao", "42")
    answer = ask(synced, "/nop bao-cao https://vb.gov.vn/12", "-2")
    assert answer.splitlines() == [
        "Đã ghi nhận: Tỉnh đoàn đã nộp “Báo cáo năm” (hạn Thứ Năm, 10/12/2026) lúc "
        "08:00, Chủ Nhật, 01/11/2026.",
        "Ghi chú: https://vb.gov.vn/12",
        "Đã dừng 2 tin nhắc tới đơn vị.",
    ]
    assert ask(synced, "/nop bao-cao", "-2").startswith("Đã cập nhật: Tỉnh đoàn đã nộp")
    table = ask(synced, "/baocao c:bao-cao", "-1", language="en").splitlines()
    assert table[0] == "Báo cáo năm — due Thursday, 10 December 2026"
    assert table[1:] == ["✅ Tỉnh đoàn: submitted (08:00, Sunday, 1 November 2026, tg:42)",
                         "⏳ Sở Tài chính: not yet submitted", "Submitted: 1/2"]  # fmt: skip
    assert ask(synced, "/baocao khong-co", "-1", language="en").startswith(
        "no tracked report deadline 'khong-co'"
    )


def test_a_unit_no_longer_owing_or_a_deleted_file_is_not_escalated(synced: Engine) -> None:
    db = synced
    fewer = TEXT.replace('partners = ["Tỉnh đoàn"]', "partners = []")
    sync(db, [campaign(fewer, CATALOG)], CATALOG, NOW, HORIZON)
    with db.connect() as conn:
        assert [r.unit for r in conn.execute(select(R.c.unit))] == ["so"]
    sync(db, [], CATALOG, NOW, HORIZON)  # the file is deleted
    after = dt.datetime(2026, 12, 11, 0, 0, 1, tzinfo=VN)
    assert reports.escalate(db, after, REGISTRY, [("tg", "admin:9")], VN) == 0


def test_a_units_chat_named_three_ways_gets_each_message_once() -> None:
    from campaigns.expand import Dispatch, delivery_key
    from scheduler.sync import one_per_chat

    def to(target: str) -> Dispatch:
        key = delivery_key("c:m:once", "tg", target)
        return Dispatch(key, "c:m:once", "c", "m", "once", "tg", target, NOW, "x")

    addresses = {("tg", "van-phong"): "-1", **REGISTRY.addresses}
    # the configured alias wins over the unit's chat by id, which wins over a subscription
    kept, dropped = one_per_chat([to("chat:-1"), to("unit:so:-1"), to("van-phong")], addresses)
    assert [d.target for d in kept] == ["van-phong"] and len(dropped) == 2
    kept, _ = one_per_chat([to("chat:-1"), to("unit:so:-1")], addresses)
    assert [d.target for d in kept] == ["unit:so:-1"]


def test_an_overdue_report_of_a_paused_campaign_is_held_not_sent(synced: Engine) -> None:
    """Every path that makes a delivery pending holds it when its campaign is paused: the
    escalation went out during a pause."""
    db = synced
    pausing.pause(db, "c", NOW)
    after = dt.datetime(2026, 12, 11, 0, 0, 1, tzinfo=VN)
    assert reports.escalate(db, after, REGISTRY, [("tg", "admin:9")], VN) == 2  # both units
    with db.connect() as conn:
        states = conn.execute(select(D.c.state).where(D.c.item == "bao-cao.overdue")).all()
    assert states and {s.state for s in states} == {"held"}
