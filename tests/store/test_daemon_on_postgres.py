"""``loa run`` on PostgreSQL, as processes: one syncs, sends what is due to the file channel and
records it where ``loa status`` reads it; several share one database, one of them leads (it
alone syncs the files), another takes over within 10 s of the leader's death, and ``loa send``
wakes them at once (NOTIFY), wherever they run. Due times are judged by the database's clock: a
daemon whose host clock runs ahead (libfaketime, from tests/services/setup.sh) sends nothing
early."""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from scheduler.engine.lock import leader_id
from scheduler.store.db import open_engine
from tests.e2e.harness import BOT_CAMPAIGN, LOA, TIMED, Office, environment_day, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgresql"])]


@pytest.fixture
def office(tmp_path: Path, store_url: str) -> Iterator[Office]:
    made = Office(tmp_path / "office")
    on_postgres(made, store_url)
    yield made
    made.close()


def on_postgres(office: Office, store_url: str) -> None:
    config = office.root / "config.toml"
    config.write_text(
        config.read_text("utf-8").replace("sqlite:///data/loa.db", store_url), "utf-8"
    )


@pytest.fixture
def store(store_url: str) -> Iterator[Engine]:
    engine = open_engine(store_url)
    yield engine
    engine.dispose()


def count(store: Engine, sql: str) -> int:
    with store.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def test_loa_run_sends_a_due_message_and_loa_status_reads_it(office: Office, store: Engine) -> None:
    parked = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    office.campaign(
        "ngay", environment_day(parked.date(), ("tin", parked, "Chào ngày mới", "nhat-ky"))
    )
    process = office.start()
    wait_for(
        lambda: (
            process.poll() is None
            and count(store, "select count(*) from delivery where state = 'pending'") == 1
        ),
        30,
        "loa run to sync on PostgreSQL",
    )
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    office.campaign("ngay", environment_day(at.date(), ("tin", at, "Chào ngày mới", "nhat-ky")))
    records = wait_for(lambda: office.sent(), 30, "the due message in the file channel")
    assert [r["key"] for r in records] == [f"{BOT_CAMPAIGN}:tin:once@nhat-ky"]
    assert "Chào ngày mới" in records[0]["text"]
    wait_for(lambda: count(store, "select count(*) from delivery where state = 'sent'") == 1, 10)

    sent = office.loa("send", "nhat-ky", "Tin gửi tay", timeout=30)  # the daemon sends it
    assert sent.returncode == 0, sent.stderr
    assert [r["text"] for r in office.sent()][-1] == "Tin gửi tay"

    status = office.loa("status")
    assert status.returncode == 0, status.stderr
    assert re.search(r"đã gửi\W+2\b", status.stdout), status.stdout  # LOA_LANG=vi
    listed = json.loads(office.loa("deliveries", "--format", "json").stdout)
    assert {r["state"] for r in listed} == {"sent"}
    code, _, _ = office.stop(process)
    assert code == 0


SYNCED = "đã lập lịch theo các tệp chiến dịch"  # the ``synced`` event, as LOA_LANG=vi logs it
GAINED = "trở thành tiến trình dẫn đầu"  # ``leader gained``
LOST = "mất quyền dẫn đầu"  # ``leader lost``


def status(office: Office) -> dict[str, Any]:
    done = office.loa("status", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def current_leader(store: Engine) -> str | None:
    with store.connect() as conn:
        return leader_id(conn)


def cluster_up(office: Office, store: Engine, *processes: subprocess.Popen[str]) -> dict[str, Any]:
    """Wait until every daemon is registered and one of them leads and has synced; the status."""

    def up() -> dict[str, Any] | None:
        for process in processes:
            assert process.poll() is None, office.log(process)
        if current_leader(store) is None or not count(store, "select count(*) from delivery"):
            return None
        shown = status(office)
        pids = {d["pid"] for d in shown["daemons"]}
        return shown if pids == {p.pid for p in processes} else None

    return wait_for(up, 60, "every daemon registered, one leading")  # type: ignore[no-any-return]


def parked_campaign(office: Office, *extra: tuple[str, dt.datetime, str, str]) -> None:
    parked = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    message = ("tin", parked, "Chào ngày mới", "nhat-ky")
    office.campaign("ngay", environment_day(parked.date(), message, *extra))


def test_two_daemons_share_a_database_one_leads_and_the_files_sync_once(
    office: Office, store: Engine
) -> None:
    parked_campaign(office)
    first, second = office.start(), office.start()  # together, on a database never synced
    shown = cluster_up(office, store, first, second)
    leaders = [d for d in shown["daemons"] if d["leader"]]
    assert len(leaders) == 1 and shown["leader"] == leaders[0]["id"]
    assert set(shown["daemons"][0]) == {"id", "host", "pid", "started_at", "seen_at", "leader"}
    for daemon in shown["daemons"]:
        assert dt.datetime.fromisoformat(daemon["seen_at"]).tzinfo is not None
        assert daemon["id"].startswith(f"{daemon['host']}:{daemon['pid']}-")
    lead = first if leaders[0]["pid"] == first.pid else second
    follower = second if lead is first else first
    assert count(store, "select count(*) from delivery") == 1
    assert count(store, "select count(*) from campaign_version") == 1
    assert SYNCED in office.log(lead) and GAINED in office.log(lead)
    assert SYNCED not in office.log(follower) and GAINED not in office.log(follower)
    said = office.loa("status").stdout
    assert "dẫn đầu" in said and str(follower.pid) in said, said
    for process in (first, second):
        assert office.stop(process)[0] == 0
        assert "Traceback" not in office.log(process)
    assert status(office)["daemons"] == [] and status(office)["leader"] is None


def leader_then_follower(
    office: Office, store: Engine
) -> tuple[subprocess.Popen[str], subprocess.Popen[str], dict[str, Any]]:
    """Two daemons, the first started leading (the second starts once it leads); the status."""
    parked_campaign(office)
    first = office.start()
    cluster_up(office, store, first)
    second = office.start()
    shown = cluster_up(office, store, first, second)
    assert shown["leader"] == next(d["id"] for d in shown["daemons"] if d["pid"] == first.pid)
    return first, second, shown


def test_the_leaders_death_hands_the_lead_over_within_10_s(office: Office, store: Engine) -> None:
    first, second, shown = leader_then_follower(office, store)

    office.kill(first)
    killed = time.monotonic()
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)
    parked_campaign(office, ("sau", at, "Tin sau khi đổi", "nhat-ky"))  # edited after the kill
    survivor = next(d["id"] for d in shown["daemons"] if d["pid"] == second.pid)
    wait_for(lambda: current_leader(store) == survivor, 10, "the survivor to lead")
    assert time.monotonic() - killed < 10
    assert status(office)["leader"] == survivor
    records = wait_for(
        lambda: [r for r in office.sent() if r["text"] == "Tin sau khi đổi"], 30, "the new message"
    )
    assert len(records) == 1
    assert GAINED in office.log(second) and SYNCED in office.log(second)
    assert "Traceback" not in office.log(second)


def test_loa_send_wakes_an_idle_daemon_at_once(office: Office, store: Engine) -> None:
    """The daemons re-read the outbox every 30 s on their own; ``loa send`` must not wait for
    that: it notifies them (two sends, so that a re-read falling in the window cannot pass it)."""
    parked_campaign(office)
    first, second = office.start(), office.start()
    shown = cluster_up(office, store, first, second)
    ids = {d["id"] for d in shown["daemons"]}
    for words in ("Tin gửi tay một", "Tin gửi tay hai"):
        sent = office.loa("send", "nhat-ky", words, timeout=30)
        assert sent.returncode == 0, sent.stderr
        with store.connect() as conn:
            row = conn.execute(
                text("select claimed_by, sent_at - created_at from delivery where text = :t"),
                {"t": words},
            ).one()
        assert row[0] in ids  # a daemon sent it, not the command
        assert row[1] < dt.timedelta(seconds=3), row[1]


def test_a_leader_whose_lock_connection_breaks_stops_leading_and_says_so(
    office: Office, store: Engine
) -> None:
    """What a cut network does to the leader: the server lets the lock go with the connection,
    and the daemon must stop its once-only work at its next check, not carry on beside a new
    leader. Alone on the database, it then takes the lead again."""
    parked_campaign(office)
    process = office.start()
    leader = cluster_up(office, store, process)["leader"]
    with store.begin() as conn:
        conn.execute(
            text(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where application_name = :name"
            ),
            {"name": f"loa run {leader}"},
        )
    wait_for(lambda: LOST in office.log(process), 10, "the leader to know it lost the lock")
    wait_for(lambda: office.log(process).count(GAINED) == 2, 10, "it to lead again")
    assert current_leader(store) == leader and process.poll() is None


def test_only_the_leader_runs_the_bot_and_the_next_one_takes_it_over(
    office: Office, store: Engine, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two pollers of one Telegram bot would take each other's updates (Telegram ends one poll
    with 409 Conflict): only the leader prepares and polls, and after its death the new leader
    does, answering each message once."""
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    with FakeTelegram() as fake:
        user = fake.add_private_chat(first_name="Lan")
        office.extra_config = (
            f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\n'
            'token_env = "LOA_TG_TOKEN"\n[channels.tg.bot]\nenabled = true\npoll_seconds = 2\n'
        )
        office.write_config()
        on_postgres(office, store_url)
        parked_campaign(office)
        first = office.start()
        cluster_up(office, store, first)
        second = office.start()
        cluster_up(office, store, first, second)

        def prepared() -> int:
            return sum(1 for method, _ in fake.calls if method == "deleteWebhook")

        fake.queue_message(user, "/help")
        wait_for(lambda: fake.messages_to(user), 20, "the answer to /help")
        assert prepared() == 1
        # recorded as answered (a leader killed between its answer and this write answers
        # again after the takeover, as after any crash)
        answered = "select count(*) from answered_update"
        wait_for(lambda: count(store, answered) == 1, 10, "/help recorded as answered")

        office.kill(first)
        wait_for(lambda: prepared() == 2, 15, "the new leader to prepare the bot")
        fake.queue_message(user, "/upcoming")
        wait_for(lambda: len(fake.messages_to(user)) == 2, 20, "the answer to /upcoming")
        assert "Lễ mít tinh" in (fake.messages_to(user)[1].text or "")
        assert len(fake.messages_to(user)) == 2 and prepared() == 2
        assert office.stop(second)[0] == 0


@TIMED
def test_a_failure_on_a_follower_reaches_the_admins_once_and_at_once(
    office: Office, store: Engine, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The alert sender runs on the leader alone. A delivery that fails on a follower is an
    incident there; the leader hears of it by the commit's NOTIFY and tells the admin chat
    within seconds (its own sweep comes only every 15 s), and the follower tells nobody."""
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    with FakeTelegram() as fake:
        ward, admins = fake.add_group(title="Phường 1"), fake.add_group(title="Nhóm quản trị")
        office.extra_config = (
            f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\n'
            'token_env = "LOA_TG_TOKEN"\n[channels.tg.limits]\nenabled = false\n'
            f'[channels.tg.targets]\nphuong = "{ward}"\nnhom-quan-tri = "{admins}"\n'
            '[alerts]\ntargets = ["tg:nhom-quan-tri"]\n'
        )
        office.write_config(daemon="reload_seconds = 1\nmax_attempts = 1\n")
        on_postgres(office, store_url)
        leader, follower, shown = leader_then_follower(office, store)

        # the ward's chat hangs until the client gives up (10 s), then fails for good; the
        # leader is stopped while the send is claimed, so that the follower takes it
        fake.fail_chat(ward, "hang")
        leader.send_signal(signal.SIGSTOP)
        try:
            send = subprocess.Popen(
                [*LOA, "send", "tg:phuong", "Tin tới phường"], cwd=office.root,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            wait_for(lambda: fake.refused, 30, "the follower's send to the ward")
        finally:
            leader.send_signal(signal.SIGCONT)
        assert send.wait(timeout=60) != 0
        opened = "select count(*) from incident where state = 'open'"
        wait_for(lambda: count(store, opened) == 1, 30, "the incident")
        (alert,) = wait_for(lambda: fake.messages_to(admins), 30, "the alert")
        assert "Gửi tin tới tg:phuong bị lỗi hẳn" in (alert.text or "")
        with store.connect() as conn:
            claimed_by, failed_at = conn.execute(
                text("select claimed_by, updated_at from delivery where target = 'phuong'")
            ).one()
        assert claimed_by == next(d["id"] for d in shown["daemons"] if d["pid"] == follower.pid)
        assert alert.received_at - failed_at < dt.timedelta(seconds=5)
        for process in (leader, follower):
            assert office.stop(process)[0] == 0
        assert len(fake.messages_to(admins)) == 1


def faketime() -> str:
    """libfaketime's preload library; tests/services/setup.sh installs it (CI must have it)."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if found:
        return found[0]
    reason = "libfaketime is not installed: run `bash tests/services/setup.sh` as root"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: this test must run)", pytrace=False)
    pytest.skip(reason)


def test_a_daemon_whose_clock_runs_five_minutes_ahead_sends_nothing_early(
    office: Office, store: Engine
) -> None:
    """Its host clock says the message is five minutes late; the database's says it is due in
    a few seconds, and the database's clock decides."""
    ahead = {
        "LD_PRELOAD": faketime(),
        "FAKETIME": "+5m",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # asyncio's timers keep real time
    }
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=12)).replace(microsecond=0)
    office.campaign("ngay", environment_day(due.date(), ("tin", due, "Chào ngày mới", "nhat-ky")))
    process = office.start(env=ahead)
    wait_for(
        lambda: (
            process.poll() is None
            and count(store, "select count(*) from delivery where state = 'pending'") == 1
        ),
        30,
        "loa run (clock 5 minutes ahead) to sync on PostgreSQL",
    )
    assert dt.datetime.now(dt.UTC) < due - dt.timedelta(seconds=2), "started too slowly to tell"
    records = wait_for(lambda: office.sent(), 40, "the due message in the file channel")
    arrived = dt.datetime.now(dt.UTC)
    assert arrived >= due, f"sent {(due - arrived).total_seconds():.1f} s early"
    assert [r["key"] for r in records] == [f"{BOT_CAMPAIGN}:tin:once@nhat-ky"]
    host_clock = dt.datetime.fromisoformat(records[0]["sent_at"])  # the daemon's own clock
    assert host_clock - arrived > dt.timedelta(minutes=4), "its clock did not run ahead"
