"""Events through the one intake, on SQLite and PostgreSQL: once per id (also when two arrive
at once), updates by key, cancels with a reason, refusals that write nothing, and sync that
leaves an event's deliveries and feed item alone."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Engine, func, select

from campaigns.model import ChannelCatalog
from scheduler import subscriptions
from scheduler.events.cli import plan_rows
from scheduler.events.intake import (
    Accepted,
    Cancelling,
    Occurred,
    Refused,
    Sender,
    intake,
)
from scheduler.store import outbox
from scheduler.store.tables import Delivery, EventRecord, Occurrence
from scheduler.sync import sync
from tests.campaigns.test_triggers import STORM
from tests.helpers import VN, campaign

D = Delivery.__table__  # type: ignore[attr-defined]
E = EventRecord.__table__  # type: ignore[attr-defined]
O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741
CAT = ChannelCatalog(
    targets={"console": (), "telegram": ("nhom-vp", "kenh-tinh")}, defaults=("console",)
)
NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
CLI = Sender("cli", "chanh-van-phong")
STORMS = [campaign(STORM, CAT)]


def storm(event_id: str = "bao-3-2026", name: str = "Yagi", **extra: object) -> Occurred:
    return Occurred("canh-bao-bao", event_id, None, {"ten_bao": name, **extra})


def take(db: Engine, incoming: Occurred | Cancelling, now: dt.datetime = NOW) -> Accepted | Refused:
    return intake(db, STORMS, CAT, incoming, CLI, now)


def texts(db: Engine) -> dict[str, tuple[str, str]]:
    with db.connect() as conn:
        rows = conn.execute(select(D.c.item, D.c.state, D.c.text, D.c.target)).all()
    return {f"{r.item}@{r.target}": (r.state, r.text) for r in rows}


def counts(db: Engine) -> tuple[int, int, int]:
    with db.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (E, D, O)
        )


def test_an_event_starts_its_sequence_once(db: Engine) -> None:
    first = take(db, storm())
    assert isinstance(first, Accepted) and first.outcome == "started"
    assert len(first.deliveries) == 4 and first.at == NOW
    assert texts(db)["canh-bao.ngay@nhom-vp"] == (
        "pending",
        "Cảnh báo bão Yagi lúc 09:00, Thứ Năm, 03/12/2026",
    )
    again = take(db, storm(), NOW + dt.timedelta(minutes=5))  # no time given: the first holds
    assert isinstance(again, Accepted) and again.outcome == "unchanged"
    assert again.deliveries == first.deliveries
    assert counts(db) == (1, 4, 1)
    listed = {r.key: r.state for r in outbox.list_deliveries(db, None, None, None)}
    assert set(listed) == {p.key for p in first.deliveries}


def test_two_intakes_of_one_id_at_once_give_one_sequence(db: Engine) -> None:
    results: list[Accepted | Refused] = []
    barrier = threading.Barrier(4)

    def post() -> None:
        barrier.wait()
        results.append(take(db, storm()))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = sorted(r.outcome for r in results if isinstance(r, Accepted))
    assert outcomes == ["started", "unchanged", "unchanged", "unchanged"]
    assert counts(db) == (1, 4, 1)


def test_a_later_event_with_the_same_id_updates_what_is_pending(db: Engine) -> None:
    take(db, storm())
    with db.begin() as conn:  # the first message went out already
        conn.execute(D.update().where(D.c.item == "canh-bao.ngay").values(state="sent"))
    later = NOW + dt.timedelta(hours=1)
    moved = Occurred("canh-bao-bao", "bao-3-2026", later, {"ten_bao": "Yagi (cấp 12)"})
    result = take(db, moved, later)
    assert isinstance(result, Accepted) and result.outcome == "updated"
    found = texts(db)
    assert found["canh-bao.ngay@nhom-vp"] == (
        "sent",
        "Cảnh báo bão Yagi lúc 09:00, Thứ Năm, 03/12/2026",
    )
    assert found["canh-bao.cap-nhat@"] == ("pending", "Cập nhật bão Yagi (cấp 12)")
    with db.connect() as conn:
        due = conn.execute(select(D.c.due).where(D.c.item == "canh-bao.cap-nhat")).scalar_one()
        feed = conn.execute(select(O.c.title, O.c.sequence, O.c.start)).one()
    assert due == later + dt.timedelta(hours=2)
    assert (feed.title, feed.sequence, feed.start) == ("Bão Yagi (cấp 12)", 1, later)
    assert counts(db) == (1, 4, 1)


def test_a_cancel_stops_what_is_pending_with_its_reason(db: Engine) -> None:
    take(db, storm())
    with db.begin() as conn:
        conn.execute(D.update().where(D.c.item == "canh-bao.ngay").values(state="sent"))
    result = take(db, Cancelling("bao-3-2026", "bão đã tan"))
    assert isinstance(result, Accepted) and (result.outcome, result.cancelled) == ("cancelled", 3)
    with db.connect() as conn:
        event = conn.execute(select(E)).one()
        rows = conn.execute(select(D.c.state, D.c.last_error, D.c.cancel_reason)).all()
        feed = conn.execute(select(O.c.status)).scalar_one()
    assert (event.state, event.cancel_reason) == ("cancelled", "bão đã tan")
    assert sorted(r.state for r in rows) == ["cancelled"] * 3 + ["sent"]
    assert {r.last_error for r in rows if r.state == "cancelled"} == {"bão đã tan"}
    assert feed == "cancelled"
    again = take(db, storm())
    assert isinstance(again, Refused) and (again.field, again.status) == ("id", 409)
    assert take(db, Cancelling("bao-3-2026")).outcome == "unchanged"  # type: ignore[union-attr]


def test_a_refused_event_writes_nothing(db: Engine) -> None:
    take(db, Occurred("canh-bao-bao", "khac", None, {"ten_bao": "Kong-rey"}))
    before = counts(db)
    for incoming, field in [
        (Occurred("canh-bao", "x", None, {"ten_bao": "Yagi"}), "type"),
        (Occurred("canh-bao-bao", "Bão 3", None, {"ten_bao": "Yagi"}), "id"),
        (Occurred("canh-bao-bao", "x", NOW + dt.timedelta(days=400), {"ten_bao": "Y"}), "at"),
        (Occurred("canh-bao-bao", "x", None, {}), "ten_bao"),
        (Occurred("canh-bao-bao", "x", None, {"ten_bao": "Y", "gio": "12"}), "gio"),
        (Cancelling("khong-co"), "id"),
    ]:
        result = take(db, incoming)
        assert isinstance(result, Refused) and result.field == field, result
        assert f"'{field}'" in result.sentence("vi") or field in ("type", "id", "at")
    assert counts(db) == before


def test_an_event_without_an_id_is_a_new_one_each_time(db: Engine) -> None:
    first = take(db, Occurred("canh-bao-bao", None, None, {"ten_bao": "Yagi"}))
    second = take(db, Occurred("canh-bao-bao", None, None, {"ten_bao": "Yagi"}))
    assert isinstance(first, Accepted) and isinstance(second, Accepted)
    assert first.id != second.id and counts(db) == (2, 8, 2)


def test_sync_leaves_an_events_deliveries_and_feed_item_alone(db: Engine) -> None:
    take(db, storm())
    sync(db, STORMS, CAT, NOW, dt.timedelta(days=30), force=True)
    sync(db, STORMS, CAT, NOW + dt.timedelta(minutes=1), dt.timedelta(days=30), force=True)
    with db.connect() as conn:
        states = set(conn.execute(select(D.c.state)).scalars())
        status = conn.execute(select(O.c.status)).scalar_one()
    assert states == {"pending"} and status == "confirmed"


def test_an_event_and_its_messages_are_in_the_plan(db: Engine) -> None:
    take(db, storm())
    take(db, storm("bao-4", "Kong-rey"))
    take(db, Cancelling("bao-4"))
    rows = plan_rows(db, NOW - dt.timedelta(hours=1), NOW + dt.timedelta(days=2), VN)
    assert [(r.kind, r.title) for r in rows if r.kind == "event"] == [("event", "Bão Yagi")]
    sends = {r.id: r.channels for r in rows if r.kind == "message"}
    assert sends == {
        "canh-bao.ngay": ("telegram:nhom-vp",),
        "canh-bao.cap-nhat": ("console",),
        "canh-bao.don-dep": ("console", "telegram:kenh-tinh"),
    }
    assert all(r.start.tzinfo is VN for r in rows)


def test_subscribers_get_the_sequence_and_one_chat_gets_it_once(db: Engine) -> None:
    catalog = ChannelCatalog(
        targets={"telegram": ("nhom-vp",)},
        addresses={("telegram", "nhom-vp"): "-100"},
    )
    text = (
        'id = "c"\ntitle = "C"\n[[trigger]]\nid = "t"\nevent = "bao"\n'
        '[[trigger.message]]\nid = "ngay"\nat = "event"\ntext = "Có bão"\n'
        'channels = ["telegram:nhom-vp", "subscribers"]\n'
    )
    subscriptions.subscribe(db, "telegram", "-100", "c", NOW)  # the group, by its id
    subscriptions.subscribe(db, "telegram", "42", "c", NOW)
    result = intake(db, [campaign(text, catalog)], catalog, Occurred("bao", "b1"), CLI, NOW)
    assert isinstance(result, Accepted)
    assert sorted((d.channel, d.target) for d in result.deliveries) == [
        ("telegram", "chat:42"),
        ("telegram", "nhom-vp"),
    ]


def test_text_no_database_keeps_is_refused_before_it_is_written(db: Engine) -> None:
    refused = take(db, storm(name="Ya\x00gi"))
    assert isinstance(refused, Refused) and refused.field == "ten_bao"
    assert isinstance(take(db, Cancelling("bao\x00")), Refused)
    take(db, storm())
    cancelled = take(db, Cancelling("bao-3-2026", "tan\x00 rồi"))
    assert isinstance(cancelled, Accepted) and counts(db) == (1, 4, 1)
    with db.connect() as conn:
        assert conn.execute(select(E.c.cancel_reason)).scalar_one() == "tan rồi"
