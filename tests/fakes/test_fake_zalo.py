"""The Zalo fakes behave like the platform (as far as it is known): tested with plain httpx."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.zalo import FakeClock, FakeZalo, LocalServer

VN = ZoneInfo("Asia/Ho_Chi_Minh")
USER = "2512523625412515"
TEXT = "Hưởng ứng Ngày Môi trường thế giới 05/06: Chống ô nhiễm nhựa! 🌏"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    # Monday 02/06/2025 09:00 in Vietnam, frozen: tests move time with fake.clock.advance().
    clock = FakeClock(datetime(2025, 6, 2, 9, 0, tzinfo=VN), tick=False)
    async with FakeZalo(clock=clock) as started:
        yield started


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def clock(fake: FakeZalo) -> FakeClock:
    assert fake.clock is not None
    return fake.clock


async def renew(fake: FakeZalo, http: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await http.post(
        fake.access_token_url,
        data={"refresh_token": refresh_token, "app_id": fake.app_id, "grant_type": "refresh_token"},
        headers={"secret_key": fake.secret_key},
    )


async def send(
    fake: FakeZalo,
    http: httpx.AsyncClient,
    token: str,
    text: str | None = TEXT,
    *,
    api: str = "cs",
    user: str = USER,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    answer = await http.post(
        f"{fake.base_url}/v3.0/oa/message/{api}",
        json={"recipient": {"user_id": user}, "message": message or {"text": text}},
        headers={"access_token": token},
    )
    assert answer.status_code == 200  # the OA API answers errors in the envelope
    body: dict[str, Any] = answer.json()
    return body


async def bot(
    fake: FakeZalo, http: httpx.AsyncClient, method: str, token: str | None = None, **params: Any
) -> httpx.Response:
    return await http.post(fake.bot_url(method, token), json=params)


# ------------------------------------------------------------------------------------ OA API


async def test_oa_send_returns_message_id_and_keeps_vietnamese(
    fake: FakeZalo, http: httpx.AsyncClient
) -> None:
    fake.add_follower(USER, last_interaction=timedelta(hours=2))
    access, _ = fake.issue_token_pair()

    body = await send(fake, http, access)

    assert body["error"] == 0 and body["message"] == "Success"
    message_id = body["data"]["message_id"]
    assert len(message_id) == 20 and body["data"]["user_id"] == USER
    assert body["data"]["quota"]["quota_type"] == "reply"  # within 48 h: free
    [delivery] = fake.accepted
    assert (delivery.platform, delivery.api, delivery.recipient) == ("oa", "cs", USER)
    assert delivery.text == TEXT and delivery.message_id == message_id
    assert delivery.time == clock(fake).now()


async def test_getoa_and_unknown_path(fake: FakeZalo, http: httpx.AsyncClient) -> None:
    access, _ = fake.issue_token_pair()
    fake.add_follower(USER)
    body = (
        await http.get(f"{fake.base_url}/v2.0/oa/getoa", headers={"access_token": access})
    ).json()
    assert body["error"] == 0 and body["data"]["oa_id"] == fake.oa_id
    assert body["data"]["num_follower"] == 1
    lost = await http.get(f"{fake.base_url}/v3.0/oa/message/cs", headers={"access_token": access})
    assert (lost.status_code, lost.json()["error"]) == (200, 404)
    # The token goes in the access_token header, not in Authorization or the query string.
    bearer = await http.get(
        f"{fake.base_url}/v2.0/oa/getoa", headers={"Authorization": f"Bearer {access}"}
    )
    assert bearer.json()["error"] == -216
    query = await http.get(f"{fake.base_url}/v2.0/oa/getoa", params={"access_token": access})
    assert query.json()["error"] == -216


async def test_expired_or_unknown_token_answers_216(
    fake: FakeZalo, http: httpx.AsyncClient
) -> None:
    fake.add_follower(USER, last_interaction=timedelta(0))
    access, _ = fake.issue_token_pair()
    assert (await send(fake, http, access))["error"] == 0

    clock(fake).advance(timedelta(hours=25))  # access tokens live 25 h
    body = await send(fake, http, access)
    assert body == {"error": -216, "message": "Access token has expired"}
    assert (await send(fake, http, "not-a-token"))["error"] == -216

    access, _ = fake.issue_token_pair()
    assert (await send(fake, http, access))["error"] == 0
    fake.expire_access_token()  # the test hook: the current token expires now
    assert (await send(fake, http, access))["error"] == -216
    assert [r.error for r in fake.refused] == [-216, -216, -216]
    assert len(fake.accepted) == 2


async def test_renewal_gives_a_new_pair_and_spends_the_refresh_token(
    fake: FakeZalo, http: httpx.AsyncClient
) -> None:
    fake.add_follower(USER, last_interaction=timedelta(0))
    first = fake.issue_refresh_token()

    answer = await renew(fake, http, first)

    assert answer.status_code == 200
    pair = answer.json()
    assert set(pair) == {"access_token", "refresh_token", "expires_in"}
    assert pair["expires_in"] == "90000"  # a STRING of seconds, as Zalo answers
    assert pair["refresh_token"] != first
    assert (await send(fake, http, pair["access_token"]))["error"] == 0
    [renewal] = fake.renewals
    assert renewal.used_refresh_token == first and renewal.access_token == pair["access_token"]

    again = (await renew(fake, http, first)).json()  # single use
    assert again["error"] == -14014 and again["error_name"] == "Invalid refresh token"
    assert "access_token" not in again and len(fake.renewals) == 1

    newer = (await renew(fake, http, pair["refresh_token"])).json()
    assert newer["expires_in"] == "90000"
    # Minting a new access token retires the previous one.
    assert (await send(fake, http, pair["access_token"]))["error"] == -216
    assert (await send(fake, http, newer["access_token"]))["error"] == 0
    assert fake.current_refresh_token == newer["refresh_token"]


async def test_concurrent_renewals_with_one_refresh_token_only_one_wins(
    fake: FakeZalo, http: httpx.AsyncClient
) -> None:
    first = fake.issue_refresh_token()
    answers = await asyncio.gather(*(renew(fake, http, first) for _ in range(5)))
    bodies = [a.json() for a in answers]
    assert sum("access_token" in b for b in bodies) == 1
    assert sum(b.get("error") == -14014 for b in bodies) == 4


async def test_renewal_refuses_wrong_credentials(fake: FakeZalo, http: httpx.AsyncClient) -> None:
    token = fake.issue_refresh_token()
    form = {"refresh_token": token, "app_id": fake.app_id, "grant_type": "refresh_token"}
    url = fake.access_token_url
    wrong_app = await http.post(
        url, data={**form, "app_id": "1"}, headers={"secret_key": fake.secret_key}
    )
    wrong_key = await http.post(url, data=form, headers={"secret_key": "nope"})
    no_key = await http.post(url, data=form)
    wrong_grant = await http.post(
        url, data={**form, "grant_type": "code"}, headers={"secret_key": fake.secret_key}
    )
    as_json = await http.post(url, json=form, headers={"secret_key": fake.secret_key})
    codes = [a.json()["error"] for a in (wrong_app, wrong_key, no_key, wrong_grant, as_json)]
    assert codes == [-14002, -14004, -14004, -14018, -14002]
    assert all(a.status_code == 200 for a in (wrong_app, wrong_key, wrong_grant))
    assert fake.renewals == []
    # The refresh token was not spent by the refused calls.
    assert "access_token" in (await renew(fake, http, token)).json()
    fake.expire_refresh_token()
    assert (await renew(fake, http, fake.current_refresh_token or "x")).json()["error"] == -14014


async def test_expires_in_as_number_and_reuse_answered_empty(http: httpx.AsyncClient) -> None:
    async with FakeZalo(expires_in_type="number", reused_refresh_answer="empty") as fake:
        token = fake.issue_refresh_token()
        assert (await renew(fake, http, token)).json()["expires_in"] == 90000
        reused = await renew(fake, http, token)
        assert (reused.status_code, reused.content) == (200, b"")


async def test_cs_window(fake: FakeZalo, http: httpx.AsyncClient) -> None:
    access, _ = fake.issue_token_pair()
    fake.add_user(USER, follower=False, last_interaction=timedelta(days=8))
    body = await send(fake, http, access)
    assert body["error"] == -230 and "7 days" in body["message"]

    fake.add_user("100", last_interaction=None)  # never wrote to the OA
    assert (await send(fake, http, access, user="100"))["error"] == -232
    assert (await send(fake, http, access, user="999"))["error"] == -232  # unknown to the OA
    assert (await send(fake, http, access, user="not-digits"))["error"] == -201

    # Past 48 h (but within 7 days) a reply is no longer free: it counts against the quota.
    fake.set_last_interaction(USER, timedelta(hours=49))
    body = await send(fake, http, access)
    assert body["error"] == 0 and body["data"]["quota"]["quota_type"] == "sub_quota"
    fake.set_quota(monthly=1)
    assert (await send(fake, http, access))["error"] == -211
    fake.user_interacts(USER)  # the user writes again: free replies
    assert (await send(fake, http, access))["error"] == 0


async def test_cs_window_of_48_hours(http: httpx.AsyncClient) -> None:
    clock = FakeClock(tick=False)
    async with FakeZalo(clock=clock, cs_window=timedelta(hours=48)) as fake:
        access, _ = fake.issue_token_pair()
        fake.add_follower(USER, last_interaction=timedelta(hours=47))
        assert (await send(fake, http, access))["error"] == 0
        clock.advance(timedelta(hours=2))
        refused = await send(fake, http, access)
        assert refused["error"] == -230
        assert fake.refused[-1].text == TEXT and fake.refused[-1].recipient == USER


async def test_quotas_and_followers(fake: FakeZalo, http: httpx.AsyncClient) -> None:
    access, _ = fake.issue_token_pair()
    fake.add_follower(USER)  # a follower who never wrote: transaction/promotion are fine
    fake.set_quota(monthly=3, daily=2)
    results = [(await send(fake, http, access, api="transaction"))["error"] for _ in range(3)]
    assert results == [0, 0, -211]  # the daily quota
    clock(fake).advance(timedelta(hours=15))  # next day in Vietnam, same access token
    assert (await send(fake, http, access, api="promotion"))["error"] == 0
    assert (await send(fake, http, access, api="promotion"))["error"] == -211  # monthly, 3
    assert fake.usage() == {"month": 3, "day": 1}
    clock(fake).set(datetime(2025, 7, 1, 0, 5, tzinfo=VN))  # quotas reset on the 1st, VN time
    access, _ = fake.issue_token_pair()  # (the first one has expired meanwhile)
    assert (await send(fake, http, access, api="transaction"))["error"] == 0

    fake.unfollow(USER)
    assert (await send(fake, http, access, api="promotion"))["error"] == -213
    fake.follow(USER)
    fake.set_quota(monthly=None, daily=None, promotion_per_user_daily=1)
    assert (await send(fake, http, access, api="promotion"))["error"] == 0
    assert (await send(fake, http, access, api="promotion"))["error"] == -218
    fake.ban(USER)
    assert (await send(fake, http, access, api="transaction"))["error"] == -227


async def test_text_limits(fake: FakeZalo, http: httpx.AsyncClient) -> None:
    access, _ = fake.issue_token_pair()
    fake.add_follower(USER, last_interaction=timedelta(0))
    assert (await send(fake, http, access, "ệ" * 2000))["error"] == 0
    assert (await send(fake, http, access, "ệ" * 2001))["error"] == -210
    assert (await send(fake, http, access, "🌏" * 1001))["error"] == -210  # UTF-16 units
    assert (await send(fake, http, access, ""))["error"] == -201
    assert (await send(fake, http, access, message={"txt": "x"}))["error"] == -201
    assert len(fake.accepted) == 1


async def test_upload_image_then_send_it(fake: FakeZalo, http: httpx.AsyncClient) -> None:
    access, _ = fake.issue_token_pair()
    fake.add_follower(USER, last_interaction=timedelta(0))
    upload_url = f"{fake.base_url}/v2.0/oa/upload/image"
    headers = {"access_token": access}
    uploaded = await http.post(
        upload_url, files={"file": ("poster.png", PNG, "image/png")}, headers=headers
    )
    attachment_id = uploaded.json()["data"]["attachment_id"]
    not_image = await http.post(
        upload_url, files={"file": ("a.txt", b"hello", "image/png")}, headers=headers
    )
    assert not_image.json()["error"] == -201
    too_big = b"\xff\xd8\xff" + b"\x00" * (1024 * 1024)
    huge = await http.post(upload_url, files={"file": ("a.jpg", too_big)}, headers=headers)
    assert huge.json()["error"] == -210

    def media(attachment: str) -> dict[str, Any]:
        element = {"media_type": "image", "attachment_id": attachment}
        payload = {"template_type": "media", "elements": [element]}
        return {"text": TEXT, "attachment": {"type": "template", "payload": payload}}

    assert (await send(fake, http, access, message=media(attachment_id)))["error"] == 0
    assert fake.accepted[0].attachment is not None and fake.accepted[0].text == TEXT
    assert (await send(fake, http, access, message=media("unknown")))["error"] == -201
    clock(fake).advance(timedelta(days=7))  # uploads are kept 7 days
    fake.user_interacts(USER)
    access, _ = fake.issue_token_pair()
    assert (await send(fake, http, access, message=media(attachment_id)))["error"] == -100


async def test_promotion_template_and_strict_mode(http: httpx.AsyncClient) -> None:
    promotion = {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "promotion",
                "elements": [
                    {"type": "header", "content": "Tháng hành động vì môi trường"},
                    {"type": "text", "align": "left", "content": "Ra quân vệ sinh môi trường"},
                ],
            },
        }
    }
    async with FakeZalo(strict_templates=True) as fake:
        access, _ = fake.issue_token_pair()
        fake.add_follower(USER)
        assert (await send(fake, http, access, api="promotion"))["error"] == -233
        assert (await send(fake, http, access, api="transaction", message=promotion))[
            "error"
        ] == -233
        assert (await send(fake, http, access, api="promotion", message=promotion))["error"] == 0
        assert fake.accepted[0].text == "Tháng hành động vì môi trường\nRa quân vệ sinh môi trường"


async def test_rarer_refusals(http: httpx.AsyncClient) -> None:
    clock = FakeClock(datetime(2025, 6, 5, 22, 30, tzinfo=VN), tick=False)
    async with FakeZalo(
        clock=clock,
        oa_rate_limit_per_minute=3,
        night_ban_apis=("promotion",),
        expired_token_error=-220,
    ) as fake:
        access, _ = fake.issue_token_pair()
        fake.add_follower(USER, last_interaction=timedelta(0))
        assert (await send(fake, http, access, api="promotion"))["error"] == -234  # 22:30
        fake.restrict(USER, "transaction")
        assert (await send(fake, http, access, api="transaction"))["error"] == -244
        assert (await send(fake, http, access))["error"] == 0
        assert (await send(fake, http, access))["error"] == -32  # 3 calls a minute
        clock.advance(timedelta(minutes=1))
        assert (await send(fake, http, access))["error"] == 0
        clock.advance(timedelta(hours=25))
        assert (await send(fake, http, access))["error"] == -220


# ------------------------------------------------------------------------------------ Zalo Bot


async def test_bot_send_message(fake: FakeZalo, http: httpx.AsyncClient) -> None:
    fake.add_chat("6ede9afa66b88fe6d6a9")
    ok = await bot(fake, http, "sendMessage", chat_id="6ede9afa66b88fe6d6a9", text=TEXT)
    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert set(ok.json()["result"]) == {"message_id", "date"}
    assert fake.accepted[0].text == TEXT and fake.accepted[0].platform == "bot"

    long = await bot(fake, http, "sendMessage", chat_id="6ede9afa66b88fe6d6a9", text="a" * 2001)
    empty = await bot(fake, http, "sendMessage", chat_id="6ede9afa66b88fe6d6a9", text="")
    stranger = await bot(fake, http, "sendMessage", chat_id="nobody", text="hi")
    for answer in (long, empty, stranger):
        assert answer.status_code == 200  # errors come as ok:false; clients must check `ok`
        assert answer.json()["ok"] is False and answer.json()["error_code"] == 400

    unknown = await bot(fake, http, "sendMessage", "123:nope", chat_id="x", text="hi")
    assert unknown.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    me = (await bot(fake, http, "getMe")).json()["result"]
    assert me["id"] == fake.bot_token.split(":")[0]
    photo = await bot(fake, http, "sendPhoto", chat_id="6ede9afa66b88fe6d6a9", photo="/tmp/a.png")
    assert "http://" in photo.json()["description"]
    assert len(fake.accepted) == 1


async def test_bot_rate_limit_answers_429_with_retry_after(http: httpx.AsyncClient) -> None:
    clock = FakeClock(tick=False)
    async with FakeZalo(clock=clock, bot_rate_limit=(2, 60), bot_error_status="mirror") as fake:
        fake.add_chat("c1")
        answers = [await bot(fake, http, "sendMessage", chat_id="c1", text="x") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        limited = answers[2].json()
        assert limited["error_code"] == 429 and limited["parameters"] == {"retry_after": 60}
        clock.advance(timedelta(seconds=45))
        again = (await bot(fake, http, "sendMessage", chat_id="c1", text="x")).json()
        assert again["parameters"]["retry_after"] == 15
        clock.advance(timedelta(seconds=15))
        assert (await bot(fake, http, "sendMessage", chat_id="c1", text="x")).json()["ok"]

        fake.bot_force_429(retry_after=7)
        clock.advance(timedelta(minutes=5))
        forced = await bot(fake, http, "sendMessage", chat_id="c1", text="x")
        assert forced.json()["parameters"]["retry_after"] == 7


async def test_bot_get_updates_takes_one_update_per_call(
    fake: FakeZalo, http: httpx.AsyncClient
) -> None:
    fake.push_update("chat-1", "/tuannay")
    fake.push_update("chat-2", "Lịch tuần này?")
    first = (await bot(fake, http, "getUpdates", timeout=1)).json()
    # Zalo has no offset: each call takes (and consumes) one update; an offset is ignored.
    second = (await bot(fake, http, "getUpdates", timeout=1, offset=999)).json()
    assert first["ok"] and first["result"]["message"]["text"] == "/tuannay"
    assert second["result"]["message"]["chat"]["id"] == "chat-2"
    assert second["result"]["event_name"] == "message.text.received"

    started = time.monotonic()
    empty = await bot(fake, http, "getUpdates", timeout="1")
    assert time.monotonic() - started >= 0.9  # long polling: waits for the timeout
    assert (empty.status_code, empty.json()["error_code"]) == (200, 408)

    async def write_later() -> None:
        await asyncio.sleep(0.2)
        fake.push_update("chat-1", "còn ai không?")

    writer = asyncio.create_task(write_later())
    woken = (await bot(fake, http, "getUpdates", timeout=5)).json()
    await writer
    assert woken["result"]["message"]["text"] == "còn ai không?"
    assert fake.pending_updates() == 0


async def test_bot_webhook(fake: FakeZalo, http: httpx.AsyncClient) -> None:
    received: list[tuple[str | None, Any]] = []

    async def hook(request: Request) -> JSONResponse:
        received.append((request.headers.get("x-bot-api-secret-token"), await request.json()))
        return JSONResponse({"message": "Success"})

    receiver = LocalServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
    url = await receiver.start() + "/hook"
    try:
        secret = "loa-webhook-secret-2025"
        refused = await bot(fake, http, "setWebhook", url=url, secret_token=secret)
        assert refused.json()["error_code"] == 400  # plain http is refused like the platform
        fake.allow_http_webhooks = True
        for bad in ("short", "bí-mật-đủ-dài"):  # 8..256 characters, sent back in a header
            answer = await bot(fake, http, "setWebhook", url=url, secret_token=bad)
            assert answer.json()["error_code"] == 400
        ok = (await bot(fake, http, "setWebhook", url=url, secret_token=secret)).json()
        assert ok["ok"] and ok["result"]["url"] == url
        assert (await bot(fake, http, "getWebhookInfo")).json()["result"]["url"] == url
        conflict = await bot(fake, http, "getUpdates", timeout=1)
        assert conflict.json()["error_code"] == 409  # polling and webhook exclude each other

        update = fake.push_update("chat-9", "Xin chào")
        await fake.wait_webhook_deliveries(1)
        assert received == [(secret, {"ok": True, "result": update})]
        assert fake.webhook_deliveries[0].status == 200

        await bot(fake, http, "deleteWebhook")
        fake.push_update("chat-9", "lại là tôi")
        polled = (await bot(fake, http, "getUpdates", timeout=1)).json()
        assert polled["result"]["message"]["text"] == "lại là tôi"
    finally:
        await receiver.stop()


# ------------------------------------------------------------------------------------ faults


async def test_faults(fake: FakeZalo, http: httpx.AsyncClient) -> None:
    fake.add_follower(USER, last_interaction=timedelta(0))
    access, _ = fake.issue_token_pair()

    fake.fail_next("502", service="oa")
    gateway = await http.post(
        f"{fake.base_url}/v3.0/oa/message/cs",
        json={"recipient": {"user_id": USER}, "message": {"text": "x"}},
        headers={"access_token": access},
    )
    assert gateway.status_code == 502 and "text/html" in gateway.headers["content-type"]

    fake.fail_next("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        await send(fake, http, access)
    fake.fail_next("hang", service="bot")
    with pytest.raises(httpx.ReadTimeout):
        await http.post(fake.bot_url("getMe"), timeout=0.3)
    assert fake.accepted == []

    fake.delay_seconds = 0.2
    fake.fail_next("delay")
    started = time.monotonic()
    assert (await http.post(fake.bot_url("getMe"))).json()["ok"] is True
    assert time.monotonic() - started >= 0.2

    # Accepted, then the answer is lost: the classic "was it sent?" case.
    fake.fail_next("drop_after")
    with pytest.raises(httpx.RemoteProtocolError):
        await send(fake, http, access)
    [lost] = fake.accepted
    assert lost.response_lost and lost.text == TEXT
    assert [f.kind for f in fake.faults] == ["502", "drop", "hang", "delay", "drop_after"]

    # A renewal whose answer is lost still spends the refresh token.
    first = fake.issue_refresh_token()
    fake.fail_next("drop_after", service="oauth")
    with pytest.raises(httpx.RemoteProtocolError):
        await renew(fake, http, first)
    assert len(fake.renewals) == 1
    assert (await renew(fake, http, first)).json()["error"] == -14014


async def test_seeded_faults_repeat(fake: FakeZalo, http: httpx.AsyncClient) -> None:
    async def run() -> list[int]:
        statuses = []
        for _ in range(12):
            answer = await http.post(fake.bot_url("getMe"))
            statuses.append(answer.status_code)
        return statuses

    fake.set_faults(0.5, ("500", "503"), seed=42, services=("bot",))
    first = await run()
    fake.set_faults(0.5, ("500", "503"), seed=42, services=("bot",))
    assert await run() == first
    assert {500, 503, 200} >= set(first) and 200 in first and len(set(first)) > 1


# ------------------------------------------------------------------------------------ harness


def test_in_a_thread_for_sync_tests() -> None:
    with FakeZalo().in_thread() as fake:
        fake.add_chat("c1")
        answer = httpx.post(fake.bot_url("sendMessage"), json={"chat_id": "c1", "text": "đồng bộ"})
        assert answer.json()["ok"] is True
        fake.push_update("c1", "từ luồng khác")
        polled = httpx.post(fake.bot_url("getUpdates"), json={"timeout": 2}).json()
        assert polled["result"]["message"]["text"] == "từ luồng khác"
    assert fake.accepted[0].text == "đồng bộ"


def test_runs_alone_and_prints_its_urls() -> None:
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.zalo", "--port", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        while "refresh_token" not in printed:
            line = process.stdout.readline()
            assert line, "the fake exited before printing its refresh token"
            key, _, value = line.strip().partition("=")
            printed[key] = value
        assert printed["oa_url"].startswith("http://127.0.0.1:")
        assert len({printed["oa_url"], printed["oauth_url"], printed["bot_url"]}) == 3
        renewed = httpx.post(
            printed["oauth_url"] + "/v4/oa/access_token",
            data={
                "refresh_token": printed["refresh_token"],
                "app_id": printed["app_id"],
                "grant_type": "refresh_token",
            },
            headers={"secret_key": printed["secret_key"]},
        ).json()
        assert renewed["expires_in"] == "90000"
        state = httpx.get(printed["control"]).json()
        assert len(state["renewals"]) == 1
    finally:
        process.terminate()
        assert process.wait(10) == 0


async def test_errors_can_echo_the_request_and_its_token(
    fake: FakeZalo, http: httpx.AsyncClient
) -> None:
    token, _ = fake.issue_token_pair()
    assert "access_token" not in (await send(fake, http, token, user="12345"))["message"]
    fake.echo_request = True
    refused = await send(fake, http, token, user="12345")
    assert refused["error"] < 0 and f"access_token={token.lower()}" in refused["message"]
    answer = (await bot(fake, http, "sendMessage", chat_id="khong-co", text="x")).json()
    assert f"/bot{fake.bot_token}/sendMessage" in answer["description"]
    sent = await send(
        fake, http, token, user=fake.add_follower("777", last_interaction=timedelta())
    )
    assert sent["error"] == 0  # what succeeds is answered as before
