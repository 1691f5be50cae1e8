"""A chat with 200 coming items asks ``/upcoming 200``: the answer reaches the chat through the
local fake Telegram and Zalo Bot servers (which refuse anything over their limits) as numbered
pages, each within the platform's limit, every item once and in time order."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest

from channels.split import utf16_length
from tests.e2e.harness import Office, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram
from tests.fakes.zalo import FakeZalo

pytestmark = pytest.mark.slow

COUNT = 200
PAGE = re.compile(r"^\((\d+)/(\d+)\)\n")
ITEM = re.compile(r"Việc số (\d{3}):")


def campaign(today: dt.date) -> str:
    parts = ['id = "hai-tram-viec"\ntitle = "Hai trăm việc ra quân"\n']
    for i in range(COUNT):
        day = today + dt.timedelta(days=1 + i)
        parts.append(
            f'[[activity]]\nid = "a{i:03d}"\n'
            f'title = "Việc số {i:03d}: ra quân vệ sinh môi trường 🌱♻️ cùng đoàn viên"\n'
            f'start = {day.isoformat()}T08:00:00\nlocation = "Phường {i % 17 + 1}"\n'
        )
    return "".join(parts)


def check_pages(pages: list[str], limit: int) -> None:
    total = len(pages)
    assert total > 1
    for number, page in enumerate(pages, start=1):
        assert utf16_length(page) <= limit
        label = PAGE.match(page)
        assert label is not None and label.groups() == (str(number), str(total)), page[:20]
    numbers = [int(n) for page in pages for n in ITEM.findall(page)]
    assert numbers == list(range(COUNT))  # every item once, in time order, none cut


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def zalo() -> Iterator[FakeZalo]:
    server = FakeZalo()
    with server.in_thread():
        yield server


def test_200_items_paged_on_telegram_and_zalo(
    office: Office, telegram: FakeTelegram, zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("LOA_ZB_TOKEN", zalo.bot_token)
    chat = telegram.add_private_chat()
    zalo_chat = zalo.add_chat("6ede9afa66b88fe6d6a9", display_name="Lan")
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{telegram.url}"\n'
        'token_env = "LOA_TG_TOKEN"\n[channels.tg.bot]\nenabled = true\npoll_seconds = 2\n'
        f'[channels.zb]\ntype = "zalo_bot"\nbase_url = "{zalo.bot_base_url}"\n'
        'token_env = "LOA_ZB_TOKEN"\n[channels.zb.bot]\nenabled = true\npoll_seconds = 2\n'
    )
    office.write_config()
    office.campaign("hai-tram", campaign(dt.datetime.now(dt.UTC).date()))
    process = office.start()
    office.started(process)

    telegram.queue_message(chat, "/upcoming 200")
    zalo.push_update(zalo_chat, "/upcoming 200")

    def telegram_pages() -> list[str]:
        return [m.text or "" for m in telegram.messages_to(chat)]

    def zalo_pages() -> list[str]:
        return [m.text or "" for m in zalo.accepted if m.recipient == zalo_chat]

    def complete(pages: list[str]) -> bool:
        label = PAGE.match(pages[-1]) if pages else None
        return label is not None and label[1] == label[2]

    wait_for(lambda: complete(telegram_pages()), 30, "every Telegram page")
    wait_for(lambda: complete(zalo_pages()), 30, "every Zalo page")
    check_pages(telegram_pages(), 4096)
    check_pages(zalo_pages(), 2000)
    assert len(zalo_pages()) > len(telegram_pages())  # Zalo's pages are shorter
    assert not telegram.refused and not zalo.refused
    code, _, err = office.stop(process)
    assert code == 0, err
