"""Alerts through the real daemon: an outage that fails 200 deliveries to one chat tells the
admin chat a handful of times (not 200), in Vietnamese with the command that fixes it; the
open incident shows in /healthz and ``loa status``; its end is told once the chat works."""

from __future__ import annotations

import datetime as dt
import json
import signal
import urllib.request
from collections.abc import Iterator

import pytest

from tests.e2e.harness import Office, iso, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = pytest.mark.slow

FAILURES = 200


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def burst(at: dt.datetime, later: dt.datetime | None = None) -> str:
    lines = ['id = "bao"', 'title = "Cảnh báo bão"', 'grace = "1h"']
    for i in range(FAILURES):
        lines += ["[[message]]", f'id = "tin-{i}"', f"at = {iso(at + dt.timedelta(milliseconds=i))}",
                  f'text = "Tin {i}: phường chuẩn bị ứng phó bão"', 'channels = ["tg:phuong"]']  # fmt: skip
    if later is not None:
        lines += ["[[message]]", 'id = "sau"', f"at = {iso(later)}",
                  'text = "Bão đã qua"', 'channels = ["tg:phuong"]']  # fmt: skip
    return "\n".join(lines) + "\n"


def test_an_outage_of_200_failures_gives_at_most_5_alerts(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    ward, admins = fake.add_group(title="Phường 1"), fake.add_group(title="Nhóm quản trị")
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        f"[channels.tg.limits]\nenabled = false\n"
        f'[channels.tg.targets]\nphuong = "{ward}"\nnhom-quan-tri = "{admins}"\n'
        '[alerts]\ntargets = ["tg:nhom-quan-tri"]\n'
    )
    office.write_config(daemon="reload_seconds = 1\nmax_attempts = 1\n")
    fake.fail_chat(ward, "500")
    process, _ = office.start_then_move({"bao": burst}, 2)
    wait_for(lambda: office.states().get("failed", 0) >= FAILURES, 60, "200 failures")
    first = wait_for(lambda: fake.messages_to(admins), 30, "the first alert")
    assert "Gửi tin tới tg:phuong bị lỗi hẳn" in first[0].text
    assert "loa retry --failed" in first[0].text

    health = json.loads(urllib.request.urlopen(office.http_url() + "/healthz").read())
    (incident,) = health["incidents"]
    assert (incident["kind"], incident["subject"]) == ("delivery_failed", "tg:phuong")
    status = office.loa("status", "--format", "json")
    assert status.returncode == 0, status.stderr
    (listed,) = json.loads(status.stdout)["incidents"]
    assert listed["count"] == FAILURES and set(listed) >= {
        "kind", "subject", "opened_at", "last_seen_at", "count"
    }  # fmt: skip
    assert "loa retry --failed" in office.loa("status").stdout

    # the outage ends: a later message reaches the ward, and the admins hear it is over
    fake.clear_faults()
    office.campaign("bao", burst(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
                                 dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)))  # fmt: skip
    wait_for(lambda: [m for m in fake.messages_to(ward) if m.text == "Bão đã qua"], 30, "sent")
    told = wait_for(
        lambda: [m for m in fake.messages_to(admins) if m.text.startswith("✅")], 40, "the end"
    )
    assert "Đã ổn trở lại: tg:phuong" in told[0].text and "loa retry --failed" in told[0].text
    office.stop(process)
    texts = [m.text for m in fake.messages_to(admins)]
    assert 2 <= len(texts) <= 5, texts
    assert office.query("select count(*) from incident where state = 'open'") == [(0,)]
    recorded = office.query("select state, count(*) from delivery where campaign = '_alerts' "
                            "group by state")  # fmt: skip
    assert recorded == [("sent", len(texts))]


def plan(at: dt.datetime, *extra: str) -> str:
    """A campaign of two messages to the file channel (the old plan that must keep sending), and
    ``extra`` lines after them (a broken edit)."""
    lines = ['id = "dau"', 'title = "Chiến dịch đầu"', 'grace = "1h"']
    for i, (mid, body) in enumerate((("mot", "Một"), ("hai", "Hai"))):
        lines += ["[[message]]", f'id = "{mid}"', f"at = {iso(at + dt.timedelta(seconds=4 * i))}",
                  f'text = "{body}"', 'channels = ["nhat-ky"]']  # fmt: skip
    return "\n".join([*lines, *extra]) + "\n"


def alerts_to_an_admin_chat(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> int:
    """The office's alerts go to an admin group on the fake Telegram; its chat id."""
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    admins = fake.add_group(title="Nhóm quản trị")
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        f'[channels.tg.targets]\nnhom-quan-tri = "{admins}"\n'
        '[alerts]\ntargets = ["tg:nhom-quan-tri"]\n'
    )
    office.write_config()
    return admins


def test_a_refused_campaign_file_is_one_alert_naming_its_line_until_it_is_fixed(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: a broken edit is refused, the old plan keeps sending, and the admins get one
    alert naming file:line, however many reloads see the file still broken; once the file is
    accepted again, the incident ends and they hear that too."""
    admins = alerts_to_an_admin_chat(office, fake, monkeypatch)
    process, at = office.start_then_move({"dau": plan}, 8)
    broken = plan(at, "[[message]]", 'id = "ba"', "at = 0001-01-01", 'text = "Ba"')
    where = f"campaigns/dau.toml:{broken.count(chr(10)) - 1}:"
    office.campaign("dau", broken)
    (alert,) = wait_for(lambda: fake.messages_to(admins), 30, "the alert")
    assert alert.text.startswith("⚠️ Tệp chiến dịch campaigns/dau.toml bị từ chối, bản cũ vẫn chạy")
    assert where in alert.text and "loa validate" in alert.text, alert.text
    # reloads while it stays broken (another file's edits, a SIGHUP) alert no more
    far = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    for text in ("Khác", "Khác nữa"):
        office.campaign("khac", f'id = "khac"\ntitle = "Khác"\n[[message]]\nid = "tin"\n'
                        f'at = {iso(far)}\ntext = "{text}"\nchannels = ["nhat-ky"]\n')  # fmt: skip
        query = "select count(*) from delivery where text = ?"
        wait_for(lambda: office.query(query, text)[0][0] == 1, 30, f"'{text}' synced")  # noqa: B023
    process.send_signal(signal.SIGHUP)
    wait_for(lambda: "SIGHUP" in office.log(), 10, "the SIGHUP reload")
    sent = wait_for(lambda: len(office.sent()) >= 2 and office.sent(), 30, "the old plan")
    assert {r["text"] for r in sent} == {"Một", "Hai"}
    (incident,) = json.loads(office.loa("status", "--format", "json").stdout)["incidents"]
    assert (incident["kind"], incident["subject"]) == ("campaign_refused", "campaigns/dau.toml")
    assert incident["detail"].startswith(where), incident
    assert len(fake.messages_to(admins)) == 1

    # the file is fixed: accepted again, the incident ends, and the admins are told
    office.campaign("dau", plan(at))
    ended = wait_for(lambda: fake.messages_to(admins)[1:], 30, "the incident's end")
    assert ended[0].text.startswith("✅ Đã ổn trở lại: campaigns/dau.toml"), ended[0].text
    assert office.query("select count(*) from incident where state = 'open'") == [(0,)]
    assert office.stop(process)[0] == 0
    assert len(fake.messages_to(admins)) == 2


def test_a_file_fixed_while_loa_was_down_ends_its_incident_at_the_next_start(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which files are refused is each daemon's memory; the incident is the store's. A daemon
    that starts (after a restart, or a new leader) with the file fixed ends the incident the
    last one opened: it stayed open, in ``loa status`` and /healthz, for ever."""
    admins = alerts_to_an_admin_chat(office, fake, monkeypatch)
    far = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    office.campaign("khac", plan(far).replace('"dau"', '"khac"'))
    office.campaign("dau", plan(far, "[[message]]", 'id = "ba"', "at = 0001-01-01", 'text = "Ba"'))
    process = office.start()
    office.started(process)
    wait_for(lambda: fake.messages_to(admins), 30, "the alert")
    assert office.stop(process)[0] == 0

    office.campaign("dau", plan(far))
    process = office.start()
    ended = wait_for(lambda: fake.messages_to(admins)[1:], 30, "the incident's end")
    assert ended[0].text.startswith("✅ Đã ổn trở lại: campaigns/dau.toml"), ended[0].text
    assert office.query("select count(*) from incident where state = 'open'") == [(0,)]
    assert office.stop(process)[0] == 0
