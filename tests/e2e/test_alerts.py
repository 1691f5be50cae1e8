"""Alerts through the real daemon: an outage that fails 200 deliveries to one chat tells the
admin chat a handful of times (not 200), in Vietnamese with the command that fixes it; the
open incident shows in /healthz and ``loa status``; its end is told once the chat works."""

from __future__ import annotations

import datetime as dt
import json
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
