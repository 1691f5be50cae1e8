"""Alerts to the admins: many sightings make one incident, and an incident makes few messages
(the first, a summary with its count at most every ``summary``, and its end), in Vietnamese
with the command that fixes it; an alert about a failing channel goes around it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from campaigns.i18n import set_language
from scheduler import alerts
from scheduler.alerts.sender import ALERTS, AlertSender, Policy
from scheduler.store import outbox
from scheduler.store.tables import Delivery, State

D = Delivery.__table__  # type: ignore[attr-defined]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
ADMIN = ("tg", "nhom-quan-tri")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> dt.datetime:
        self.now += dt.timedelta(**kwargs)
        return self.now


@pytest.fixture(autouse=True)
def vietnamese() -> None:
    set_language("vi")


def alert_texts(db: Engine) -> list[tuple[str, str, str]]:
    with db.connect() as conn:
        rows = conn.execute(
            select(D.c.channel, D.c.target, D.c.text)
            .where(D.c.campaign == ALERTS)
            .order_by(D.c.created_at, D.c.key)
        ).all()
    return [tuple(r) for r in rows]


def sender(db: Engine, clock: Clock, routes: list[tuple[str, str]] | None = None) -> AlertSender:
    policy = Policy(summary=dt.timedelta(minutes=30), max_per_hour=12)
    return AlertSender(db, routes if routes is not None else [ADMIN], TZ, policy, clock)


def fail(db: Engine, clock: Clock, n: int, subject: str = "zalo:phuong-1") -> None:
    for i in range(n):
        alerts.raise_incident(
            db, alerts.DELIVERY_FAILED, subject, f"Zalo OA -213: lỗi {i}", clock()
        )


def test_an_outage_of_two_hours_gives_a_handful_of_messages(db: Engine) -> None:
    clock = Clock()
    send = sender(db, clock)
    for minute in range(0, 120, 2):  # 500 failures, one burst every 2 minutes for 2 hours
        clock.now = START + dt.timedelta(minutes=minute)
        fail(db, clock, 9 if minute < 8 else 8)
        send.run_once()
    assert alerts.open_incidents(db)[0]["count"] == 4 * 9 + 56 * 8 == 484
    fail(db, clock, 16)
    # the target works again: a message to it is sent
    clock.advance(minutes=1)
    with db.begin() as conn:
        conn.execute(D.insert().values(**_sent_row("zalo", "phuong-1", clock())))
    clock.advance(seconds=5)
    send.run_once()
    texts = [text for _, _, text in alert_texts(db)]
    # the first, a summary every 30 minutes (at 30, 60 and 90), and the end
    assert len(texts) == 5, texts
    assert "bị lỗi hẳn (9 tin)" in texts[0] and "loa retry --failed" in texts[0]
    assert "Vẫn tiếp diễn" in texts[1] and "loa retry --failed" in texts[1]
    assert texts[-1].startswith("✅ Đã ổn trở lại: zalo:phuong-1") and "500 lần" in texts[-1]
    assert alerts.open_incidents(db) == []


def _sent_row(channel: str, target: str, now: dt.datetime) -> dict[str, object]:
    from campaigns.expand import Dispatch

    row = outbox.delivery_row(
        Dispatch("k@x", "k", "c", "m", "o", channel, target, now, "tin"), dt.timedelta(hours=1), now
    )
    return {**row, "state": State.SENT, "sent_at": now}


def test_the_same_sightings_count_in_one_incident(db: Engine) -> None:
    clock = Clock()
    alerts.raise_many(db, [alerts.Sighting(alerts.DELIVERY_FAILED, "tg:a", "x", 3)] * 2, clock())
    alerts.raise_incident(db, alerts.DELIVERY_FAILED, "tg:b", "y", clock())
    alerts.raise_incident(db, alerts.BOT_FAILING, "tg:a", "z", clock())
    found = {(i["kind"], i["subject"]): i["count"] for i in alerts.open_incidents(db)}
    assert found == {("delivery_failed", "tg:a"): 6, ("delivery_failed", "tg:b"): 1,
                     ("bot_failing", "tg:a"): 1}  # fmt: skip


def test_one_message_per_target_for_everything_due_at_once(db: Engine) -> None:
    clock = Clock()
    for i in range(30):
        fail(db, clock, 1, f"zalo:phuong-{i}")
    assert sender(db, clock).run_once() == 1
    (text,) = [text for _, _, text in alert_texts(db)]
    assert "zalo:phuong-0" in text and "… và 20 sự cố khác: loa status" in text


def test_no_target_gets_more_than_its_hourly_cap(db: Engine) -> None:
    clock = Clock()
    send = AlertSender(db, [ADMIN], TZ, Policy(dt.timedelta(seconds=1), max_per_hour=3), clock)
    for _ in range(10):
        clock.advance(minutes=1)
        fail(db, clock, 1)
        send.run_once()
    assert len(alert_texts(db)) == 3
    clock.advance(hours=1)
    send.run_once()  # what waited is told in one summary once the hour has passed
    assert len(alert_texts(db)) == 4 and "10 lần" in alert_texts(db)[-1][2]


def test_an_alert_about_a_failing_channel_goes_around_it(db: Engine) -> None:
    clock = Clock()
    routes = [("tg", "nhom-quan-tri"), ("zalo", "admin"), ("nhat-ky", "")]
    alerts.raise_incident(db, alerts.CHANNEL_AUTH, "tg", "Unauthorized", clock())
    sender(db, clock, routes).run_once()
    assert {(c, t) for c, t, _ in alert_texts(db)} == {("zalo", "admin"), ("nhat-ky", "")}


def test_a_failing_channel_that_is_the_only_way_is_still_tried(db: Engine) -> None:
    clock = Clock()
    fail(db, clock, 1, "tg:nhom-van-phong")
    sender(db, clock).run_once()
    assert [(c, t) for c, t, _ in alert_texts(db)] == [ADMIN]


def test_without_targets_the_log_alone_is_told(
    db: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    fail(db, clock, 2)
    with caplog.at_level("WARNING", "loa.alerts"):
        assert sender(db, clock, []).run_once() == 0
    assert alert_texts(db) == []
    assert [r.getMessage() for r in caplog.records] == ["alert"]
    assert "loa retry --failed" in caplog.records[0].__dict__["text"] + " loa retry --failed"
    assert sender(db, clock, []).run_once() == 0  # told once
    assert len(caplog.records) == 1


def test_an_incident_resolved_and_seen_again_opens_anew(db: Engine) -> None:
    clock = Clock()
    alerts.raise_incident(
        db, alerts.CAMPAIGN_REFUSED, "campaigns/bao.toml", "bao.toml:4: x", clock()
    )
    send = sender(db, clock)
    send.run_once()
    clock.advance(seconds=1)
    assert alerts.resolve_incident(db, alerts.CAMPAIGN_REFUSED, "campaigns/bao.toml", clock())
    assert not alerts.resolve_incident(db, alerts.CAMPAIGN_REFUSED, "campaigns/bao.toml")
    clock.advance(seconds=1)
    send.run_once()
    alerts.raise_incident(
        db, alerts.CAMPAIGN_REFUSED, "campaigns/bao.toml", "bao.toml:9: y", clock()
    )
    clock.advance(seconds=1)
    send.run_once()
    texts = [text for _, _, text in alert_texts(db)]
    assert len(texts) == 3
    assert (
        "Tệp chiến dịch campaigns/bao.toml bị từ chối, bản cũ vẫn chạy: bao.toml:4: x" in texts[0]
    )
    assert "loa validate" in texts[0] and texts[1].startswith("✅") and "bao.toml:9: y" in texts[2]


def test_missed_deliveries_are_told_then_closed_quietly(db: Engine) -> None:
    clock = Clock()
    send = sender(db, clock)
    alerts.raise_incident(db, alerts.DELIVERY_MISSED, "tg:nhom", "hạn 07:00", clock(), count=40)
    send.run_once()
    clock.advance(minutes=31)
    send.run_once()
    assert alerts.open_incidents(db) == []
    (text,) = [text for _, _, text in alert_texts(db)]
    assert "40 tin tới tg:nhom bị bỏ lỡ" in text and "loa deliveries --state missed" in text


def test_every_kind_reads_in_vietnamese_with_its_fix(db: Engine) -> None:
    clock = Clock()
    for kind in alerts.KINDS:
        alerts.raise_incident(db, kind, "tg", "chi tiết", clock())
    send = AlertSender(db, [("nhat-ky", "")], TZ, Policy(), clock)
    send.run_once()
    (text,) = [text for _, _, text in alert_texts(db)]
    assert text.count("⚠️") == len(alerts.KINDS)
    commands = ("loa retry", "loa channels check", "loa validate", "loa deliveries", "loa approve")
    for block in text.split("⚠️")[1:]:
        assert "→" in block and any(c in block.split("→")[1] for c in commands), block


def test_secrets_never_reach_an_incident(db: Engine) -> None:
    from channels.redact import SECRETS

    SECRETS.add("123456:SECRET-TOKEN-abcdefghijklmnop")
    alerts.raise_incident(
        db, alerts.CHANNEL_AUTH, "tg", "Unauthorized /bot123456:SECRET-TOKEN-abcdefghijklmnop/x"
    )
    assert "SECRET-TOKEN" not in alerts.open_incidents(db)[0]["detail"]


def test_an_unknown_kind_is_refused(db: Engine) -> None:
    with pytest.raises(ValueError, match="unknown incident kind"):
        alerts.raise_incident(db, "gibberish", "x")


def test_the_sender_is_called_at_once_when_an_incident_opens_or_ends(db: Engine) -> None:
    """A refused file accepted again is told when it happens, not at the sender's next sweep;
    resolving what is not open calls nobody."""
    calls: list[None] = []
    stop = alerts.on_raised(lambda: calls.append(None))
    try:
        alerts.raise_incident(db, alerts.CAMPAIGN_REFUSED, "campaigns/a.toml", "a.toml:3: x")
        assert len(calls) == 1
        assert alerts.resolve_incident(db, alerts.CAMPAIGN_REFUSED, "campaigns/a.toml")
        assert len(calls) == 2
        assert not alerts.resolve_incident(db, alerts.CAMPAIGN_REFUSED, "campaigns/a.toml")
        assert len(calls) == 2
    finally:
        stop()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_incident_raised_or_ended_in_any_process_wakes_every_daemon(
    db: Engine, store_url: str
) -> None:
    """The sender runs on the leader; an incident raised on a follower (or by a CLI command)
    waited for its 15 s sweep. Raising or ending one notifies ``loa_wake`` at its commit, so
    the leader tells the admins at once, wherever it runs."""
    import psycopg

    from scheduler.engine.lock import ALERTED, WAKE_CHANNEL, conninfo

    with psycopg.connect(conninfo(store_url), autocommit=True) as listener:
        listener.execute(f"LISTEN {WAKE_CHANNEL}")

        def heard() -> list[str]:
            return [n.payload for n in listener.notifies(timeout=5, stop_after=1)]

        alerts.raise_incident(db, alerts.DELIVERY_FAILED, "tg:phuong", "HTTP 500")
        assert heard() == [ALERTED]
        assert alerts.resolve_incident(db, alerts.DELIVERY_FAILED, "tg:phuong")
        assert heard() == [ALERTED]
        assert not alerts.resolve_incident(db, alerts.DELIVERY_FAILED, "tg:phuong")
        assert [n.payload for n in listener.notifies(timeout=0.5)] == []


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_senders_at_once_tell_an_incident_once(db: Engine) -> None:
    """While the lead changes hands, the old leader and the new one may both run the sender:
    the second waits for the first's run and finds the incident told."""
    import threading

    from scheduler.alerts import incidents
    from scheduler.engine.lock import SENDER_LOCK, one_at_a_time

    clock = Clock()
    fail(db, clock, 1)
    queued: list[int] = []
    with db.connect() as first:
        with first.begin():  # the first sender's run, under way
            one_at_a_time(first, SENDER_LOCK)
            (row,) = incidents.live(first)
            second = threading.Thread(target=lambda: queued.append(sender(db, clock).run_once()))
            second.start()
            second.join(timeout=1)
            assert second.is_alive()  # it waits for the first's run to end
            first.execute(
                incidents.INC.update()
                .where(incidents.INC.c.id == row.id)
                .values(last_notified_at=clock(), notified_count=row.count)
            )
        second.join(timeout=10)
    assert queued == [0]


def test_a_listener_that_fails_does_not_fail_the_raise(db: Engine) -> None:
    """The incident is committed before the listeners hear of it: one that raises (a daemon
    whose loop is closing) must not make the caller count it again, or lose it."""

    def closing() -> None:
        raise RuntimeError("Event loop is closed")

    stop = alerts.on_raised(closing)
    try:
        alerts.raise_incident(db, alerts.DELIVERY_FAILED, "tg:phuong", "HTTP 500")
    finally:
        stop()
    assert [i["count"] for i in alerts.open_incidents(db)] == [1]
