"""``loa run`` answering bots in webhook mode, requests posted to ``/hooks/<channel>`` from
outside: Telegram's and Zalo Bot's secret token, the Zalo OA's signature, timestamp and replay
guard. A refused request is answered 401/403 and changes nothing (no reply, no chat noted, no
audit entry); a genuine one is answered in Vietnamese through the channel's outlet before the
platform hears 200, and the same update delivered twice is answered once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.harness import RALLY, Office, environment_day, says_a_day, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram
from tests.fakes.zalo import FakeZalo

pytestmark = pytest.mark.slow

PUBLIC = "https://loa.example.gov.vn"
TG_SECRET = "tg-hook_9f2c41d7"
ZB_SECRET = "zb-hook-5e7a90c3"
POLLING_TOKEN = "7654321:AAFpollingTokenForTheSecondBot0123"
FIRST_LINE = "Các việc sắp tới:"
ACTIVITY = RALLY


def campaign(now: dt.datetime) -> str:
    reminder = "Nhắc: mít tinh hưởng ứng Ngày Môi trường thế giới 🌱"
    return environment_day(now.date(), ("nhac", now + dt.timedelta(hours=2), reminder, "nhat-ky"))


def count(office: Office, table: str) -> int:
    return int(office.query(f"select count(*) from {table}")[0][0])


def inbound_at(office: Office, channel: str, chat: str) -> Any:
    rows = office.query(
        "select last_inbound_at from chat where channel = ? and chat = ?", channel, chat
    )
    return rows[0][0] if rows else None


def post(url: str, body: bytes | dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(url, content=content, headers={"Content-Type": "application/json", **headers})


# -- Telegram ---------------------------------------------------------------------------------


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram([DEFAULT_TOKEN, POLLING_TOKEN]) as server:
        yield server


def tg_update(update_id: int, chat: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 1000,
            "date": int(dt.datetime.now(dt.UTC).timestamp()),
            "chat": {"id": chat, "type": "private", "first_name": "Lan"},
            "from": {"id": chat, "is_bot": False, "first_name": "Lan", "language_code": "vi"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


def test_telegram_webhook_takes_only_genuine_updates_and_answers_each_once(
    office: Office, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("LOA_TG2_TOKEN", POLLING_TOKEN)
    monkeypatch.setenv("LOA_TG_HOOK", TG_SECRET)
    user = telegram.add_private_chat(first_name="Lan")
    office.extra_config = (
        f'[channels.tg]\ntype = "telegram"\nbase_url = "{telegram.url}"\ntoken_env = "LOA_TG_TOKEN"\n'
        '[channels.tg.bot]\nenabled = true\nmode = "webhook"\nsecret_env = "LOA_TG_HOOK"\n'
        f'[channels.tg2]\ntype = "telegram"\nbase_url = "{telegram.url}"\ntoken_env = "LOA_TG2_TOKEN"\n'
        "[channels.tg2.bot]\nenabled = true\npoll_seconds = 2\n"
    )
    office.write_config(http=f'public_url = "{PUBLIC}"\n')
    office.campaign("moi-truong", campaign(dt.datetime.now(dt.UTC)))
    process = office.start()
    office.started(process)
    hook = office.http_url() + "/hooks/tg"
    wait_for(lambda: telegram.webhook_info()["url"] == f"{PUBLIC}/hooks/tg", 20, "setWebhook")
    assert telegram.webhook_info(POLLING_TOKEN)["url"] == ""

    # not from Telegram: refused, and nothing is answered, noted or audited
    status = tg_update(100_000_001, user, "/status")  # an admin command: audited when answered
    for headers in (
        {"X-Telegram-Bot-Api-Secret-Token": "tg-hook_wrong"},
        {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET.upper()},
        {"X-Telegram-Bot-Api-Secret-Token": ""},
        {},
    ):
        assert post(hook, status, headers).status_code == 401, headers
    genuine = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    assert post(hook, b"<update/>", genuine).status_code == 400
    assert post(hook, b"", genuine).status_code == 400
    assert telegram.messages_to(user) == []
    assert (count(office, "chat"), count(office, "audit")) == (0, 0)

    # genuine: answered in Vietnamese before the 200
    answer = post(hook, tg_update(100_000_002, user, "/upcoming"), genuine)
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    [reply] = [m.text or "" for m in telegram.messages_to(user)]
    assert reply.startswith(FIRST_LINE) and ACTIVITY in reply and says_a_day(reply)
    noted = inbound_at(office, "tg", str(user))
    assert noted is not None

    # Telegram delivering the same update again (it did not hear the 200): not answered twice
    again = post(hook, tg_update(100_000_002, user, "/upcoming"), genuine)
    assert again.status_code == 200
    assert len(telegram.messages_to(user)) == 1
    assert inbound_at(office, "tg", str(user)) == noted

    # Telegram posts over several connections at once, so a later update can arrive first (or
    # an earlier one come back on a retry): both are new, both are answered
    assert post(hook, tg_update(100_000_004, user, "/help"), genuine).status_code == 200
    assert post(hook, tg_update(100_000_003, user, "/campaigns"), genuine).status_code == 200
    later, earlier = [m.text or "" for m in telegram.messages_to(user)][1:]
    assert "/upcoming" in later and "Ngày Môi trường thế giới" in earlier
    assert post(hook, tg_update(100_000_003, user, "/campaigns"), genuine).status_code == 200
    assert len(telegram.messages_to(user)) == 3

    # an admin command from a non-admin is audited as refused
    assert post(hook, tg_update(100_000_005, user, "/status"), genuine).status_code == 200
    assert "chỉ dành cho quản trị viên" in (telegram.messages_to(user)[3].text or "")
    assert office.query("select command, result from audit") == [("status", "refused")]

    # only a bot in webhook mode has a hook
    base = office.http_url()
    assert post(f"{base}/hooks/unknown", status, genuine).status_code == 404
    assert post(f"{base}/hooks/tg2", status, genuine).status_code == 404
    assert httpx.get(hook).status_code == 405
    assert len(telegram.messages_to(user)) == 4

    assert "tg (webhook) hoạt động" in office.loa("status").stdout
    code, out, err = office.stop(process)
    assert code == 0, err
    assert TG_SECRET not in out + err


# -- Zalo -------------------------------------------------------------------------------------


@pytest.fixture
def zalo() -> Iterator[FakeZalo]:
    server = FakeZalo(allow_http_webhooks=True, oa_secret_key="oa-secret-9d1f")
    with server.in_thread():
        yield server


def oa_replies(zalo: FakeZalo, user: str) -> list[str]:
    return [m.text or "" for m in zalo.accepted if m.api == "cs" and m.recipient == user]


def test_zalo_oa_webhook_answers_signed_events_and_refuses_forged_stale_or_replayed(
    office: Office, zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = zalo.add_follower("2512523625412515", last_interaction=dt.timedelta(days=3))
    monkeypatch.setenv("LOA_ZALO_REFRESH", zalo.issue_refresh_token())
    monkeypatch.setenv("LOA_ZALO_SECRET", zalo.secret_key)
    monkeypatch.setenv("LOA_OA_HOOK", zalo.oa_secret_key)
    office.extra_config = (
        f'[channels.oa]\ntype = "zalo_oa"\nbase_url = "{zalo.base_url}"\noauth_url = "{zalo.oauth_url}"\n'
        f'app_id = "{zalo.app_id}"\nsecret_env = "LOA_ZALO_SECRET"\ntoken_env = "LOA_ZALO_REFRESH"\n'
        '[channels.oa.bot]\nenabled = true\nmode = "webhook"\nsecret_env = "LOA_OA_HOOK"\n'
    )
    office.write_config()
    office.campaign("moi-truong", campaign(dt.datetime.now(dt.UTC)))
    process = office.start()
    office.started(process)
    hook = office.http_url() + "/hooks/oa"

    forged = zalo.oa_webhook_event(user, "/upcoming", oa_secret_key="not-the-oa-secret")
    assert post(hook, *forged).status_code == 401
    body, headers = zalo.oa_webhook_event(user, "/upcoming")
    assert post(hook, body, {}).status_code == 401
    assert post(hook, body.replace(b"/upcoming", b"/status"), headers).status_code == 401
    ten_minutes_ago = zalo.now() - dt.timedelta(minutes=10)
    stale = zalo.oa_webhook_event(user, "/upcoming", timestamp=ten_minutes_ago)
    assert post(hook, *stale).status_code == 403
    assert oa_replies(zalo, user) == []
    assert (count(office, "chat"), count(office, "audit")) == (0, 0)

    answer = post(hook, body, headers)
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    [reply] = oa_replies(zalo, user)
    assert reply.startswith(FIRST_LINE) and ACTIVITY in reply
    noted = inbound_at(office, "oa", user)  # the reply window is open from here
    assert noted is not None
    written = dt.datetime.fromisoformat(str(noted)).replace(tzinfo=dt.UTC)
    assert abs((dt.datetime.now(dt.UTC) - written).total_seconds()) < 30

    assert post(hook, body, headers).status_code == 403  # the same request again: a replay
    assert oa_replies(zalo, user) == [reply]
    assert inbound_at(office, "oa", user) == noted

    # a picture is not answered, but it is the user writing: the window moves on
    assert post(hook, *zalo.oa_webhook_event(user, event_name="user_send_image")).status_code == 200
    assert oa_replies(zalo, user) == [reply]
    assert inbound_at(office, "oa", user) > noted
    assert zalo.refused == []

    code, out, err = office.stop(process)
    assert code == 0, err
    assert zalo.oa_secret_key not in out + err


def test_zalo_bot_webhook_checks_the_secret_token(
    office: Office, zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = zalo.add_chat("6ede9afa66b88fe6d6a9")
    monkeypatch.setenv("LOA_ZB_TOKEN", zalo.bot_token)
    monkeypatch.setenv("LOA_ZB_HOOK", ZB_SECRET)
    office.extra_config = (
        f'[channels.zb]\ntype = "zalo_bot"\nbase_url = "{zalo.bot_base_url}"\ntoken_env = "LOA_ZB_TOKEN"\n'
        '[channels.zb.bot]\nenabled = true\nmode = "webhook"\nsecret_env = "LOA_ZB_HOOK"\n'
    )
    office.write_config(http=f'public_url = "{PUBLIC}"\n')
    office.campaign("moi-truong", campaign(dt.datetime.now(dt.UTC)))
    process = office.start()
    office.started(process)
    hook = office.http_url() + "/hooks/zb"
    wait_for(lambda: zalo.webhook_of() == (f"{PUBLIC}/hooks/zb", ZB_SECRET), 20, "setWebhook")

    def replies() -> list[str]:
        return [m.text or "" for m in zalo.accepted if m.recipient == chat]

    update = {"ok": True, "result": zalo_update(chat, "/status")}
    for headers in ({"X-Bot-Api-Secret-Token": "zb-hook-wrong"}, {}):
        assert post(hook, update, headers).status_code == 401
    assert replies() == [] and (count(office, "chat"), count(office, "audit")) == (0, 0)

    # the platform itself delivers to loa (pointed at the daemon's own address for the test)
    registered = httpx.post(
        zalo.bot_url("setWebhook"), json={"url": hook, "secret_token": ZB_SECRET}
    ).json()
    assert registered["ok"] is True
    zalo.push_update(chat, "/upcoming")
    wait_for(lambda: replies(), 20, "the /upcoming reply")
    [reply] = replies()
    assert reply.startswith(FIRST_LINE) and ACTIVITY in reply
    [delivery] = wait_for(lambda: zalo.webhook_deliveries, 20, "the platform's POST answered")
    assert (delivery.status, delivery.error) == (200, None)
    assert inbound_at(office, "zb", chat) is not None

    code, _, err = office.stop(process)
    assert code == 0, err


def zalo_update(chat: str, text: str) -> dict[str, Any]:
    return {
        "event_name": "message.text.received",
        "message": {
            "from": {"id": chat, "display_name": "Lan", "is_bot": False},
            "chat": {"id": chat, "chat_type": "PRIVATE"},
            "message_id": "9a8b7c",
            "date": int(dt.datetime.now(dt.UTC).timestamp() * 1000),
            "text": text,
        },
    }
