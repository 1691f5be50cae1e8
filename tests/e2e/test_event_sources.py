"""Events from outside a running ``loa run``: a monitoring system posts a storm warning over HTTP
three times at once and its sequence starts exactly once, going out at once to the fake
Telegram group; a new post updates what is waiting, a cancel stops it; an admin starts a
sequence with ``/trigger`` in a chat, and anyone else is refused and audited."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.harness import Office, wait_for
from tests.e2e.test_events import STORM, pending_texts
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = pytest.mark.slow

TOKEN = "quan-trac-e2e-0123456789abcdef"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def texts(fake: FakeTelegram, chat: int) -> list[str]:
    return [m.text or "" for m in fake.messages_to(chat)]


def test_events_over_http_and_from_a_chat(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("LOA_EVENTS_TOKEN_QUAN_TRAC", TOKEN)
    group = fake.add_group()
    admin = fake.add_private_chat(first_name="Hùng")
    user = fake.add_private_chat(first_name="Lan")
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        f'[channels.tg.targets]\nnhom-van-phong = "{group}"\n'
        f'[channels.tg.bot]\nenabled = true\npoll_seconds = 2\nadmins = ["{admin}"]\n'
        '[events.sources.quan-trac]\ntoken_env = "LOA_EVENTS_TOKEN_QUAN_TRAC"\n'
    )
    office.write_config()
    office.campaign("bao", STORM)
    process = office.start()
    office.started(process)
    url = f"{office.http_url()}/events/canh-bao-bao"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    yagi = {"id": "bao-3-2026", "data": {"ten_bao": "Yagi"}}

    def post(body: object) -> httpx.Response:
        return httpx.post(url, json=body, headers=auth, timeout=30)

    assert httpx.post(url, json=yagi, timeout=10).status_code == 401
    posted = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(post, [yagi] * 3))
    assert sorted(a.status_code for a in answers) == [200, 200, 201], [a.text for a in answers]
    assert {a.json()["outcome"] for a in answers} == {"started", "unchanged"}
    assert office.query("select count(*), source, sender from event") == [(1, "http", "quan-trac")]
    assert office.query("select count(*) from delivery") == [(3,)]
    wait_for(lambda: texts(fake, group), 15, "the warning at the fake Telegram group")
    assert time.monotonic() - posted < 10  # woken at once, not by the 30 s rescan
    assert texts(fake, group) == ["Cảnh báo bão Yagi: mọi người chú ý an toàn."]
    wait_for(lambda: office.states() == {"sent": 1, "pending": 2}, 10, "the warning recorded")

    updated = post({**yagi, "data": {"ten_bao": "Yagi (cấp 12)"}})
    assert updated.status_code == 200 and updated.json()["outcome"] == "updated"
    assert pending_texts(office) == [
        "Cập nhật về bão Yagi (cấp 12).",
        "Ra quân dọn dẹp sau bão Yagi (cấp 12).",
    ]
    cancel = office.loa("trigger", "--cancel", "bao-3-2026", "--reason", "bão đã tan")
    assert cancel.returncode == 0 and "dừng 2 tin" in cancel.stdout, cancel.stderr
    assert office.states() == {"sent": 1, "cancelled": 2}
    again = post(yagi)
    assert again.status_code == 409 and again.json()["field"] == "id"

    # from a chat: anyone else is refused and audited, an admin starts a sequence
    fake.queue_message(user, '/trigger canh-bao-bao id=bao-4-2026 ten_bao="Kong-rey"')
    wait_for(lambda: texts(fake, user), 20, "the refusal")
    assert texts(fake, user) == ["Xin lỗi, lệnh này chỉ dành cho quản trị viên."]
    assert office.query("select count(*) from event") == [(1,)]
    fake.queue_message(admin, '/trigger canh-bao-bao id=bao-4-2026 ten_bao="Kong-rey"')
    wait_for(lambda: texts(fake, admin), 20, "the admin's answer")
    (answer,) = texts(fake, admin)
    lines = answer.splitlines()
    assert lines[0] == "Đã nhận sự kiện bao-4-2026 (canh-bao-bao): 3 tin đang chờ gửi."
    assert len(lines) == 4 and all(" → tg:nhom-van-phong: " in line for line in lines[1:])
    assert "Cảnh báo bão Kong-rey" in lines[1]
    wait_for(lambda: len(texts(fake, group)) == 2, 15, "the chat's warning at the group")
    assert texts(fake, group)[1] == "Cảnh báo bão Kong-rey: mọi người chú ý an toàn."

    events = {e["id"]: e for e in json.loads(office.loa("events", "--format", "json").stdout)}
    assert (events["bao-4-2026"]["source"], events["bao-4-2026"]["sender"]) == (
        "chat", f"tg:{admin}",
    )  # fmt: skip
    audit = json.loads(office.loa("audit", "--format", "json").stdout)
    trigger = [(e["user"], e["result"]) for e in audit if e["channel"] == "tg"]
    assert sorted(trigger) == sorted([(str(user), "refused"), (str(admin), "ok")])
    posts = sorted(e["result"] for e in audit if e["command"] == "event")
    assert posts == ["ok"] * 4 + ["refused"]  # three at once, the update; the cancelled id

    code, out, log = office.stop(process)
    assert code == 0, log
    for written in (log, out, json.dumps(audit), office.loa("events", "--format", "json").stdout):
        assert TOKEN not in written
