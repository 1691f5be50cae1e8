"""The pages in process, over a store synced from two campaigns: the calendar of June, a
campaign, a message preview as each platform gets it, the delivery log, the status page, the
public page, and the actions, which go through the same functions as the chat and the CLI."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, update

from campaigns.model import ChannelCatalog
from channels.telegram import html_parts
from scheduler import audit
from scheduler.http.app import HttpState, create_app
from scheduler.store.tables import CampaignVersion, Delivery, State
from scheduler.sync import sync
from tests.e2e.harness import ROOT, form_token
from tests.helpers import campaign
from tests.staff import staff_cookies

CAT = ChannelCatalog(
    targets={"tg": ("nhom-vp",), "zl": ("oa",), "nhat-ky": ()},
    defaults=("tg",),
    needs_target=frozenset({"tg", "zl"}),
)
TYPES = {"tg": "telegram", "zl": "zalo_bot", "nhat-ky": "file"}
NOW = dt.datetime(2026, 5, 1, 1, 0, tzinfo=dt.UTC)
D = Delivery.__table__  # type: ignore[attr-defined]

ENVIRONMENT = """
id = "moi-truong-2026"
title = "Môi trường 2026"

[[activity]]
id = "thang-hanh-dong"
title = "Tháng hành động vì môi trường"
start = 2026-06-01
end = 2026-06-30
lead = "Sở Nông nghiệp và Môi trường"
partners = ["Ủy ban MTTQ tỉnh", "Văn phòng UBND tỉnh"]

[[activity]]
id = "ngay-moi-truong"
title = "Ngày Môi trường thế giới"
start = 2026-06-05T07:30:00
end = 2026-06-05T09:00:00
lead = "Tỉnh đoàn"

[[deadline]]
id = "bao-cao"
title = "Báo cáo kết quả Tháng hành động"
due = 2026-07-10

[[message]]
id = "nhac"
at = 2026-06-04T08:00:00
text = "**Ngày mai** là Ngày Môi trường thế giới <5/6> — [xem kế hoạch](https://example.org/kh)"
channels = ["tg:nhom-vp", "zl:oa"]
"""

OTHER = """
id = "chuyen-doi-xanh"
title = "Chuyển đổi xanh"

[[activity]]
id = "hoi-nghi"
title = "Hội nghị chuyển đổi xanh"
start = 2026-06-12T08:00:00
lead = "Sở Tài chính"

[[message]]
id = "moi-hop"
at = 2026-06-10T08:00:00
text = "Mời họp"
channels = ["tg:nhom-vp"]
"""


@pytest.fixture
def store(db: Engine) -> Engine:
    """Synced from the two campaigns, on SQLite and on PostgreSQL in turn."""
    sync(db, [campaign(ENVIRONMENT, CAT), campaign(OTHER, CAT)], CAT, NOW,
         dt.timedelta(days=400))  # fmt: skip
    return db


@pytest.fixture
async def http(store: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """An admin's browser, signed in."""
    async with browser(store, staff_cookies(store, "quan-tri", "admin")) as client:
        yield client


@contextlib.asynccontextmanager
async def browser(
    store: Engine, cookies: dict[str, str], **state: Any
) -> AsyncIterator[httpx.AsyncClient]:
    made = HttpState(
        db=store, catalog=CAT, channel_types=TYPES, base_url="https://lich.example.vn",
        clock=lambda: NOW,
    )  # fmt: skip
    app = create_app(dataclasses.replace(made, **state))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://loa", cookies=cookies
    ) as client:
        yield client


async def submit(http: httpx.AsyncClient, page: str, action: str, **fields: str) -> httpx.Response:
    """Post a form as a browser does: with the form token of the page it is on."""
    shown = await http.get(page)
    assert shown.status_code == 200, (page, shown.status_code)
    return await http.post(action, data={"csrf_token": form_token(shown.text), **fields})


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def test_june_shows_environment_day_on_the_5th_and_the_month_of_action_as_a_period(
    http: httpx.AsyncClient,
) -> None:
    page = (await http.get("/calendar?month=2026-06")).text
    day = re.search(r'data-date="2026-06-05">(.*?)</div>', page, re.S)
    assert day is not None and "Ngày Môi trường thế giới" in day[1]
    periods = re.findall(r'<div class="period[^"]*"[^>]*>(.*?)</div>', page, re.S)
    assert any("Tháng hành động vì môi trường" in p for p in periods)
    assert "Lịch tháng 6/2026" in page and "T2" in page
    english = (await http.get("/calendar?month=2026-06&lang=en")).text
    assert "Calendar for 6/2026" in english and "Mon" in english


async def test_the_calendar_filters_by_campaign_unit_and_channel(http: httpx.AsyncClient) -> None:
    only = text_of((await http.get("/calendar?month=2026-06&campaign=chuyen-doi-xanh")).text)
    assert "Hội nghị chuyển đổi xanh" in only and "Ngày Môi trường thế giới" not in only
    unit = text_of((await http.get("/calendar?month=2026-06&unit=Tỉnh đoàn")).text)
    assert "Ngày Môi trường thế giới" in unit and "Hội nghị chuyển đổi xanh" not in unit
    by_channel = (await http.get("/calendar?month=2026-06&channel=zl")).text
    assert "nhac" in by_channel and "moi-hop" not in by_channel


async def test_units_are_offered_in_vietnamese_order(http: httpx.AsyncClient) -> None:
    page = (await http.get("/calendar?month=2026-06")).text
    select = re.search(r'<select name="unit">(.*?)</select>', page, re.S)
    assert select is not None
    names = re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', select[1])
    assert names == ["Sở Nông nghiệp và Môi trường", "Sở Tài chính", "Tỉnh đoàn",
                     "Ủy ban MTTQ tỉnh", "Văn phòng UBND tỉnh"]  # fmt: skip


async def test_the_preview_is_the_html_telegram_gets_and_the_plain_text_zalo_gets(
    http: httpx.AsyncClient, store: Engine
) -> None:
    with store.connect() as conn:
        keys = dict(conn.execute(D.select().with_only_columns(D.c.channel, D.c.key)
                                 .where(D.c.item == "nhac")).all())  # fmt: skip
    telegram = (await http.get(f"/preview/{keys['tg']}")).text
    _, parts = html_parts(
        "**Ngày mai** là Ngày Môi trường thế giới <5/6> — [xem kế hoạch](https://example.org/kh)"
    )
    assert '<div class="bubble html">' + parts[0] + "</div>" in telegram
    assert "&lt;5/6&gt;" in parts[0]  # a text's own "<" is never markup
    zalo = (await http.get(f"/preview/{keys['zl']}")).text
    assert (
        "Ngày mai là Ngày Môi trường thế giới &lt;5/6&gt; — xem kế hoạch (https://example.org/kh)"
        in zalo
    )


async def test_the_delivery_log_filters_to_the_failures_with_their_reasons(
    http: httpx.AsyncClient, store: Engine
) -> None:
    with store.begin() as conn:
        conn.execute(update(D).where(D.c.item == "moi-hop").values(
            state=State.FAILED, last_error="Telegram: chat not found"))  # fmt: skip
        conn.execute(update(D).where(D.c.channel == "zl").values(
            state=State.SENT, possible_duplicate=True))  # fmt: skip
    failed = (await http.get("/deliveries?state=failed")).text
    assert "Telegram: chat not found" in failed and "moi-hop" in failed
    assert "nhac" not in failed
    everything = (await http.get("/deliveries")).text
    assert "có thể trùng" in everything
    by_unit = text_of((await http.get("/deliveries?unit=Sở Tài chính")).text)
    assert "moi-hop" in by_unit and "nhac" not in by_unit


async def test_the_log_is_paged(http: httpx.AsyncClient, store: Engine) -> None:
    with store.begin() as conn:
        row = dict(conn.execute(D.select().limit(1)).mappings().one())
        for n in range(60):
            conn.execute(D.insert().values({**row, "key": f"{row['key']}-{n:02d}"}))
    first = (await http.get("/deliveries")).text
    assert 'rel="next"' in first and "Trang 1" in first
    second = (await http.get("/deliveries?page=2")).text
    assert 'rel="prev"' in second and 'rel="next"' not in second


async def test_pausing_holds_the_messages_and_is_audited(
    http: httpx.AsyncClient, store: Engine
) -> None:
    page_of = "/campaigns/moi-truong-2026"
    assert (await http.post(f"{page_of}/pause")).status_code == 403  # no form token
    answer = await submit(http, page_of, f"{page_of}/pause")
    assert answer.status_code == 303
    page = (await http.get(answer.headers["location"])).text
    assert "tạm giữ" in page and "(đang tạm dừng)" in page
    with store.connect() as conn:
        states = {s for (s,) in conn.execute(D.select().with_only_columns(D.c.state)
                                             .where(D.c.campaign == "moi-truong-2026"))}  # fmt: skip
    assert states == {State.HELD}
    entry = audit.recent(store, 1)[0]
    assert (entry.channel, entry.command, entry.arguments, entry.result) == (
        "web", "pause", "moi-truong-2026", "ok")  # fmt: skip
    resumed = await submit(http, page_of, f"{page_of}/resume")
    assert resumed.status_code == 303


async def test_retry_and_cancel_go_through_the_outbox(
    http: httpx.AsyncClient, store: Engine
) -> None:
    with store.connect() as conn:
        key = conn.execute(D.select().with_only_columns(D.c.key)
                           .where(D.c.item == "moi-hop")).scalar_one()  # fmt: skip
    cancelled = await submit(http, f"/preview/{key}", "/deliveries/cancel", key=key)
    assert cancelled.status_code == 303
    with store.connect() as conn:
        assert (
            conn.execute(D.select().with_only_columns(D.c.state).where(D.c.key == key)).scalar()
            == State.CANCELLED
        )
    retried = await submit(http, f"/preview/{key}", "/deliveries/retry", key=key)
    with store.connect() as conn:
        assert (
            conn.execute(D.select().with_only_columns(D.c.state).where(D.c.key == key)).scalar()
            == State.PENDING
        )
    assert "gửi lại" in (await http.get(retried.headers["location"])).text


async def test_a_test_message_is_queued_like_loa_send(
    http: httpx.AsyncClient, store: Engine
) -> None:
    answer = await submit(http, "/status", "/send-test", channel="tg", target="nhom-vp", text="thử")
    assert answer.status_code == 303 and "/preview/manual:" in answer.headers["location"]
    refused = await submit(http, "/status", "/send-test", channel="tg", target="")
    assert "tg:nhom-vp" in notice((await http.get(refused.headers["location"])).text)


async def test_the_campaign_page_shows_its_units_period_plan_and_feed(
    http: httpx.AsyncClient,
) -> None:
    page = text_of((await http.get("/campaigns/moi-truong-2026")).text)
    assert (
        "Sở Nông nghiệp và Môi trường" in page and "Ủy ban MTTQ tỉnh; Văn phòng UBND tỉnh" in page
    )
    assert "Báo cáo kết quả Tháng hành động" in page and "nhac" in page
    assert "Thời gian T2 01/06/2026 – T6 10/07/2026" in page  # to the report's due day
    raw = (await http.get("/campaigns/moi-truong-2026")).text
    assert 'href="webcal://lich.example.vn/feeds/campaign/moi-truong-2026.ics"' in raw
    assert (await http.get("/campaigns/khong-co")).status_code == 404


async def test_the_public_page_subscribes_with_webcal_links_from_public_url(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scheduler.http import identity

    def signed_in_only(request: object) -> identity.Account:
        raise AssertionError("the public page asked who is signed in")

    monkeypatch.setattr(identity, "current_user", signed_in_only)
    async with browser(store, {}) as anyone:  # no session: the page is public
        page = (await anyone.get("/")).text
    assert 'href="webcal://lich.example.vn/feeds/all.ics"' in page
    assert 'href="https://lich.example.vn/feeds/campaign/chuyen-doi-xanh.ics"' in page
    titles = re.findall(r'<span class="feed-title">([^<]+)</span>', page)
    units = [t.removeprefix("Đơn vị: ") for t in titles if t.startswith("Đơn vị: ")]
    assert units.index("Ủy ban MTTQ tỉnh") < units.index("Văn phòng UBND tỉnh")


async def test_every_page_answers_and_its_assets_are_served_by_loa(http: httpx.AsyncClient) -> None:
    for path in ("/", "/calendar", "/campaigns", "/deliveries", "/status", "/status?lang=en"):
        page = await http.get(path)
        assert page.status_code == 200, path
        assert "http://" not in re.sub(
            r'href="http://loa[^"]*"', "", page.text.split("<main", 1)[0]
        )
        for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text):
            assert (await http.get(asset)).status_code == 200, asset


async def test_a_private_campaign_is_on_no_public_page_and_staff_see_it(store: Engine) -> None:
    private = {"campaign/chuyen-doi-xanh": "bi-mat"}
    staff = staff_cookies(store, "lan", "viewer")
    async with browser(store, staff, feed_tokens=private) as http:
        public = (await http.get("/")).text
        assert "Chuyển đổi xanh" not in public and "chuyen-doi-xanh" not in public
        assert "Sở Tài chính" not in public  # its only unit
        assert "Chuyển đổi xanh" in (await http.get("/campaigns")).text
        calendar = (await http.get("/calendar?month=2026-06")).text
        assert "Hội nghị chuyển đổi xanh" in calendar


def test_the_bot_names_a_campaigns_units_in_vietnamese_order(store: Engine) -> None:
    from scheduler.bot import queries

    _, partners = queries.units(store, "moi-truong-2026")
    # by code point "Văn phòng" came before "Ủy ban" (Ủ is U+1EE6)
    assert partners == ["Ủy ban MTTQ tỉnh", "Văn phòng UBND tỉnh"]


async def test_a_viewer_is_refused_the_actions_and_the_refusal_is_audited(store: Engine) -> None:
    async with browser(store, staff_cookies(store, "lan", "viewer")) as http:
        page = (await http.get("/campaigns/moi-truong-2026")).text
        assert "Tạm dừng chiến dịch" not in page  # no button a viewer cannot use
        # the form a viewer never sees, posted with the session's real token (from sign-out's)
        answer = await submit(http, "/signout", "/campaigns/moi-truong-2026/pause")
    assert answer.status_code == 403
    with store.connect() as conn:
        states = {s for (s,) in conn.execute(D.select().with_only_columns(D.c.state)
                                             .where(D.c.campaign == "moi-truong-2026"))}  # fmt: skip
    assert State.HELD not in states
    entry = audit.recent(store, 1)[0]
    assert (entry.user, entry.command, entry.result) == ("lan", "pause", "refused")


async def test_the_campaign_page_shows_the_problems_of_its_file(store: Engine) -> None:
    from campaigns.errors import Problem

    with store.begin() as conn:
        conn.execute(update(CampaignVersion.__table__).values(source="/srv/loa/campaigns/mt.toml"))  # type: ignore[attr-defined]
    found = [Problem("campaigns/mt.toml", 12, "message.nhac.at", "ngày 31/02 không có", "sửa ngày")]
    async with browser(store, staff_cookies(store), problems=lambda: found) as http:
        page = text_of((await http.get("/campaigns/moi-truong-2026")).text)
    assert "campaigns/mt.toml:12" in page and "ngày 31/02 không có — sửa ngày" in page


def test_a_feed_is_answered_from_memory_while_the_generation_stays(store: Engine) -> None:
    from sqlalchemy import event

    from scheduler.http.feeds import FeedSelector, FeedStore, Generation

    now = [0.0]
    generation = Generation(ttl=2.0, clock=lambda: now[0])
    feeds = FeedStore(store, generation=generation)
    reads: list[str] = []
    event.listen(store, "before_cursor_execute", lambda *args: reads.append(args[2]))
    selector = FeedSelector("campaign", "moi-truong-2026")
    first = feeds.lookup(selector)
    assert first is not None and reads
    reads.clear()
    for _ in range(100):
        assert feeds.lookup(selector) == first
        assert feeds.known(selector) == (True, first)
    assert reads == []  # no database read per request
    generation.bump()  # the daemon changed the store: the next request looks again
    assert feeds.known(selector) == (False, None)
    feeds.lookup(selector)
    assert reads
    reads.clear()
    now[0] = 2.5  # a change by another process shows within the ttl
    feeds.lookup(selector)
    assert reads


async def test_a_long_message_is_previewed_in_the_parts_each_platform_gets(
    http: httpx.AsyncClient, store: Engine
) -> None:
    from channels.split import plain_parts

    long = " ".join(f"Câu **{i}**: chung tay giảm thiểu rác thải nhựa." for i in range(200))
    with store.begin() as conn:
        conn.execute(update(D).where(D.c.item == "nhac").values(text=long,
                     image="https://example.org/anh.jpg"))  # fmt: skip
        keys = dict(conn.execute(D.select().with_only_columns(D.c.channel, D.c.key)
                                 .where(D.c.item == "nhac")).all())  # fmt: skip
    caption, parts = html_parts(long, image=True)
    telegram = (await http.get(f"/preview/{keys['tg']}")).text
    shown = re.findall(r'<div class="bubble html"[^>]*>(.*?)</div>', telegram, re.S)
    assert shown == [caption, *parts[1:]] and len(parts) > 2  # the photo's caption, then the rest
    assert '<img src="https://example.org/anh.jpg"' in telegram
    zalo = (await http.get(f"/preview/{keys['zl']}")).text
    expected = plain_parts(long, 2000)
    assert len(expected) > 2 and zalo.count('class="bubble plain sent"') == len(expected)
    assert f"Phần 3/{len(expected)}" in zalo


async def test_each_page_in_english_shows_none_of_the_pages_vietnamese_words(
    http: httpx.AsyncClient, store: Engine
) -> None:
    from campaigns.i18n import CATALOG

    with store.connect() as conn:
        key = conn.execute(D.select().with_only_columns(D.c.key).limit(1)).scalar_one()
    vietnamese = {
        vi for code, (vi, en) in CATALOG.items()
        if code.startswith("page_") and "{" not in vi and vi != en and len(vi) > 3
    }  # fmt: skip
    for path in ("/", "/calendar?month=2026-06", "/campaigns", "/campaigns/moi-truong-2026",
                 f"/preview/{key}", "/deliveries", "/status"):  # fmt: skip
        page = text_of((await http.get(path, params={"lang": "en"})).text)
        found = sorted(word for word in vietnamese if f" {word} " in f" {page} ")
        assert not found, (path, found)


async def test_the_actions_are_the_admins_alone_buttons_and_routes_alike(store: Engine) -> None:
    """One rule (docs/operations.md): an editor or an approver sees no action button, and is
    refused each action sent anyway, with the refusal in the audit log."""
    with store.connect() as conn:
        key = conn.execute(D.select().with_only_columns(D.c.key)
                           .where(D.c.item == "moi-hop")).scalar_one()  # fmt: skip
    for role in ("editor", "approver"):
        async with browser(store, staff_cookies(store, role, role)) as http:
            for page in ("/campaigns/moi-truong-2026", f"/preview/{key}", "/status"):
                assert 'method="post"' not in (await http.get(page)).text, (role, page)
            for action, fields in (
                ("/campaigns/moi-truong-2026/pause", {}), ("/deliveries/cancel", {"key": key}),
                ("/deliveries/retry", {"key": key}),
                ("/send-test", {"channel": "tg", "target": "nhom-vp"}),
            ):  # fmt: skip
                answer = await submit(http, "/signout", action, **fields)
                assert answer.status_code == 403, (role, action)
                assert "quản trị" in answer.text  # the role it needs
    with store.connect() as conn:
        states = set(conn.execute(D.select().with_only_columns(D.c.state)).scalars())
    assert states == {State.PENDING}  # nothing was done
    refused = [(e.user, e.command, e.result) for e in audit.recent(store, 8)]
    assert sorted(refused) == sorted(
        (role, command, audit.REFUSED)
        for role in ("editor", "approver") for command in ("pause", "cancel", "retry", "send")
    )  # fmt: skip


def test_the_roles_table_in_the_docs_gives_the_actions_to_the_role_the_pages_ask() -> None:
    from scheduler.http.pages import ACTION_ROLE

    for doc, words in (
        ("docs/en/operations.md", ("pause", "resume", "retry", "cancel", "test message", "trigger")),
        ("docs/operations.md", ("tạm dừng", "cho chạy lại", "gửi lại", "huỷ", "gửi thử", "kích hoạt")),
    ):  # fmt: skip
        text = (ROOT / doc).read_text("utf-8")
        rows = dict(re.findall(r"^\| `(viewer|editor|approver|admin)`[^|]*\| (.*) \|$", text, re.M))
        assert set(rows) == {"viewer", "editor", "approver", "admin"}, doc
        for role, says in rows.items():
            for word in words:
                assert (word in says) is (role == ACTION_ROLE), (doc, role, word)


async def test_the_status_page_shows_the_daemons_alive_and_the_open_incidents_with_their_fix(
    store: Engine,
) -> None:
    """The daemons from the registry with the leader, as ``loa status --format json`` shows
    them; each open incident with what happened and the command that fixes it, as
    ``loa status`` prints them; a resolved one is gone."""
    from scheduler.alerts import CHANNEL_AUTH, DELIVERY_FAILED, raise_incident, resolve_incident
    from scheduler.engine.cluster import Cluster
    from scheduler.store import daemons

    for host, pid in (("may-chu-1", 4101), ("may-chu-2", 4202)):
        daemons.announce(store, f"{host}:{pid}", host, pid, NOW, start=host == "may-chu-1")
    daemons.announce(store, "may-chet:99", "may-chet", 99, NOW)
    with store.begin() as conn:  # not seen for 5 minutes, by either backend's clock
        conn.execute(update(daemons.R).where(daemons.R.c.id == "may-chet:99")
                     .values(seen_at=NOW - dt.timedelta(minutes=5)))  # fmt: skip

    def running() -> dict[str, Any]:
        return Cluster(daemons.alive(store, NOW), "may-chu-1:4101").as_json()

    raise_incident(store, DELIVERY_FAILED, "tg:nhom-vp", "Telegram: chat not found", NOW, 3)
    raise_incident(store, CHANNEL_AUTH, "zl", "Zalo: -216 invalid token", NOW)
    resolve_incident(store, CHANNEL_AUTH, "zl", NOW)
    async with browser(store, staff_cookies(store), cluster=running) as http:
        page = text_of((await http.get("/status")).text)
        english = text_of((await http.get("/status?lang=en")).text)
    assert "may-chu-1:4101 may-chu-1 4101 dẫn đầu" in page
    assert "may-chu-2:4202 may-chu-2 4202 theo sau" in page and "may-chet" not in page
    assert "Gửi tin tới tg:nhom-vp bị lỗi hẳn (3 tin): Telegram: chat not found" in page
    assert "loa deliveries --state failed" in page and "loa retry --failed" in page
    assert "Zalo: -216" not in page  # resolved
    assert "Messages to tg:nhom-vp failed for good (3)" in english and "leader" in english
    async with browser(store, staff_cookies(store, "lan"), cluster=lambda: {}) as http:
        empty = text_of((await http.get("/status")).text)
    assert "Không có tiến trình 'loa run' nào đang chạy" in empty


def notice(page: str) -> str:
    found = re.search(r'<p class="notice" role="status">(.*?)</p>', page, re.S)
    return html.unescape(found[1]) if found else ""


async def test_a_crafted_notice_in_the_address_shows_nothing(store: Engine) -> None:
    """What an action said reaches the next page in its address; only loa's own, for this
    session and fresh, is shown: a link made by anyone else shows nothing."""
    lie = "Hệ thống bị lỗi: hãy gọi 0900 000 000 và đọc mật khẩu của bạn"
    with store.connect() as conn:
        key = conn.execute(D.select().with_only_columns(D.c.key).limit(1)).scalar_one()
    async with (
        browser(store, staff_cookies(store, "quan-tri", "admin")) as admin,
        browser(store, staff_cookies(store, "lan", "admin")) as other,
    ):
        for page in ("/campaigns/moi-truong-2026", f"/preview/{key}", "/deliveries", "/status"):
            shown = await admin.get(page, params={"done": lie})
            assert shown.status_code == 200 and lie not in html.unescape(shown.text), page
        paused = await submit(
            admin, "/campaigns/moi-truong-2026", "/campaigns/moi-truong-2026/pause"
        )
        back = paused.headers["location"]
        said = notice((await admin.get(back)).text)  # loa's own, to its session
        assert said == "Đã tạm dừng “moi-truong-2026”: 2 tin đang chờ được giữ lại."
        assert notice((await other.get(back)).text) == ""  # the same link, another session
        forged = back.replace("done=", "done=" + lie.replace(" ", "+") + "+")
        assert notice((await admin.get(forged)).text) == ""  # the sentence changed
    from scheduler.http import notices

    sealed = notices.sealed("khoa", "Đã tạm dừng", NOW)
    assert notices.opened("khoa", sealed, NOW + notices.FRESH) == "Đã tạm dừng"
    assert notices.opened("khoa", sealed, NOW + notices.FRESH + dt.timedelta(seconds=1)) == ""
    assert notices.opened(None, sealed, NOW) == notices.opened("khac", sealed, NOW) == ""


STORM = """
id = "phong-chong-bao"
title = "Phòng chống bão"

[[trigger]]
id = "canh-bao"
event = "canh-bao-bao"
fields = ["ten_bao", "cap_do"]
title = "Bão {{ event.data.ten_bao }}"

[[trigger.message]]
id = "ngay"
at = "event"
text = "Cảnh báo bão {{ event.data.ten_bao }} cấp {{ event.data.cap_do }}"
channels = ["tg:nhom-vp"]

[[trigger.message]]
id = "cap-nhat"
at = "event +2h"
text = "Cập nhật bão {{ event.data.ten_bao }}"
channels = ["tg:nhom-vp"]
"""


async def test_an_admin_triggers_an_event_from_the_page_of_a_campaign_with_triggers(
    store: Engine,
) -> None:
    """The form asks for the fields the event type declares, goes through the one intake
    (source ``web``, the signed-in name), is audited, and answers what was scheduled, or the
    refusal naming the field; a viewer has no form and is refused."""
    from scheduler.store.tables import EventRecord

    E = EventRecord.__table__  # type: ignore[attr-defined]
    storm = campaign(STORM, CAT)
    loaded = [storm, campaign(ENVIRONMENT, CAT), campaign(OTHER, CAT)]
    sync(store, loaded, CAT, NOW, dt.timedelta(days=400))
    page_of = "/campaigns/phong-chong-bao"
    async with browser(store, staff_cookies(store, "quan-tri", "admin"),
                       campaigns=lambda: loaded) as http:  # fmt: skip
        form = (await http.get(page_of)).text
        assert re.search(r'<label[^>]*>\s*ten_bao\s*<input[^>]*name="data.ten_bao"', form)
        assert 'name="data.cap_do"' in form and 'value="canh-bao-bao"' in form
        plain = (await http.get("/campaigns/moi-truong-2026")).text
        assert "data.ten_bao" not in plain  # a campaign without triggers has no such form
        fields = {"event": "canh-bao-bao", "data.ten_bao": "Yagi", "data.cap_do": ""}
        missing = await submit(http, page_of, f"{page_of}/trigger", **fields)
        said = notice((await http.get(missing.headers["location"])).text)
        assert said.startswith("Không nhận sự kiện") and "'cap_do'" in said, said
        with store.connect() as conn:
            assert conn.execute(E.select()).all() == []  # a refusal writes nothing
        fields["data.cap_do"] = "12"
        taken = await submit(http, page_of, f"{page_of}/trigger", **fields)
        said = notice((await http.get(taken.headers["location"])).text)
        assert "2 tin đang chờ gửi" in said and "tg:nhom-vp" in said, said
        stray = await submit(http, "/campaigns/moi-truong-2026", "/campaigns/moi-truong-2026/trigger",
                             **fields)  # fmt: skip
        assert stray.status_code == 404  # an event type this campaign does not answer
    with store.connect() as conn:
        event = conn.execute(E.select()).one()
        texts = set(conn.execute(D.select().with_only_columns(D.c.text)
                                 .where(D.c.campaign == "phong-chong-bao")).scalars())  # fmt: skip
    assert (event.type, event.source, event.sender) == ("canh-bao-bao", "web", "quan-tri")
    assert "Cảnh báo bão Yagi cấp 12" in texts
    entries = [(e.channel, e.user, e.command, e.result) for e in audit.recent(store, 2)]
    assert entries == [
        ("web", "quan-tri", "trigger", "ok"),
        ("web", "quan-tri", "trigger", "refused"),
    ]
    async with browser(store, staff_cookies(store, "lan", "viewer"),
                       campaigns=lambda: loaded) as viewer:  # fmt: skip
        assert "data.ten_bao" not in (await viewer.get(page_of)).text
        refused = await submit(viewer, "/signout", f"{page_of}/trigger", **fields)
        assert refused.status_code == 403
