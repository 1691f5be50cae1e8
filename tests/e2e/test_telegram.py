"""``loa run`` publishing to Telegram through python-telegram-bot against the local fake Bot API:
once each, in order per chat, within the platform's limits, long texts split, errors handled
as Telegram means them, and the token never shown."""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict

import pytest

from tests.e2e.harness import Office, iso, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = pytest.mark.slow

LONG = " ".join(
    f"Câu thứ {i}: hưởng ứng Ngày Môi trường thế giới, chung tay giảm thiểu rác thải nhựa."
    for i in range(70)
)


def campaign(due: dt.datetime, chats: list[str], per_chat: int) -> str:
    lines = ['id = "tg"', 'title = "Tháng hành động vì môi trường"']
    for alias in chats:
        for i in range(per_chat):
            lines += [
                "[[message]]",
                f'id = "{alias}-{i}"',
                f"at = {iso(due + dt.timedelta(milliseconds=i))}",
                f'text = "Tin {i} gửi {alias}: <Chống ô nhiễm nhựa> & sống xanh 🌱"',
                f'channels = ["tg:{alias}"]',
            ]
    lines += [
        "[[message]]",
        'id = "dai"',
        f"at = {iso(due)}",
        f'text = "{LONG}"',
        'channels = ["tg:dai"]',
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def fake() -> FakeTelegram:
    with FakeTelegram() as server:
        yield server


def test_publishing_to_telegram(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    private = {f"nguoi-{i}": fake.add_private_chat() for i in range(3)}
    group = fake.add_group()
    old_group = fake.add_group(title="Nhóm cũ")
    new_group = fake.migrate(old_group)
    blocked = fake.add_private_chat()
    fake.block(blocked)
    long_chat = fake.add_private_chat()
    targets = {**private, "nhom": group, "nhom-cu": old_group, "bi-chan": blocked, "dai": long_chat}
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        "[channels.tg.targets]\n" + "".join(f'{k} = "{v}"\n' for k, v in targets.items())
    )
    office.write_config()
    chats = [*private, "nhom", "nhom-cu", "bi-chan"]
    process, _ = office.start_then_move({"tg": lambda at: campaign(at, chats, 3)}, 2)
    wanted = 3 * 3 + 3 + 3 + 2  # private chats, group, migrated group, two parts of the long one
    wait_for(lambda: len(fake.accepted) >= wanted, 40, f"{wanted} messages at the fake")
    wait_for(
        lambda: "sending" not in office.states() and "pending" not in office.states(),
        20,
        "all settled",
    )
    _, out, err = office.stop(process)

    by_chat: dict[int, list[str]] = defaultdict(list)
    for message in fake.accepted:
        by_chat[message.chat_id].append(message.plain_text or "")
    for alias, chat in [*private.items(), ("nhom", group)]:
        texts = by_chat[chat]
        assert texts == [
            f"Tin {i} gửi {alias}: <Chống ô nhiễm nhựa> & sống xanh 🌱" for i in range(3)
        ]
    assert by_chat[new_group] == [
        f"Tin {i} gửi nhom-cu: <Chống ô nhiễm nhựa> & sống xanh 🌱" for i in range(3)
    ]
    parts = by_chat[long_chat]
    assert [p[:6] for p in parts] == ["(1/2) ", "(2/2) "]
    assert " ".join(p[6:] for p in parts) == LONG
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert blocked not in by_chat

    states = dict(office.query("select key, state from delivery"))
    assert sum(1 for s in states.values() if s == "sent") == wanted - 1  # two parts, one delivery
    failed = office.query("select last_error from delivery where state = 'failed'")
    assert len(failed) == 3 and all("bị chặn" in e for (e,) in failed)
    limited = [r for r in fake.refused if r.status == 429]
    assert len(limited) <= max(1, len(fake.accepted) // 100)  # loa paces itself: < 1 % refused
    assert office.query("select value from meta where name = 'telegram-migrated:tg'") == [
        (f'{{"{old_group}": "{new_group}"}}',)
    ]

    status = office.loa("status").stdout + office.loa("deliveries", "--format", "json").stdout
    for shown in (out, err, status):
        assert DEFAULT_TOKEN not in shown and DEFAULT_TOKEN.split(":")[1] not in shown
    assert os.environ["LOA_TG_TOKEN"] == DEFAULT_TOKEN
