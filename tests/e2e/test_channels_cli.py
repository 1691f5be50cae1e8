"""``loa channels check`` and ``loa send`` against the local fake Telegram, with and without a
running daemon."""

from __future__ import annotations

import json

import pytest

from campaigns.i18n import t
from tests.e2e.harness import Office, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = pytest.mark.slow


@pytest.fixture
def fake() -> FakeTelegram:
    with FakeTelegram() as server:
        yield server


def configure(office: Office, fake: FakeTelegram, chat: int) -> None:
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        f'[channels.tg.targets]\nlan = "{chat}"\n'
        f'[channels.tg-sai-dich]\ntype = "telegram"\nbase_url = "{fake.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        '[channels.tg-sai-dich.targets]\nma = "-999999"\n'
        f'[channels.tg-thieu-token]\ntype = "telegram"\nbase_url = "{fake.url}"\n'
        'token_env = "LOA_TG_KHONG_CO"\n'
    )
    office.write_config()


def test_channels_check_names_each_failure(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    monkeypatch.delenv("LOA_TG_KHONG_CO", raising=False)
    configure(office, fake, fake.add_private_chat())
    result = office.loa("channels", "check")
    assert result.returncode == 1
    lines = {
        line.split("│")[1].strip(): line
        for line in result.stdout.splitlines()
        if line.count("│") >= 4
    }
    assert "✓" in lines["tg"] and f"@{fake.bot_username}" in lines["tg"]
    assert "✗" in lines["tg-thieu-token"] and "LOA_TG_KHONG_CO" in result.stdout
    assert "✓" in lines["nhat-ky"]
    assert "✗" in lines["tg-sai-dich"] and "-999999" in lines["tg-sai-dich"]
    assert DEFAULT_TOKEN not in result.stdout + result.stderr


def test_send_without_and_with_a_daemon(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    chat = fake.add_private_chat()
    configure(office, fake, chat)
    alone = office.loa("send", "tg:lan", "Thử nghiệm: Ngày Môi trường thế giới 🌱")
    assert alone.returncode == 0, alone.stderr
    assert [m.plain_text for m in fake.messages_to(chat)] == [
        "Thử nghiệm: Ngày Môi trường thế giới 🌱"
    ]
    office.campaign("trong", 'id = "trong"\ntitle = "Trống"\n')
    process = office.start()
    office.started(process)
    via_daemon = office.loa("send", "tg:lan", "Lần hai, qua daemon")
    assert via_daemon.returncode == 0, via_daemon.stderr
    wait_for(lambda: len(fake.messages_to(chat)) == 2, 10, "the second message")
    office.stop(process)
    rows = json.loads(office.loa("deliveries", "--format", "json").stdout)
    manual = [r for r in rows if r["campaign"] == "manual"]
    assert [r["state"] for r in manual] == ["sent", "sent"]
    assert all(r["provider_message_id"] for r in manual)
    bad = office.loa("send", "tg:khong-co", "x")
    assert bad.returncode == 1 and "khong-co" in bad.stderr and "Traceback" not in bad.stderr


def test_a_send_or_retry_with_no_target_is_refused_with_what_to_write(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``loa send tg "…"`` names no chat: Telegram would answer "chat_id is empty" every time.
    It is refused before anything is stored; and one stored before this rule (failed with that
    answer) is not queued again by ``loa retry``."""
    import datetime as dt

    from scheduler.store import outbox
    from scheduler.store.db import migrate, open_engine

    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    configure(office, fake, fake.add_private_chat())
    refused = office.loa("send", "tg", "Thử nghiệm")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert 'loa send tg:lan "…"' in refused.stderr
    bare = office.loa("send", "tg-thieu-token", "Thử nghiệm")  # a channel with no targets yet
    assert bare.returncode == 1 and "[channels.tg-thieu-token.targets]" in bare.stderr
    assert json.loads(office.loa("deliveries", "--format", "json").stdout) == []
    assert fake.accepted == []

    db = open_engine(f"sqlite:///{office.db_path}")
    migrate(db)
    now = dt.datetime.now(dt.UTC)
    stored = outbox.add_manual(db, "tg", "", "Thử nghiệm", now)  # as an older loa stored it
    with db.begin() as conn:
        conn.execute(outbox.D.update().values(state="failed", last_error="Chat_id is empty"))
    db.dispose()
    again = office.loa("retry", "--failed")
    assert again.returncode == 0, again.stderr
    assert stored in again.stdout and 'loa send tg:lan "…"' in again.stdout
    assert office.states() == {"failed": 1}
    one = office.loa("retry", stored)
    assert one.returncode == 1 and 'loa send tg:lan "…"' in one.stderr
    assert office.states() == {"failed": 1}


def test_send_prints_only_sentences_of_the_catalogue(
    office: Office, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a daemon, ``loa send`` to a chat Telegram does not know printed a bare English
    ``failed`` line on stderr before its own answer: the engine's log record, shown by Python's
    last-resort handler because only ``loa run`` set up loa's logs. A one-off command says
    what happened in the catalogue's words and nothing else, on the console channel too."""
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    configure(office, fake, fake.add_private_chat())
    office.extra_config += '[channels.man-hinh]\ntype = "console"\n'
    office.write_config()

    failed = office.loa("send", "tg-sai-dich:ma", "Thử nghiệm")
    assert failed.returncode == 1 and failed.stdout == ""
    (row,) = json.loads(office.loa("deliveries", "--format", "json").stdout)
    assert row["state"] == "failed" and row["error"]
    assert failed.stderr == t("send_failed", key=row["key"], error=row["error"]) + "\n"

    shown = office.loa("send", "man-hinh", "Thử nghiệm trên màn hình")
    assert shown.returncode == 0 and shown.stderr == ""
    key = next(r["key"] for r in json.loads(office.loa("deliveries", "--format", "json").stdout)
               if r["channel"] == "man-hinh")  # fmt: skip
    assert shown.stdout.splitlines()[-1] == t("sent_one", key=key, receipt="—")
