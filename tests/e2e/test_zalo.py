"""``loa run`` publishing through a Zalo Official Account and a Zalo bot against the local fakes,
with the OA's access token expiring mid-run and the daemon killed during the renewal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tests.e2e.harness import Office, iso, wait_for
from tests.fakes.zalo import FakeZalo

pytestmark = pytest.mark.slow
TEXT = "Ngày Môi trường thế giới: hãy nói không với túi nilon 🌱"


@pytest.fixture
def fake() -> Iterator[FakeZalo]:
    server = FakeZalo(hang_seconds=30)
    with server.in_thread():
        yield server


def setup(office: Office, fake: FakeZalo, monkeypatch: pytest.MonkeyPatch) -> str:
    user = fake.add_follower("2512523625412515", last_interaction=dt.timedelta(hours=1))
    chat = fake.add_chat("7e1a2b3c")
    monkeypatch.setenv("LOA_ZALO_REFRESH", fake.issue_refresh_token())
    monkeypatch.setenv("LOA_ZALO_SECRET", fake.secret_key)
    monkeypatch.setenv("LOA_ZALO_BOT", fake.bot_token)
    office.extra_config = (
        f'[channels.oa]\ntype = "zalo_oa"\nbase_url = "{fake.base_url}"\noauth_url = "{fake.oauth_url}"\n'
        f'app_id = "{fake.app_id}"\nsecret_env = "LOA_ZALO_SECRET"\ntoken_env = "LOA_ZALO_REFRESH"\n'
        f'[channels.oa.targets]\nlan = "{user}"\n'
        f'[channels.bot]\ntype = "zalo_bot"\nbase_url = "{fake.bot_base_url}"\ntoken_env = "LOA_ZALO_BOT"\n'
        f'[channels.bot.targets]\nnhom = "{chat}"\n'
    )
    office.write_config()
    return user


def two_messages(first: dt.datetime) -> str:
    """Two messages to both outlets, due at ``first`` and 3 s later."""
    lines = ['id = "zl"', 'title = "Zalo"']
    for i in range(2):
        due = first + dt.timedelta(seconds=3 * i)
        lines += ["[[message]]", f'id = "tin-{i}"', f"at = {iso(due)}", f'text = "{TEXT} ({i})"',
                  'channels = ["oa:lan", "bot:nhom"]']  # fmt: skip
    return "\n".join(lines) + "\n"


def stored_refresh(office: Office) -> str:
    rows = office.query("select value from meta where name = 'zalo-oa:oa:tokens'")
    return rows[0][0] if rows else ""


def test_token_expires_mid_run_and_is_renewed_once(
    office: Office, fake: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(office, fake, monkeypatch)
    process, _ = office.start_then_move({"zl": two_messages}, 3)
    wait_for(
        lambda: len([m for m in fake.accepted if m.api == "cs"]) == 1, 20, "the first OA message"
    )
    fake.expire_access_token()
    wait_for(
        lambda: len([m for m in fake.accepted if m.api == "cs"]) == 2, 20, "the second OA message"
    )
    wait_for(lambda: office.states() == {"sent": 4}, 20, "all four sent")
    _, out, err = office.stop(process)
    assert len(fake.renewals) == 2  # the first access token, then once after it expired
    assert fake.current_refresh_token and fake.current_refresh_token in stored_refresh(office)
    assert sorted(m.text or "" for m in fake.accepted) == sorted(
        [f"{TEXT} (0)"] * 2 + [f"{TEXT} (1)"] * 2
    )
    for secret in (fake.secret_key, fake.bot_token, fake.current_refresh_token):
        assert secret not in out + err + office.loa("status").stdout


def test_killed_during_renewal_restarts_with_no_manual_step(
    office: Office, fake: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(office, fake, monkeypatch)
    process, _ = office.start_then_move({"zl": two_messages}, 3)
    wait_for(
        lambda: len([m for m in fake.accepted if m.api == "cs"]) == 1, 20, "the first OA message"
    )
    spent_before = stored_refresh(office)
    fake.expire_access_token()
    fake.fail_next("hang", service="oauth")  # the renewal request never gets an answer
    wait_for(lambda: any(f.kind == "hang" for f in fake.faults), 20, "the renewal to start")
    office.kill(process)  # kill -9 while loa waits for OAuth
    assert stored_refresh(office) == spent_before  # nothing half-written
    process = office.start()
    office.started(process)
    wait_for(
        lambda: len([m for m in fake.accepted if m.api == "cs"]) == 2, 30, "the second OA message"
    )
    wait_for(
        lambda: "sending" not in office.states() and "pending" not in office.states(), 20, "settled"
    )
    office.stop(process)
    assert set(office.states()) == {"sent"}
    assert fake.current_refresh_token in stored_refresh(office)
    assert len([m for m in fake.accepted if m.api == "cs"]) == 2  # the kill sent nothing twice
