"""A private campaign (its feed listed in ``[http] private_feeds``) is seen only through its own
feed with the token, and by staff who are signed in: one store with it planted, and every public
surface searched for its UIDs, title, units and tag (the public page, the feeds it lists, the
unit and tag feeds, the sign-in page, health and metrics, and the chat bot's answers to a chat
not allowed it; tests/bot/test_privacy.py goes through every bot command)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from scheduler.http.app import HttpState, create_app
from scheduler.http.feeds import FeedSelector, FeedStore, Privacy, slug
from scheduler.store.db import migrate, open_engine
from tests.bot.conftest import (
    GREEN_WEEK,
    SECRET,
    SECRET_CAMPAIGN,
    SECRET_TAG,
    SECRET_TITLE,
    SECRET_UNIT,
    Bot,
    fill,
    leaks,
    library,
    parse,
)
from tests.staff import staff_cookies

TOKEN = "k3-hoach-mat-0123456789abcdef"
PRIVATE = {f"campaign/{SECRET}": TOKEN}  # config.toml's [http] private_feeds, with its token
SECRET_UIDS = {f"{SECRET}:hop-kin-xyz:once@loa", f"{SECRET}:nop-ban-kin-xyz:once@loa"}
UID = re.compile(rb"^UID:(.+?)\r$", re.M)


@pytest.fixture
def planted(tmp_path: Path) -> Iterator[Engine]:
    """A store synced from the library, a public campaign and the private one."""
    engine = open_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    migrate(engine)
    fill(engine, [*library(), parse(GREEN_WEEK), parse(SECRET_CAMPAIGN)])
    yield engine
    engine.dispose()


@contextlib.asynccontextmanager
async def browser(
    engine: Engine, cookies: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(HttpState(db=engine, feed_tokens=PRIVATE)))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://loa", cookies=cookies
    ) as client:
        yield client


@pytest.fixture
async def http(planted: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """Anyone: no session."""
    async with browser(planted) as client:
        yield client


def uids(body: bytes) -> set[str]:
    return {m.decode() for m in UID.findall(body)}


async def test_no_public_surface_shows_the_private_campaign(
    http: httpx.AsyncClient, planted: Engine
) -> None:
    index = await http.get("/")
    assert index.status_code == 200 and not leaks(index.text), index.text
    listed = sorted(set(re.findall(r'href="(/feeds/[^"]+\.ics)"', index.text)))
    assert "/feeds/all.ics" in listed and "/feeds/unit/van-phong.ics" in listed
    assert f"/feeds/tag/{slug('môi trường')}.ics" in listed
    for path in listed:
        for encoding in ("identity", "gzip"):
            answer = await http.get(path, headers={"Accept-Encoding": encoding})
            assert answer.status_code == 200, path
            assert not leaks(answer.text), (path, leaks(answer.text))
            assert not uids(answer.content) & SECRET_UIDS, path
    # the unit and the tag it shares with public campaigns: their feeds, without it
    shared = await http.get("/feeds/unit/van-phong.ics")
    assert "tuan-le-xanh:ngay-hoi:once@loa" in uids(shared.content)
    # a unit or tag only it uses has no feed at all, whichever way its name is written
    for path in (f"unit/{slug(SECRET_UNIT)}", f"unit/{SECRET_UNIT}", f"tag/{slug(SECRET_TAG)}",
                 f"tag/{SECRET_TAG}"):  # fmt: skip
        assert (await http.get(f"/feeds/{path}.ics")).status_code == 404, path
    for path in ("/healthz", "/metrics", "/signin", "/calendar"):
        answer = await http.get(path, headers={"Accept": "text/html"})
        assert not leaks(answer.text + answer.headers.get("location", "")), (path, answer.text)
    # its page, asked by its id, answers as a page that does not exist: sign in first
    for accept in ("text/html", "*/*"):
        asked = await http.get(f"/campaigns/{SECRET}", headers={"Accept": accept})
        missing = await http.get("/campaigns/khong-co", headers={"Accept": accept})
        assert asked.status_code == missing.status_code and asked.text == missing.text
        said = asked.headers.get("location", "").replace(SECRET, "khong-co")
        assert said == missing.headers.get("location", "")
    # the chat bot, to a chat the bot's admins do not list, from the same store
    bot = Bot(planted, private_feeds=frozenset(PRIVATE))
    for command in ("/upcoming", "/upcoming 30d", "/week", "/campaigns", f"/campaign {SECRET}"):
        answer = bot.say(command)
        for typed in command.split()[1:]:  # what the chat wrote may be quoted back to it
            answer = answer.replace(typed, "«»")
        assert not leaks(answer), (command, answer)
    assert "Tuần lễ xanh" in bot.say("/campaigns")  # the public ones still answer


async def test_staff_who_are_signed_in_see_it(planted: Engine) -> None:
    async with browser(planted, staff_cookies(planted, "lan", "viewer")) as staff:
        assert SECRET_TITLE in (await staff.get("/campaigns")).text
        page = await staff.get(f"/campaigns/{SECRET}")
        assert page.status_code == 200 and SECRET_UNIT in page.text
        assert "Họp kín XYZ" in (await staff.get("/calendar?month=2025-06")).text
        assert not leaks((await staff.get("/")).text)  # the public page stays public


async def test_its_own_feed_needs_the_token(http: httpx.AsyncClient) -> None:
    url = f"/feeds/campaign/{SECRET}.ics"
    unknown = await http.get("/feeds/campaign/khong-co.ics")
    for query in ("", "?token=", f"?token={TOKEN[:-1]}", f"?token={TOKEN}x", "?token=forged"):
        answer = await http.get(url + query)
        assert answer.status_code == 404 and answer.content == unknown.content, query
        assert (await http.head(url + query)).status_code == 404
    good = await http.get(f"{url}?token={TOKEN}")
    assert good.status_code == 200 and uids(good.content) == SECRET_UIDS
    assert "Kế hoạch mật XYZ" in good.text


def test_the_private_campaigns_are_one_fact_however_config_writes_them() -> None:
    privacy = Privacy.of({"campaign/ke_hoach_mat", "tag/môi trường", "all"})
    assert privacy.is_private("ke_hoach_mat") and not privacy.is_private("tuan-le-xanh")
    assert privacy.hidden(["ke_hoach_mat", "tuan-le-xanh"]) == {"ke_hoach_mat"}
    assert Privacy.of({"all", "unit/van-phong"}).hidden(["ke_hoach_mat"]) == frozenset()


def test_the_cli_sees_every_campaign(tmp_path: Path) -> None:
    """A store made without privacy (``loa export-ics``, run by a local operator) holds it."""
    engine = open_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    migrate(engine)
    fill(engine, [parse(GREEN_WEEK), parse(SECRET_CAMPAIGN)])
    store = FeedStore(engine)
    selector = FeedSelector("all")
    body = store.render(selector, store.version(selector))
    assert uids(body) >= SECRET_UIDS
    assert slug(SECRET_UNIT) in store.names("unit")
    private = FeedStore(engine, privacy=Privacy.of({f"campaign/{SECRET}"}))
    assert not uids(private.render(selector, private.version(selector))) & SECRET_UIDS
    assert slug(SECRET_UNIT) not in private.names("unit")


def test_a_public_feed_does_not_change_when_a_private_campaign_does(tmp_path: Path) -> None:
    """Its ETag and Last-Modified would tell an observer that something hidden moved."""
    engine = open_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    migrate(engine)
    store = FeedStore(engine, privacy=Privacy.of({f"campaign/{SECRET}"}))
    fill(engine, [parse(GREEN_WEEK)])
    before = {path: store.version(selector(path)) for path in ("all", "unit/van-phong")}
    fill(engine, [parse(GREEN_WEEK), parse(SECRET_CAMPAIGN)])
    after = {path: store.version(selector(path)) for path in ("all", "unit/van-phong")}
    assert after == before


def selector(path: str) -> FeedSelector:
    kind, _, name = path.partition("/")
    return FeedSelector(kind, name)
