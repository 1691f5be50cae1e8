"""Sign-in to the pages, against the daemon's real app: no route without a session but the
public ones, CSRF on every form, the cookie's flags, idle expiry, sign-out, the throttle on
wrong passwords, roles, and the audit of what is done from the web."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import jinja2
import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, event, func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from scheduler import audit, users
from scheduler.http import auth
from scheduler.http.app import HttpState, create_app
from scheduler.store.db import migrate, open_engine
from scheduler.store.tables import WebSession

START = dt.datetime(2026, 6, 5, 1, 0, tzinfo=dt.UTC)
PASSWORD = "mat-khau-dung-1"
# what may be reached without a session, written out here so that a route made public by
# mistake (or a new route) fails this file until someone decides it on purpose
# (``/`` is the page of the public feeds: public on purpose, it lists only what they give)
PUBLIC_ROUTES = {
    "/", "/feeds/all.ics", "/feeds/{kind}/{name}.ics", "/healthz", "/metrics", "/hooks/{name}",
    "/signin",
}  # fmt: skip
PUBLIC_PREFIXES = ("/events/", "/static")
GUARDED = "/campaigns"  # a staff page, for the tests that need one


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2 with its real parameters takes half a second here; the tests need many."""
    monkeypatch.setattr(users, "hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    users._dummy_hash.cache_clear()
    yield
    users._dummy_hash.cache_clear()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    made = open_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    migrate(made)
    users.add(made, "an", "viewer", PASSWORD, START)
    users.add(made, "binh", "admin", PASSWORD, START)
    yield made
    made.dispose()


def make_app(engine: Engine, clock: Clock, **settings: object) -> Starlette:
    return create_app(HttpState(db=engine, auth=auth.AuthSettings(clock=clock, **settings)))  # type: ignore[arg-type]


def client(
    app: Starlette, base: str = "http://loa.test", peer: str = "10.1.2.3"
) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    return httpx.AsyncClient(transport=transport, base_url=base)


@pytest.fixture
async def app(engine: Engine, clock: Clock) -> Starlette:
    return make_app(engine, clock)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app) as made:
        yield made


def form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found[1]


async def sign_in(
    http: httpx.AsyncClient, name: str = "an", password: str = PASSWORD, next_: str = "/"
) -> httpx.Response:
    page = await http.get("/signin", params={"next": next_})
    assert page.status_code == 200, page.text
    data = {"csrf_token": form_token(page.text), "name": name, "password": password, "next": next_}
    return await http.post("/signin", data=data)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def sessions_of(engine: Engine, user: str) -> int:
    S = WebSession.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(S.c.user == user)).scalar_one())


async def test_every_route_without_a_session_is_refused_but_the_public_ones(
    app: Starlette, http: httpx.AsyncClient
) -> None:
    checked = 0
    for route in app.routes:
        if isinstance(route, Mount):
            assert route.path.startswith(PUBLIC_PREFIXES), route.path
            continue
        assert isinstance(route, Route), route
        if route.path in PUBLIC_ROUTES or route.path.startswith(PUBLIC_PREFIXES):
            continue
        path = concrete(route.path)
        for method in sorted(route.methods or {"GET"}):
            page = await http.request(method, path, headers={"Accept": "text/html,*/*"})
            assert page.status_code == 303, (method, path, page.status_code)
            location = page.headers["location"]
            assert urlsplit(location).path == "/signin", location
            if method in ("GET", "HEAD"):
                back = path if path not in ("/signin", "/signout") else "/"  # no loop
                assert parse_qs(urlsplit(location).query).get("next", ["/"]) == [back]
            script = await http.request(method, path, headers={"Accept": "application/json"})
            assert script.status_code == 401, (method, path, script.status_code)
            checked += 1
    assert checked >= 2  # the staff pages and sign-out at least
    # a path that matches no route says no more than one that does
    assert (await http.get("/khong-co", headers={"Accept": "text/html"})).status_code == 303
    assert (await http.get("/khong-co")).status_code == 401


async def test_the_public_routes_answer_without_a_session(http: httpx.AsyncClient) -> None:
    for path, status in (("/", {200}), ("/healthz", {200, 503}), ("/metrics", {200}), ("/signin", {200}),
                         ("/feeds/all.ics", {200}), ("/feeds/campaign/khong-co.ics", {404})):  # fmt: skip
        answer = await http.get(path, headers={"Accept": "text/html"})
        assert answer.status_code in status, (path, answer.status_code)
    # a webhook proves itself with its own secret, not a session or a form token
    assert (await http.post("/hooks/khong-co", content=b"{}")).status_code == 404


async def test_a_person_signs_in_and_comes_back_to_the_page_asked(
    http: httpx.AsyncClient, engine: Engine
) -> None:
    refused = await http.get(f"{GUARDED}?lang=vi", headers={"Accept": "text/html"})
    assert refused.headers["location"] == "/signin?next=%2Fcampaigns%3Flang%3Dvi"
    signed = await sign_in(http, "An", next_=f"{GUARDED}?lang=vi")  # names are not case-sensitive
    assert signed.status_code == 303 and signed.headers["location"] == f"{GUARDED}?lang=vi"
    page = await http.get(GUARDED)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    # signed in already: the sign-in page sends the person on
    again = await http.get("/signin", params={"next": "/x"})
    assert again.status_code == 303 and again.headers["location"] == "/x"
    entries = audit.recent(engine)
    assert [(e.channel, e.chat, e.user, e.command, e.result) for e in entries] == [
        ("web", "10.1.2.3", "an", "signin", audit.OK)
    ]


@pytest.mark.parametrize(
    "asked",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
     "evil.example", "/%0d%0aSet-Cookie:x", "/\r\nLocation: https://evil.example", "/signin",
     "", "/\tevil"],
)  # fmt: skip
async def test_signing_in_never_leads_to_another_site(http: httpx.AsyncClient, asked: str) -> None:
    signed = await sign_in(http, next_=asked)
    assert signed.status_code == 303
    location = signed.headers["location"]
    assert location == "/" or (location == asked and asked.startswith("/%0d")), location


@given(st.text(max_size=40))
def test_safe_next_is_always_a_path_on_this_site(value: str) -> None:
    target = auth.safe_next(value)
    parts = urlsplit(target)
    assert target.startswith("/") and not target.startswith(("//", "/\\"))
    assert not parts.scheme and not parts.netloc
    assert not any(ord(c) < 0x20 for c in target)


async def test_wrong_password_and_unknown_name_get_the_same_answer(http: httpx.AsyncClient) -> None:
    wrong = await sign_in(http, "an", "sai-mat-khau")
    unknown = await sign_in(http, "khong-ai", "sai-mat-khau")
    assert wrong.status_code == unknown.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    assert wrong.text.replace("khong-ai", "an") == unknown.text.replace("khong-ai", "an")
    assert "loa_session" not in wrong.headers.get("set-cookie", "")


async def test_a_form_without_its_token_is_refused(http: httpx.AsyncClient, engine: Engine) -> None:
    await sign_in(http)
    for data, headers in (({}, {}), ({"csrf_token": "sai"}, {}), ({}, {"X-CSRF-Token": "x" * 43})):
        refused = await http.post("/signout", data=data, headers=headers)
        assert refused.status_code == 403, data
        assert "tải lại trang" in refused.text
    assert sessions_of(engine, "an") == 1  # nothing was done
    assert (await http.get(GUARDED)).status_code == 200


async def test_the_sign_in_form_has_its_own_token(http: httpx.AsyncClient, engine: Engine) -> None:
    data = {"name": "an", "password": PASSWORD}
    assert (await http.post("/signin", data=data)).status_code == 403  # no pre-session at all
    page = await http.get("/signin")
    token = form_token(page.text)
    wrong = token[:-1] + ("1" if token.endswith("0") else "0")  # one in 16 tokens ends in 0
    assert (await http.post("/signin", data={**data, "csrf_token": wrong})).status_code == 403
    # another browser's pair: its token does not fit this browser's pre-session cookie
    async with client(http._transport.app) as other:  # type: ignore[attr-defined]
        foreign = form_token((await other.get("/signin")).text)
    assert (await http.post("/signin", data={**data, "csrf_token": foreign})).status_code == 403
    assert sessions_of(engine, "an") == 0
    assert (await http.post("/signin", data={**data, "csrf_token": token})).status_code == 303


async def test_cookies_are_http_only_same_site_and_secure_only_over_tls(
    engine: Engine, clock: Clock
) -> None:
    async def cookie(app: Starlette, base: str, peer: str = "10.1.2.3", **headers: str) -> str:
        async with client(app, base, peer) as http:
            http.headers.update(headers)
            page = await http.get("/signin")
            # sent back by hand: a Secure cookie set behind a TLS proxy is not returned over
            # this test's plain http, where a browser would have used https
            pre = page.headers["set-cookie"].split(";")[0]
            data = {"csrf_token": form_token(page.text), "name": "an", "password": PASSWORD}
            signed = await http.post("/signin", data=data, headers={"Cookie": pre})
            assert signed.status_code == 303, signed.text
            (made,) = [c for c in signed.headers.get_list("set-cookie") if "loa_session" in c]
            return made

    plain = make_app(engine, clock)
    behind = make_app(engine, clock, trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    for flags, secure in (
        (await cookie(plain, "http://loa.test"), False),
        (await cookie(plain, "https://loa.test"), True),
        # a trusted proxy says the browser used https
        (await cookie(behind, "http://loa.test", **{"X-Forwarded-Proto": "https"}), True),
        (await cookie(behind, "http://loa.test", **{"X-Forwarded-Proto": "http"}), False),
        # anyone else saying so is not believed
        (await cookie(behind, "http://loa.test", "192.0.2.9", **{"X-Forwarded-Proto": "https"}), False),
        (await cookie(plain, "http://loa.test", **{"X-Forwarded-Proto": "https"}), False),
    ):  # fmt: skip
        attributes = {a.strip().split("=")[0].lower() for a in flags.split(";")}
        assert flags.startswith("loa_session=")
        assert "httponly" in attributes and "samesite=lax" in flags.lower(), flags
        assert ("secure" in attributes) is secure, flags


async def test_a_session_ends_after_idling(engine: Engine, clock: Clock) -> None:
    app = make_app(engine, clock, idle=dt.timedelta(hours=8))
    async with client(app) as http:
        await sign_in(http)
        for _ in range(3):  # each visit restarts the idle time
            clock.now += dt.timedelta(hours=7, minutes=59)
            assert (await http.get(GUARDED)).status_code == 200
        clock.now += dt.timedelta(hours=8)
        assert (await http.get(GUARDED, headers={"Accept": "text/html"})).status_code == 303
    assert sessions_of(engine, "an") == 0  # gone from the database, not only refused


async def test_a_database_that_cannot_be_written_still_shows_the_pages(
    http: httpx.AsyncClient, engine: Engine, clock: Clock, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    await sign_in(http)
    read_only = create_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    event.listen(read_only, "connect", lambda conn, _: conn.execute("PRAGMA query_only = ON"))
    clock.now += dt.timedelta(minutes=5)  # past the time the session's idle clock is written
    async with client(make_app(read_only, clock)) as same_browser:
        same_browser.cookies = http.cookies
        assert (await same_browser.get(GUARDED)).status_code == 200
    read_only.dispose()


async def test_signing_out_ends_the_session_on_the_server(
    http: httpx.AsyncClient, app: Starlette, engine: Engine
) -> None:
    await sign_in(http)
    cookie = http.cookies["loa_session"]
    page = await http.get(GUARDED)
    assert page.status_code == 200
    asked = await http.get("/signout")  # the page a "sign out" link opens
    assert "Đăng xuất khỏi loa, an?" in asked.text
    token = form_token(asked.text)
    assert token == session_token(engine, "an")
    out = await http.post("/signout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    assert sessions_of(engine, "an") == 0
    # the old cookie, kept by someone, opens nothing on this daemon or another
    for other_app in (app, make_app(engine, Clock())):
        async with client(other_app) as thief:
            thief.cookies.set("loa_session", cookie)
            assert (await thief.get(GUARDED)).status_code == 401
    assert [e.command for e in audit.recent(engine)] == ["signout", "signin"]


def session_token(engine: Engine, user: str) -> str:
    S = WebSession.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return str(conn.execute(select(S.c.csrf).where(S.c.user == user)).scalar_one())


async def test_the_tenth_wrong_password_in_a_minute_waits(
    http: httpx.AsyncClient, clock: Clock
) -> None:
    for n in range(9):
        clock.now += dt.timedelta(seconds=2)
        assert (await sign_in(http, "an", f"sai-{n}")).status_code == 401
    tenth = await sign_in(http, "an", "sai-9")
    assert tenth.status_code == 429
    assert "quá nhiều lần" in tenth.text
    wait = int(tenth.headers["retry-after"])
    assert 0 < wait <= 60
    # even the right password waits: a guesser must not learn it was right
    assert (await sign_in(http, "an")).status_code == 429
    clock.now += dt.timedelta(seconds=wait)
    assert (await sign_in(http, "an")).status_code == 303


async def test_wrong_passwords_are_counted_per_address_across_names(
    http: httpx.AsyncClient, engine: Engine, clock: Clock
) -> None:
    for n in range(9):
        assert (await sign_in(http, f"ten-{n}", "sai")).status_code == 401
    assert (await sign_in(http, "binh")).status_code == 429
    # another address is not held up by this one
    async with client(http._transport.app, peer="10.9.9.9") as other:  # type: ignore[attr-defined]
        assert (await sign_in(other, "binh")).status_code == 303


async def test_the_throttle_holds_across_daemons_sharing_a_database(db: Engine) -> None:
    """Two apps on one database stand for two daemons behind one address."""
    clock = Clock()
    users.add(db, "an", "viewer", PASSWORD, START)
    first, second = make_app(db, clock), make_app(db, clock)
    async with client(first) as one, client(second) as two:
        for n in range(9):
            assert (await sign_in(one if n % 2 else two, "an", f"sai-{n}")).status_code == 401
        assert (await sign_in(one, "an", "sai")).status_code == 429
        assert (await sign_in(two, "an", "sai")).status_code == 429
        clock.now += dt.timedelta(minutes=1, seconds=1)
        assert (await sign_in(two, "an")).status_code == 303
        one.cookies = two.cookies
        assert (await one.get(GUARDED)).status_code == 200  # one session for both daemons


def _echo_app(engine: Engine, clock: Clock) -> Starlette:
    """The real app and a route as the pages will write one: admins only, a form, an audit."""
    app = make_app(engine, clock)
    env = jinja2.Environment(autoescape=True)
    auth.install(env)
    form = env.from_string('<form method="post">{{ csrf_field() }}<input name="what"></form>')

    async def show(request: Request) -> Response:
        return HTMLResponse(form.render(request=request))

    @auth.requires("admin")
    async def act(request: Request) -> Response:
        what = (await auth.form(request))["what"]
        await auth.record(request, engine, "pause", what, audit.OK)
        return PlainTextResponse(f"đã làm: {what}")

    app.router.routes += [Route("/thu", show), Route("/thu", act, methods=["POST"])]
    return app


async def test_an_action_needs_its_role_and_its_form_token(engine: Engine, clock: Clock) -> None:
    app = _echo_app(engine, clock)
    async with client(app) as admin, client(app, peer="10.7.7.7") as viewer:
        await sign_in(admin, "binh")
        await sign_in(viewer, "an")
        token = form_token((await admin.get("/thu")).text)
        done = await admin.post("/thu", data={"csrf_token": token, "what": "ngay-hoi"})
        assert done.status_code == 200 and done.text == "đã làm: ngay-hoi"
        assert (await admin.post("/thu", data={"what": "ngay-hoi"})).status_code == 403
        viewer_token = form_token((await viewer.get("/thu")).text)
        refused = await viewer.post("/thu", data={"csrf_token": viewer_token, "what": "x"})
        assert refused.status_code == 403
        assert "quản trị" in refused.text and "an" in refused.text
        # a token is bound to its session: the admin's does not work for the viewer
        assert (
            await viewer.post("/thu", data={"csrf_token": token, "what": "x"})
        ).status_code == 403
    entry = audit.recent(engine)[0]
    assert (entry.channel, entry.chat, entry.user, entry.command, entry.arguments, entry.result) == (
        "web", "10.1.2.3", "binh", "pause", "ngay-hoi", audit.OK,
    )  # fmt: skip


async def test_removing_a_person_ends_their_sessions(
    http: httpx.AsyncClient, engine: Engine
) -> None:
    await sign_in(http)
    users.remove(engine, "an")
    assert (await http.get(GUARDED)).status_code == 401


async def test_the_sign_in_page_is_vietnamese_first_and_english_on_request(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/signin")
    assert '<html lang="vi">' in page.text and "Mật khẩu" in page.text
    english = await http.get("/signin?lang=en")
    assert '<html lang="en">' in english.text and "Password" in english.text
    # the choice is remembered, and its answers follow it
    assert "Password" in (await http.get("/signin")).text
    wrong = await sign_in(http, "an", "wrong-password")
    assert "Wrong user name or password" in wrong.text


def test_config_names_the_trusted_proxies_and_the_idle_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.scheduler.test_bot_config import problems

    base = '[channels.console]\ntype = "console"\n[http]\n'
    found = problems(tmp_path, base + 'trusted_proxies = ["127.0.0.1", "nginx"]\n')
    assert len(found) == 1 and "http.trusted_proxies[2]: 'nginx' không phải địa chỉ IP" in found[0]
    assert "10.0.0.0/8" in found[0]  # the hint shows how to write one
    assert problems(tmp_path, base + "session_idle_minutes = 0\n") != []
    settings = auth.AuthSettings.of(30, ["127.0.0.1", "10.0.0.0/8"])
    assert settings.idle == dt.timedelta(minutes=30)
    assert ipaddress.ip_address("10.2.3.4") in settings.trusted_proxies[1]
