"""Approval in the store, on SQLite and PostgreSQL: what waits is never claimed, an approval is
bound to the hash of what will be sent, an edit voids it, a rejection needs a reason and an edit
asks again, the two-person rule, and what happens at the due time and past the grace."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from campaigns.model import ChannelCatalog
from scheduler import alerts, audit
from scheduler.approval import (
    Decider,
    Selection,
    content_of,
    decide,
    decision_of,
    hold_overdue,
    waiting,
)
from scheduler.store import outbox
from scheduler.store.tables import Delivery, Incident
from scheduler.sync import sync
from tests.helpers import HEAD, campaign

D = Delivery.__table__  # type: ignore[attr-defined]
INC = Incident.__table__  # type: ignore[attr-defined]
VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAT = ChannelCatalog(targets={"nhat-ky": (), "tg": ("a", "b")}, defaults=("nhat-ky",))
NOW = dt.datetime(2026, 6, 4, 1, 0, tzinfo=dt.UTC)  # 08:00 in Vietnam, the day before
DUE = dt.datetime(2026, 6, 5, 7, 30, tzinfo=VN)
HORIZON = dt.timedelta(days=30)
TEXT = "Hôm nay là Ngày Môi trường thế giới"
FILE = HEAD + (
    'grace = "1h"\n'
    '[[message]]\nid = "ngay"\nat = "2026-06-05 07:30"\ntext = "{text}"\nchannels = ["tg"]\n'
    "approval = true\n"
    '[[message]]\nid = "tu-do"\nat = "2026-06-05 08:00"\ntext = "Không cần duyệt"\n'
)
LAN = Decider("lan", "approver", "cli", "os:lan")
MAI = Decider("mai", "approver", "web", "127.0.0.1")


def _sync(db: Engine, text: str = TEXT, now: dt.datetime = NOW) -> list[str]:
    return sync(db, [campaign(FILE.format(text=text), CAT)], CAT, now, HORIZON).voided


def states(db: Engine) -> dict[str, str]:
    with db.connect() as conn:
        return dict(conn.execute(select(D.c.key, D.c.state)).all())  # type: ignore[arg-type]


def approve(db: Engine, what: str, who: Decider = LAN, now: dt.datetime = NOW) -> object:
    return decide(db, who, Selection(key=what), True, "", now, VN)


def test_a_message_needing_approval_waits_and_is_never_claimed(db: Engine) -> None:
    _sync(db)
    assert states(db) == {"c:ngay:once@tg:a": "awaiting_approval",
                          "c:ngay:once@tg:b": "awaiting_approval",
                          "c:tu-do:once@nhat-ky": "pending"}  # fmt: skip
    later = DUE.astimezone(dt.UTC) + dt.timedelta(minutes=31)
    sent, missed = outbox.claim_due(db, later, "d1")
    assert [c.key for c in sent] == ["c:tu-do:once@nhat-ky"] and not missed
    # the next wake-up follows the claim's rule: nothing to wake for while they wait
    assert outbox.next_wake(db, now=later) is None
    assert [r.key for r in waiting(db)] == ["c:ngay:once@tg:a", "c:ngay:once@tg:b"]


def test_approving_an_occurrence_binds_each_target_to_its_hash(db: Engine) -> None:
    _sync(db)
    result = approve(db, "c:ngay:once")
    assert result.done == ("c:ngay:once@tg:a", "c:ngay:once@tg:b")  # type: ignore[attr-defined]
    assert states(db)["c:ngay:once@tg:a"] == "pending"
    stored = decision_of(db, "c:ngay:once@tg:b")
    assert stored.content == content_of(TEXT, "", "tg", "b")
    assert (stored.user, stored.source, stored.address, stored.decision) == (
        "lan", "cli", "os:lan", "approved"
    )  # fmt: skip
    entry = audit.recent(db, 1)[0]
    assert (entry.command, entry.arguments, entry.result, entry.user) == (
        "approve", "c:ngay:once", "ok", "lan"
    )  # fmt: skip
    assert content_of(TEXT, "", "tg", "a")[:16] in entry.detail
    later = DUE.astimezone(dt.UTC)
    sent, _ = outbox.claim_due(db, later, "d1")
    assert {c.key for c in sent} == {"c:ngay:once@tg:a", "c:ngay:once@tg:b"}


def test_an_edit_after_approval_voids_it_and_asks_again(db: Engine) -> None:
    _sync(db)
    approve(db, "c:ngay:once@tg:a")
    assert _sync(db, TEXT) == []  # the same text: the approval holds
    assert states(db)["c:ngay:once@tg:a"] == "pending"
    assert _sync(db, TEXT + "!") == ["c:ngay:once"]
    assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"
    kinds = {(i["kind"], i["subject"]) for i in alerts.open_incidents(db)}
    assert (alerts.APPROVAL_VOIDED, "c:ngay:once") in kinds
    approve(db, "c:ngay:once@tg:a")
    assert states(db)["c:ngay:once@tg:a"] == "pending"
    assert decision_of(db, "c:ngay:once@tg:a").content == content_of(TEXT + "!", "", "tg", "a")


def test_approval_can_be_taken_back_off_the_file(db: Engine) -> None:
    _sync(db)
    free = FILE.replace("approval = true\n", "")
    sync(db, [campaign(free.format(text=TEXT), CAT)], CAT, NOW, HORIZON)
    assert states(db)["c:ngay:once@tg:a"] == "pending"
    _sync(db)
    assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"


def test_a_rejection_needs_a_reason_and_an_edit_asks_again(db: Engine) -> None:
    _sync(db)
    refused = decide(db, LAN, Selection(key="c:ngay:once"), False, "  ", NOW, VN)
    assert refused.refusal and states(db)["c:ngay:once@tg:a"] == "awaiting_approval"
    done = decide(db, LAN, Selection(key="c:ngay:once"), False, "sai ngày", NOW, VN)
    assert done.ok and len(done.done) == 2
    row = outbox.get_delivery(db, "c:ngay:once@tg:a")
    assert (row.state, row.cancel_reason, row.last_error) == ("cancelled", "rejected", "sai ngày")
    _sync(db, TEXT)  # nothing changed: it stays rejected
    assert states(db)["c:ngay:once@tg:a"] == "cancelled"
    _sync(db, "Đã sửa ngày")
    assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"


def test_a_rejection_withdraws_an_approval_given_ahead(db: Engine) -> None:
    _sync(db)
    approve(db, "c:ngay:once")
    done = decide(db, MAI, Selection(key="c:ngay:once@tg:b"), False, "chờ ý kiến", NOW, VN)
    assert done.done == ("c:ngay:once@tg:b",)
    assert states(db)["c:ngay:once@tg:b"] == "cancelled"


def test_only_approvers_and_admins_decide_and_refusals_are_audited(db: Engine) -> None:
    _sync(db)
    for role in ("viewer", "editor", ""):
        result = approve(db, "c:ngay:once", Decider("an", role, "chat", "42"))
        assert result.refusal  # type: ignore[attr-defined]
    assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"
    assert [e.result for e in audit.recent(db, 3)] == ["refused"] * 3
    assert approve(db, "c:ngay:once", Decider("boss", "admin", "web")).ok  # type: ignore[attr-defined]


def test_whoever_last_edited_a_campaign_may_not_approve_it(db: Engine) -> None:
    _sync(db)
    audit.write(db, NOW, "web", "127.0.0.1", "lan", "campaign_edit", "c", "ok", "+ text")
    result = approve(db, "c:ngay:once")
    assert "lan" in result.refusal  # type: ignore[attr-defined]
    assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"
    assert approve(db, "c:ngay:once", MAI).ok  # type: ignore[attr-defined]
    # a one-person office allows it
    _sync(db, TEXT + "?")
    alone = decide(db, LAN, Selection(key="c:ngay:once"), True, "", NOW, VN, self_approval=True)
    assert alone.ok


def test_the_last_editor_is_the_latest_successful_edit(db: Engine) -> None:
    audit.write(db, NOW, "web", "", "lan", "campaign_edit", "c", "ok")
    audit.write(db, NOW + dt.timedelta(seconds=1), "web", "", "mai", "campaign_edit", "c", "ok")
    audit.write(db, NOW + dt.timedelta(seconds=2), "web", "", "an", "campaign_edit", "c", "refused")
    audit.write(db, NOW + dt.timedelta(seconds=3), "web", "", "an", "campaign_edit", "d", "ok")
    assert audit.last_user(db, "campaign_edit", "c") == "mai"
    assert audit.last_user(db, "campaign_edit", "e") is None


def test_a_campaign_day_is_decided_at_once(db: Engine) -> None:
    _sync(db)
    other_day = decide(db, LAN, Selection(campaign="c", day=dt.date(2026, 6, 6)), True, "", NOW, VN)
    assert other_day.refusal
    day = decide(db, LAN, Selection(campaign="c", day=dt.date(2026, 6, 5)), True, "", NOW, VN)
    assert set(day.done) == {"c:ngay:once@tg:a", "c:ngay:once@tg:b"}


def test_not_approved_in_time_is_held_told_once_then_missed(db: Engine) -> None:
    _sync(db)
    due = DUE.astimezone(dt.UTC)
    assert hold_overdue(db, due - dt.timedelta(seconds=1)).held == 0
    assert hold_overdue(db, due).held == 2
    assert hold_overdue(db, due + dt.timedelta(seconds=5)).held == 0  # told once
    (incident,) = [i for i in alerts.open_incidents(db) if i["kind"] == alerts.APPROVAL_OVERDUE]
    assert incident["subject"] == "c:ngay:once" and incident["count"] == 2
    assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"
    found = hold_overdue(db, due + dt.timedelta(hours=1, seconds=1))
    assert found.missed == 2
    row = outbox.get_delivery(db, "c:ngay:once@tg:a")
    assert row.state == "missed" and "duyệt" in row.last_error
    assert not [i for i in alerts.open_incidents(db) if i["kind"] == alerts.APPROVAL_OVERDUE]


def test_approved_late_within_grace_is_sent_beyond_it_missed(db: Engine) -> None:
    _sync(db)
    due = DUE.astimezone(dt.UTC)
    hold_overdue(db, due)
    within = approve(db, "c:ngay:once@tg:a", now=due + dt.timedelta(minutes=30))
    assert within.done == ("c:ngay:once@tg:a",)  # type: ignore[attr-defined]
    sent, _ = outbox.claim_due(db, due + dt.timedelta(minutes=30), "d1")
    assert {c.key for c in sent} == {"c:ngay:once@tg:a", "c:tu-do:once@nhat-ky"}
    beyond = approve(db, "c:ngay:once@tg:b", now=due + dt.timedelta(hours=2))
    assert beyond.missed == ("c:ngay:once@tg:b",)  # type: ignore[attr-defined]
    row = outbox.get_delivery(db, "c:ngay:once@tg:b")
    assert row.state == "missed" and row.last_error
    with db.connect() as conn:
        assert conn.execute(select(INC.c.state).where(INC.c.subject == "c:ngay:once")).scalar() == (
            "resolved"
        )


def test_a_paused_campaign_keeps_what_was_approved_held(db: Engine) -> None:
    from scheduler import pausing

    _sync(db)
    pausing.pause(db, "c", NOW)
    approve(db, "c:ngay:once@tg:a")
    assert states(db)["c:ngay:once@tg:a"] == "held"


PART = st.text(max_size=20)


@given(PART, PART, PART, PART, st.integers(0, 3), PART)
def test_the_hash_changes_with_any_part_of_what_is_sent(
    text: str, image: str, channel: str, target: str, which: int, other: str
) -> None:
    parts = [text, image, channel, target]
    changed = list(parts)
    changed[which] = other
    same = content_of(*parts) == content_of(*changed)
    assert same == (parts == changed)


STORM = HEAD + (
    '[[trigger]]\nid = "bao"\nevent = "canh-bao-bao"\nfields = ["ten_bao"]\napproval = true\n'
    '[[trigger.message]]\nid = "ngay"\nat = "event +1h"\n'
    'text = "Cảnh báo bão {{ event.data.ten_bao }}"\nchannels = ["tg:a"]\n'
)


def test_an_event_sequence_needing_approval_waits_and_an_update_voids_it(db: Engine) -> None:
    from scheduler.events.intake import Occurred, Sender, intake

    storm = [campaign(STORM, CAT)]
    sender = Sender("cli", "chanh-van-phong")
    intake(db, storm, CAT, Occurred("canh-bao-bao", "b3", NOW, {"ten_bao": "Yagi"}), sender, NOW)
    (key,) = states(db)
    assert states(db)[key] == "awaiting_approval"
    approve(db, key)
    assert states(db)[key] == "pending"
    update = Occurred("canh-bao-bao", "b3", NOW, {"ten_bao": "Yagi (cấp 12)"})
    intake(db, storm, CAT, update, sender, NOW)
    assert states(db)[key] == "awaiting_approval"


def test_a_retry_never_sends_what_was_not_approved(db: Engine) -> None:
    _sync(db)
    due = DUE.astimezone(dt.UTC)
    hold_overdue(db, due + dt.timedelta(hours=2))  # both missed: nobody approved
    assert decide(db, LAN, Selection(key="c:ngay:once@tg:b"), True, "", due, VN).refusal
    result = outbox.retry(db, due + dt.timedelta(hours=2), CAT, "c:ngay:once@tg:a")
    assert result.count == 1
    assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"  # asks, does not send
    later = due + dt.timedelta(hours=2, minutes=1)
    assert approve(db, "c:ngay:once@tg:a", now=later).done == ("c:ngay:once@tg:a",)  # type: ignore[attr-defined]
    assert [c.key for c in outbox.claim_due(db, later, "d1")[0]] == ["c:ngay:once@tg:a"]


def test_a_retry_of_a_rejected_message_asks_again(db: Engine) -> None:
    _sync(db)
    decide(db, LAN, Selection(key="c:ngay:once@tg:a"), False, "chưa đúng", NOW, VN)
    outbox.retry(db, NOW, CAT, "c:ngay:once@tg:a")
    assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"


def test_an_edit_after_the_due_time_is_told_again(db: Engine) -> None:
    _sync(db)
    due = DUE.astimezone(dt.UTC)
    assert hold_overdue(db, due).held == 2
    assert hold_overdue(db, due + dt.timedelta(seconds=1)).held == 0
    _sync(db, TEXT + " (sửa)", now=due + dt.timedelta(minutes=1))
    assert hold_overdue(db, due + dt.timedelta(minutes=2)).held == 2
