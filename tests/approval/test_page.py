"""The approvals page in process: an approver sees each waiting message as its platform will
get it and decides one delivery, an occurrence or a campaign's day; others are refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine, select

from scheduler import audit
from scheduler.http.app import HttpState, create_app
from scheduler.store.tables import WebSession
from tests.approval.test_store import CAT, NOW, _sync, states
from tests.staff import staff_cookies

TYPES = {"tg": "telegram", "nhat-ky": "file"}


@pytest.fixture
async def app(db: Engine) -> AsyncIterator[object]:
    _sync(db)
    yield create_app(HttpState(db=db, catalog=CAT, channel_types=TYPES, clock=lambda: NOW))


async def client(app: object, db: Engine, name: str, role: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    cookies = staff_cookies(db, name, role)
    return httpx.AsyncClient(transport=transport, base_url="http://loa", cookies=cookies)


def token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found[1]


async def test_an_approver_sees_the_exact_preview_and_approves_one_target(
    app: object, db: Engine
) -> None:
    async with await client(app, db, "lan", "approver") as http:
        page = (await http.get("/approvals")).text
        assert page.count('class="target"') == 2
        assert "Hôm nay là Ngày Môi trường thế giới" in page
        assert "Đúng như Telegram sẽ nhận" in page  # the preview page's rendering
        answer = await http.post(
            "/approvals/approve", data={"csrf_token": token(page), "key": "c:ngay:once@tg:a"}
        )
        assert (
            answer.status_code == 303
            and "Đã duyệt 1 tin" in httpx.URL(answer.headers["location"]).params["done"]
        )
    assert states(db)["c:ngay:once@tg:a"] == "pending"
    assert states(db)["c:ngay:once@tg:b"] == "awaiting_approval"
    entry = audit.recent(db, 1)[0]
    assert (entry.channel, entry.user, entry.command, entry.result) == (
        "web", "lan", "approve", "ok"
    )  # fmt: skip


async def test_a_rejection_needs_its_reason_and_a_day_is_decided_at_once(
    app: object, db: Engine
) -> None:
    async with await client(app, db, "lan", "approver") as http:
        csrf = token((await http.get("/approvals")).text)
        bare = await http.post("/approvals/reject", data={"csrf_token": csrf, "key": "c:ngay:once"})
        assert "lý do" in httpx.URL(bare.headers["location"]).params["done"]
        assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"
        day = {"csrf_token": csrf, "campaign": "c", "day": "2026-06-05"}
        await http.post("/approvals/approve", data=day)
    assert states(db)["c:ngay:once@tg:b"] == "pending"


async def test_editors_and_viewers_may_not_decide(app: object, db: Engine) -> None:
    async with await client(app, db, "an", "editor") as http:
        assert (await http.get("/approvals")).status_code == 403
        with db.connect() as conn:  # the session's form token: the editor has no form here
            csrf = conn.execute(select(WebSession.__table__.c.csrf)).scalar()  # type: ignore[attr-defined]
        answer = await http.post(
            "/approvals/approve", data={"csrf_token": csrf, "key": "c:ngay:once"}
        )
        assert answer.status_code == 403
    assert states(db)["c:ngay:once@tg:a"] == "awaiting_approval"
    assert audit.recent(db, 1)[0].result == "refused"


async def test_what_waits_shows_in_the_calendar_the_log_and_the_status(
    app: object, db: Engine
) -> None:
    async with await client(app, db, "xem", "viewer") as http:
        month = (await http.get("/calendar?month=2026-06")).text
        assert "chờ duyệt" in month
        log = (await http.get("/deliveries?state=awaiting_approval")).text
        assert log.count("/preview/c%3Angay%3Aonce%40tg%3A") == 2 and "tu-do" not in log
        assert "chờ duyệt" in (await http.get("/status")).text
