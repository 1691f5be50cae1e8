"""Sync by key: insert new, update edited, cancel removed, never touch what was sent."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select, update

from campaigns.model import ChannelCatalog
from scheduler.store.db import ANALYZE_AFTER
from scheduler.store.tables import Delivery, Occurrence
from scheduler.sync import sync
from tests.helpers import HEAD, campaign

D = Delivery.__table__  # type: ignore[attr-defined]
O = Occurrence.__table__  # type: ignore[attr-defined]  # noqa: E741
CAT = ChannelCatalog(targets={"nhat-ky": (), "tg": ("a", "b")}, defaults=("nhat-ky",))
NOW = dt.datetime(2026, 5, 1, 1, 0, tzinfo=dt.UTC)
HORIZON = dt.timedelta(days=400)

BASE = HEAD + (
    '[[activity]]\nid = "wed"\ntitle = "Ngày Môi trường thế giới"\nstart = "yearly 06-05"\n'
    '[[message]]\nid = "dem-nguoc"\nat = "wed -7d 08:00"\ntext = "Còn {{ days_left }} ngày: {{ activity.title }}"\n'
    '[[message]]\nid = "ngay"\nat = "wed 07:30"\ntext = "Hôm nay {{ date }}"\nchannels = ["nhat-ky", "tg"]\n'
)


def rows(db: Engine) -> dict[str, tuple[str, str]]:
    with db.connect() as conn:
        return {
            r.key: (r.state, r.text) for r in conn.execute(select(D.c.key, D.c.state, D.c.text))
        }


def test_first_sync_inserts_pending_and_second_is_a_no_op(db: Engine) -> None:
    report = sync(db, [campaign(BASE, CAT)], CAT, NOW, HORIZON)
    assert (
        report.inserted == 2 * 2 + 2 * 2
    )  # 2026 and 2027: countdown x1 target, day x3 targets... see keys
    found = rows(db)
    assert "c:ngay:2026@tg:a" in found and "c:ngay:2026@nhat-ky" in found
    assert {state for state, _ in found.values()} == {"pending"}
    again = sync(db, [campaign(BASE, CAT)], CAT, NOW, HORIZON)
    assert again.expanded == 0 and not again.changed  # unchanged file, fresh horizon
    forced = sync(db, [campaign(BASE, CAT)], CAT, NOW, HORIZON, force=True)
    assert forced.expanded == 1 and not forced.changed
    assert rows(db) == found


def test_edit_updates_pending_keeps_sent_and_cancels_removed(db: Engine) -> None:
    sync(db, [campaign(BASE, CAT)], CAT, NOW, HORIZON)
    with db.begin() as conn:
        conn.execute(update(D).where(D.c.key == "c:ngay:2026@tg:a").values(state="sent"))
    edited = BASE.replace("Hôm nay {{ date }}", "Hôm nay là {{ date }}").replace(
        '[[message]]\nid = "dem-nguoc"\nat = "wed -7d 08:00"\ntext = "Còn {{ days_left }} ngày: {{ activity.title }}"\n',
        "",
    )
    report = sync(db, [campaign(edited, CAT)], CAT, NOW, HORIZON)
    found = rows(db)
    assert found["c:ngay:2026@tg:a"] == ("sent", "Hôm nay Thứ Sáu, 05/06/2026")  # never touched
    assert found["c:ngay:2026@tg:b"] == ("pending", "Hôm nay là Thứ Sáu, 05/06/2026")
    assert found["c:dem-nguoc:2026@nhat-ky"][0] == "cancelled"
    assert report.updated == 5 and report.cancelled == 2
    restored = sync(db, [campaign(BASE, CAT)], CAT, NOW, HORIZON)
    assert restored.restored == 2 and rows(db)["c:dem-nguoc:2026@nhat-ky"][0] == "pending"


def test_moving_a_date_keeps_the_key_and_updates_due(db: Engine) -> None:
    sync(db, [campaign(BASE, CAT)], CAT, NOW, HORIZON)
    moved = BASE.replace('start = "yearly 06-05"', 'start = "yearly 06-06"')
    sync(db, [campaign(moved, CAT)], CAT, NOW, HORIZON)
    with db.connect() as conn:
        due = conn.execute(select(D.c.due).where(D.c.key == "c:ngay:2026@nhat-ky")).scalar_one()
        seq, status = conn.execute(
            select(O.c.sequence, O.c.status).where(O.c.key == "c:wed:2026")
        ).one()
    assert due == dt.datetime(2026, 6, 6, 0, 30, tzinfo=dt.UTC)  # 07:30 in Vietnam
    assert (seq, status) == (1, "confirmed")


def test_removed_campaign_is_cancelled_unless_its_file_is_broken(db: Engine) -> None:
    sync(db, [campaign(BASE, CAT)], CAT, NOW, HORIZON)
    kept = sync(db, [], CAT, NOW, HORIZON, protected={"c"})
    assert kept.cancelled == 0 and {s for s, _ in rows(db).values()} == {"pending"}
    gone = sync(db, [], CAT, NOW, HORIZON)
    assert gone.removed_campaigns == ["c"] and {s for s, _ in rows(db).values()} == {"cancelled"}
    with db.connect() as conn:
        assert {r.status for r in conn.execute(select(O.c.status))} == {"cancelled"}


def _states(db: Engine, prefix: str) -> dict[str, tuple[str, str, dt.datetime | None]]:
    with db.connect() as conn:
        found = conn.execute(
            select(D.c.key, D.c.state, D.c.last_error, D.c.next_attempt_at).where(
                D.c.key.startswith(prefix)
            )
        )
        return {r.key: (r.state, r.last_error, r.next_attempt_at) for r in found}


def test_a_campaign_added_within_grace_of_its_first_message_sends_it(db: Engine) -> None:
    """Added 30 minutes after 07:30 on 5 June (grace: 1 hour): waiting, due at once; sync
    dropped it as past due, so a message added a little late was never sent."""
    late = dt.datetime(2026, 6, 5, 1, 0, tzinfo=dt.UTC)  # 08:00 in Vietnam
    report = sync(db, [campaign(BASE, CAT)], CAT, late, HORIZON)
    found = _states(db, "c:ngay:2026")
    assert set(found) == {"c:ngay:2026@nhat-ky", "c:ngay:2026@tg:a", "c:ngay:2026@tg:b"}
    due = dt.datetime(2026, 6, 5, 0, 30, tzinfo=dt.UTC)
    assert set(found.values()) == {("pending", "", due)}
    assert report.missed == 0


def test_a_message_added_beyond_grace_is_recorded_missed_with_its_reason(db: Engine) -> None:
    """The countdown message is in the file from the start; the day's message is added at
    10:00 on 5 June, 2 h 30 past its 07:30 (grace: 1 hour): recorded missed, saying why."""
    without = BASE.replace(BASE[BASE.index('[[message]]\nid = "ngay"') :], "")
    sync(db, [campaign(without, CAT)], CAT, NOW, HORIZON)
    late = dt.datetime(2026, 6, 5, 3, 0, tzinfo=dt.UTC)
    report = sync(db, [campaign(BASE, CAT)], CAT, late, HORIZON)
    found = _states(db, "c:ngay:2026")
    assert len(found) == 3 and report.missed == 3
    for state, reason, next_attempt in found.values():
        assert (state, next_attempt) == ("missed", None)
        assert "grace" in reason and "loa retry" in reason, reason
    assert _states(db, "c:ngay:2027")["c:ngay:2027@nhat-ky"][0] == "pending"


def test_moments_long_past_are_not_recorded(db: Engine) -> None:
    """Only what a person may still expect is recorded: a message of the day before
    yesterday added today is not (a library file added in June has had many Junes)."""
    late = dt.datetime(2026, 6, 7, 3, 0, tzinfo=dt.UTC)
    sync(db, [campaign(BASE, CAT)], CAT, late, HORIZON)
    assert not _states(db, "c:ngay:2026")


def test_template_error_at_expansion_fails_that_delivery(db: Engine) -> None:
    text = (
        HEAD
        + '[[message]]\nid = "m"\nat = 2026-06-01T08:00:00+07:00\ntext = "{{ 10 // (year - 2026) }}"\n'
    )
    sync(db, [campaign(text, CAT)], CAT, NOW, HORIZON)
    with db.connect() as conn:
        state, error = conn.execute(select(D.c.state, D.c.last_error)).one()
    assert state == "failed" and "by zero" in error and error.startswith("mẫu tin nhắn lỗi")


def test_stored_feed_blocks_match_a_fresh_rendering(db: Engine) -> None:
    from types import SimpleNamespace

    from campaigns.ics import event_block
    from scheduler.http.feeds import feed_event, stored_block

    c = campaign(BASE, CAT)
    sync(db, [c], CAT, NOW, HORIZON)
    sync(
        db,
        [campaign(BASE.replace("Ngày Môi trường thế giới", "Ngày Môi trường"), CAT)],
        CAT,
        NOW,
        HORIZON,
    )
    owner = SimpleNamespace(timezone=c.timezone, title=c.title, tags="")
    with db.connect() as conn:
        rows = conn.execute(select(O)).all()
    assert rows and all(r.sequence == 1 for r in rows)
    for row in rows:
        assert stored_block(row) == event_block.__wrapped__(feed_event(row, owner))


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_large_sync_leaves_postgresql_knowing_what_is_due(db: Engine) -> None:
    """Without fresh statistics the claim's plan takes the thousands just written for a handful
    and walks them all at every claim; a sync of many deliveries analyzes the outbox, a small
    one leaves it to autovacuum."""

    def analyzed() -> int:
        with db.connect() as conn:
            query = "select analyze_count from pg_stat_user_tables where relname = 'delivery'"
            return int(conn.exec_driver_sql(query).scalar_one())

    before = analyzed()
    sync(db, [campaign(BASE, CAT)], CAT, NOW, HORIZON)
    assert analyzed() == before
    many = HEAD + "".join(
        f'[[message]]\nid = "tin-{i:03d}"\nat = "2026-06-05 08:{i % 60:02d}"\n'
        f'text = "Tin {i}: chống rác thải nhựa"\nchannels = ["tg"]\n'
        for i in range(ANALYZE_AFTER // 2)
    )
    report = sync(db, [campaign(many, CAT)], CAT, NOW, HORIZON)
    assert report.inserted >= ANALYZE_AFTER
    assert analyzed() > before
