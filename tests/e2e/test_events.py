"""A storm warning reported with ``loa trigger`` while ``loa run`` runs: the warning reaches
the fake Telegram group at once, the same command again starts nothing new, an update changes
what is still waiting, and a cancel stops it, with its reason, as ``loa events`` and ``loa
deliveries`` show."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.harness import Office, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = pytest.mark.slow

STORM = """id = "phong-chong-bao"
title = "Phòng chống bão"

[[trigger]]
id = "canh-bao"
event = "canh-bao-bao"
fields = ["ten_bao"]
title = "Bão {{ event.data.ten_bao }}"

[[trigger.message]]
id = "ngay"
at = "event"
text = "Cảnh báo bão {{ event.data.ten_bao }}: mọi người chú ý an toàn."
channels = ["tg:nhom-van-phong"]

[[trigger.message]]
id = "cap-nhat"
at = "event +2h"
text = "Cập nhật về bão {{ event.data.ten_bao }}."
channels = ["tg:nhom-van-phong"]

[[trigger.message]]
id = "don-dep"
at = "event +1d 07:00"
text = "Ra quân dọn dẹp sau bão {{ event.data.ten_bao }}."
channels = ["tg:nhom-van-phong"]
"""


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def pending_texts(office: Office) -> list[str]:
    rows = office.query("select text from delivery where state = 'pending' order by due")
    return [row[0] for row in rows]


def test_a_storm_warning_from_the_command_line(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    group = fake.add_group()
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        f'[channels.tg.targets]\nnhom-van-phong = "{group}"\n'
    )
    office.write_config()
    office.campaign("bao", STORM)
    process = office.start()
    office.started(process)

    first = office.loa("trigger", "canh-bao-bao", "--id", "bao-3-2026", "--data", "ten_bao=Yagi")
    assert first.returncode == 0, first.stderr
    assert "3 tin đang chờ gửi" in first.stdout
    stored = time.monotonic()
    wait_for(lambda: fake.accepted, 15, "the warning at the fake Telegram")
    # the command nudges the daemon: well before its 30 s rescan would have found the event
    assert time.monotonic() - stored < 10
    (warning,) = fake.accepted
    assert (warning.chat_id, warning.text) == (group, "Cảnh báo bão Yagi: mọi người chú ý an toàn.")
    wait_for(lambda: office.states().get("sent") == 1, 10, "the warning recorded as sent")

    again = office.loa("trigger", "canh-bao-bao", "--id", "bao-3-2026", "--data", "ten_bao=Yagi")
    assert again.returncode == 0 and "không có gì mới" in again.stdout, again.stderr
    assert office.states() == {"sent": 1, "pending": 2}
    assert office.query("select count(*) from event") == [(1,)]

    update = office.loa(
        "trigger", "canh-bao-bao", "--id", "bao-3-2026", "--data", "ten_bao=Yagi (cấp 12)"
    )
    assert update.returncode == 0 and "Đã cập nhật" in update.stdout, update.stderr
    assert pending_texts(office) == [
        "Cập nhật về bão Yagi (cấp 12).",
        "Ra quân dọn dẹp sau bão Yagi (cấp 12).",
    ]
    feed = httpx.get(f"{office.http_url()}/feeds/all.ics", timeout=10).text
    assert "Bão Yagi (cấp 12)" in feed

    cancel = office.loa("trigger", "--cancel", "bao-3-2026", "--reason", "bão đã tan")
    assert cancel.returncode == 0 and "dừng 2 tin" in cancel.stdout, cancel.stderr
    assert office.states() == {"sent": 1, "cancelled": 2}
    (event,) = json.loads(office.loa("events", "--format", "json").stdout)
    assert (event["state"], event["cancel_reason"]) == ("cancelled", "bão đã tan")
    assert event["deliveries"] == {"cancelled": 2, "sent": 1}
    listed = json.loads(office.loa("deliveries", "--format", "json").stdout)
    assert sorted((d["message"], d["state"], d["error"]) for d in listed) == [
        ("canh-bao.cap-nhat", "cancelled", "bão đã tan"),
        ("canh-bao.don-dep", "cancelled", "bão đã tan"),
        ("canh-bao.ngay", "sent", None),
    ]
    refused = office.loa("trigger", "canh-bao-bao", "--data", "ten=Yagi")
    assert refused.returncode == 1 and "trường 'ten'" in refused.stderr
    assert "Traceback" not in refused.stderr

    code, _, log = office.stop(process)
    assert code == 0, log
    assert len(fake.accepted) == 1
