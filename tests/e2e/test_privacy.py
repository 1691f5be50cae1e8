"""``loa run`` with a private campaign (``[http] private_feeds`` lists its feed) beside a public
one: no public page or feed and no answer the bot sends through the fake Telegram server to a
chat not allowed it shows its id (every UID has it), title, unit or tag; nor does the log. Its
own feed with the token, and an admin's private chat, still show it."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import httpx
import pytest

from scheduler.http.feeds import slug
from tests.bot.conftest import SECRET, SECRET_TITLE, SECRET_UNIT, leaks
from tests.e2e.harness import BOT_CAMPAIGN, Office, environment_day, iso, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = pytest.mark.slow

TOKEN = "Ke-hoach-mat-2026_q9Zr"
TOKEN_ENV = "LOA_TEST_PRIVATE_TOKEN"
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def secret_campaign(now: dt.datetime) -> str:
    """The private campaign: a meeting in an hour, a report due tomorrow, its own unit and tag."""
    local = now.astimezone(VN).replace(tzinfo=None, microsecond=0)
    start, tomorrow = local + dt.timedelta(hours=1), (local + dt.timedelta(days=1)).date()
    return f"""
id = "{SECRET}"
title = "{SECRET_TITLE}"
tags = ["tuyệt mật xyz"]

[[activity]]
id = "hop-kin-xyz"
title = "Họp kín XYZ"
start = {iso(start)}
end = {iso(start + dt.timedelta(hours=1))}
lead = "{SECRET_UNIT}"
partners = ["Tỉnh đoàn"]

[[deadline]]
id = "nop-ban-kin-xyz"
title = "Nộp bản kín XYZ"
due = {tomorrow.isoformat()}
lead = "{SECRET_UNIT}"
"""


def test_a_private_campaign_shows_nowhere_public(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with FakeTelegram() as fake:
        user, admin = fake.add_private_chat(first_name="Lan"), fake.add_private_chat()
        office.extra_config = (
            f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\n'
            f'token_env = "LOA_TG_TOKEN"\n'
            f'[channels.tg.bot]\nenabled = true\npoll_seconds = 2\nadmins = ["{admin}"]\n'
        )
        office.write_config(http=f'private_feeds = {{ "campaign/{SECRET}" = "{TOKEN_ENV}" }}\n')
        now = dt.datetime.now(dt.UTC)
        office.campaign(BOT_CAMPAIGN, environment_day(now.date()))
        office.campaign(SECRET, secret_campaign(now))
        process = office.start()
        office.started(process)
        base = office.http_url()

        # the public page, as anyone sees it without a session
        public = httpx.get(f"{base}/", headers={"Accept": "text/html"})
        assert public.status_code == 200 and not leaks(public.text)
        index = public.text
        listed = sorted(set(re.findall(r'href="(/feeds/[^"]+\.ics)"', index)))
        assert "/feeds/all.ics" in listed and "/feeds/unit/tinh-doan.ics" in listed
        for path in ["/healthz", "/metrics", *listed]:
            answer = httpx.get(base + path)
            assert answer.status_code == 200 and not leaks(answer.text), (path, answer.text)
        assert not leaks(index)
        for path in (f"unit/{slug(SECRET_UNIT)}", "tag/tuyet-mat-xyz", f"campaign/{SECRET}"):
            assert httpx.get(f"{base}/feeds/{path}.ics").status_code == 404, path
        forged = httpx.get(f"{base}/feeds/campaign/{SECRET}.ics?token={TOKEN[:-1]}")
        assert forged.status_code == 404
        own = httpx.get(f"{base}/feeds/campaign/{SECRET}.ics?token={TOKEN}")
        assert own.status_code == 200 and f"UID:{SECRET}:hop-kin-xyz:once@loa" in own.text

        asked = ["/upcoming", "/campaigns", "/today", "/week", f"/campaign {SECRET}",
                 f"/feed {SECRET}", f"/subscribe {SECRET}"]  # fmt: skip
        for n, text in enumerate(asked, 1):
            fake.queue_message(user, text)
            wait_for(lambda n=n: len(fake.messages_to(user)) >= n, 20, f"the reply to {text}")
        replies = [m.text or "" for m in fake.messages_to(user)]
        assert "Lễ mít tinh" in replies[0]  # the public campaign is answered
        for text, reply in zip(asked, replies, strict=True):
            shown = reply.replace(SECRET, "«»") if SECRET in text else reply
            assert not leaks(shown), (text, reply)

        fake.queue_message(admin, "/campaigns")
        wait_for(lambda: fake.messages_to(admin), 20, "the admin's /campaigns")
        assert SECRET_TITLE in (fake.messages_to(admin)[0].text or "")

        code, _, log = office.stop(process)
        assert code == 0 and SECRET_TITLE not in log and "XYZ" not in log, log
