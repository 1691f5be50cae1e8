"""``loa run`` with a units registry, through the local fake Telegram Bot API: a deadline owed by
three units reaches each unit's chat once; ``/nop`` from one unit's chat stops that unit's
reminders only; each unit still owing after the deadline is escalated once to the lead unit
and the admin, and not again after a restart; ``loa report status`` and ``/baocao`` show who
has submitted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.harness import Office, iso, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = pytest.mark.slow

FIRST = "Nhắc lần 1: nộp báo cáo kết quả PGI"
SECOND = "Nhắc lần 2: nộp báo cáo kết quả PGI"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def texts(fake: FakeTelegram, chat: int) -> list[str]:
    return [m.plain_text or "" for m in fake.messages_to(chat)]  # as the members see it


def report_campaign(lead_seconds: float) -> Callable[[dt.datetime], str]:
    """A report due ``lead_seconds`` after ``at``, named the ways plans write its units, with
    two reminders: at ``at`` and ten seconds before the deadline."""

    def make(at: dt.datetime) -> str:
        due = at + dt.timedelta(seconds=lead_seconds)
        return f"""
id = "chi-so-xanh"
title = "Chỉ số xanh cấp tỉnh"

[[deadline]]
id = "bao-cao-pgi"
title = "Báo cáo kết quả PGI"
due = {iso(due)}
if_day_off = "keep"  # the test runs on any day, a weekend too
lead = "sở tn&mt"
partners = ["Tỉnh Đoàn", "Ủy ban MTTQ Việt Nam tỉnh"]

[[message]]
id = "nhac-1"
at = "bao-cao-pgi -{lead_seconds:.0f}s"
text = "{FIRST}"
channels = ["units", "tg:mttq"]

[[message]]
id = "nhac-2"
at = "bao-cao-pgi -10s"
text = "{SECOND}"
channels = ["units", "tg:mttq"]
"""

    return make


def test_units_reminded_once_nop_stops_one_overdue_escalates_once(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    so = fake.add_group(title="Sở Nông nghiệp và Môi trường")
    doan = fake.add_group(title="Tỉnh đoàn")
    mttq = fake.add_group(title="Ủy ban MTTQ")
    admin = fake.add_private_chat(first_name="Hùng")
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        f'targets = {{ mttq = "{mttq}" }}\n'
        f'[channels.tg.bot]\nenabled = true\npoll_seconds = 2\nadmins = ["{admin}"]\n'
        '[units.so-nnmt]\nname = "Sở Nông nghiệp và Môi trường"\nshort = "Sở NN&MT"\n'
        f'aliases = ["Sở TN&MT", "Sở Tài nguyên và Môi trường"]\nchats = ["tg:{so}"]\n'
        f'[units.tinh-doan]\nname = "Tỉnh đoàn"\nchats = ["tg:{doan}"]\n'
        '[units.mttq]\nname = "Ủy ban MTTQ Việt Nam tỉnh"\nshort = "MTTQ tỉnh"\n'
        # the chat by its id, while the campaign also names it by its alias: still once
        f'chats = ["tg:{mttq}"]\n'
    )
    office.write_config()
    process, _ = office.start_then_move({"chi-so-xanh": report_campaign(25)}, lead=6)

    # each unit's chat gets the first reminder, once, though mttq's chat is named twice
    for chat in (so, doan, mttq):
        wait_for(lambda chat=chat: FIRST in texts(fake, chat), 40, f"the reminder in {chat}")
    # the Tỉnh đoàn says it has submitted, from its chat
    fake.queue_message(doan, "/nop bao-cao-pgi Đã gửi công văn số 12")
    answer = wait_for(lambda: [x for x in texts(fake, doan) if x.startswith("Đã ghi nhận")], 20,
                      "the /nop reply")  # fmt: skip
    assert "Tỉnh đoàn đã nộp “Báo cáo kết quả PGI”" in answer[0]
    assert "Ghi chú: Đã gửi công văn số 12" in answer[0]
    # a chat of no unit cannot speak for one
    fake.queue_message(admin, "/nop bao-cao-pgi")
    refusal = wait_for(lambda: texts(fake, admin), 20, "the refusal")
    assert "không phải nhóm của đơn vị nào" in refusal[0]

    # the second reminder reaches the two units still owing, and not the Tỉnh đoàn
    for chat in (so, mttq):
        wait_for(lambda chat=chat: SECOND in texts(fake, chat), 40, f"the second in {chat}")
    stopped = office.query(
        "select count(*) from delivery where cancel_reason = 'submitted' and target like ?",
        f"unit:tinh-doan:{doan}",
    )
    assert stopped == [(1,)]

    # after the deadline: one escalation per unit still owing, to the lead unit and the admin
    def escalations(chat: int) -> list[str]:
        return [x for x in texts(fake, chat) if x.startswith("⛔ Quá hạn")]

    wait_for(lambda: len(escalations(admin)) == 2 and len(escalations(so)) == 2, 60,
             "the escalations")  # fmt: skip
    assert sorted(x.split(" chưa nộp")[0] for x in escalations(admin)) == [
        "⛔ Quá hạn: MTTQ tỉnh",
        "⛔ Quá hạn: Sở NN&MT",
    ]
    assert escalations(doan) == [] and escalations(mttq) == []
    for chat in (so, mttq):
        assert texts(fake, chat).count(FIRST) == 1 and texts(fake, chat).count(SECOND) == 1
    assert texts(fake, doan).count(FIRST) == 1 and SECOND not in texts(fake, doan)

    # who has submitted: the CLI's table, the bot's, the calendar feed
    status = office.loa("report", "status", "bao-cao-pgi")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].startswith("Báo cáo kết quả PGI — hạn")
    assert any(line.startswith("✅ Tỉnh đoàn: đã nộp") and "Đã gửi công văn số 12" in line
               for line in lines)  # fmt: skip
    assert any(line.startswith("⛔ Sở NN&MT: quá hạn") for line in lines)
    assert any(line.startswith("⛔ MTTQ tỉnh: quá hạn") for line in lines)
    assert "Đã nộp: 1/3" in status.stdout
    fake.queue_message(so, "/baocao chi-so-xanh:bao-cao-pgi")
    table = wait_for(lambda: [x for x in texts(fake, so) if "Đã nộp: 1/3" in x], 20, "/baocao")
    assert "✅ Tỉnh đoàn: đã nộp" in table[0]

    # a restart does not escalate again
    code, _, err = office.stop(process)
    assert code == 0, err
    process = office.start()
    office.started(process)
    fake.queue_message(so, "/baocao bao-cao-pgi")
    wait_for(lambda: len([x for x in texts(fake, so) if "Đã nộp: 1/3" in x]) == 2, 20,
             "/baocao after the restart")  # fmt: skip
    assert len(escalations(admin)) == 2 and len(escalations(so)) == 2
    escalated = office.query("select count(*) from report_status where escalated_at is not null")
    assert escalated == [(2,)]
