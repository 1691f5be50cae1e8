"""The staff pages in the system's Chromium, driven by Playwright, against the real ``loa run``
publishing to the local fake Telegram server: signing in through the sign-in form, June's
calendar, a message preview that is the text Telegram then receives, the delivery log filtered
to the failures, a campaign paused by an admin and the same action refused to a viewer.

People sign in as a browser does, by the form at /signin (``signed``: once per role for the
module, whose cookies each test's fresh browser context then starts with). The module's tests
share one daemon and one browser, so they run on one worker (their own xdist group).

Each main page (the sign-in page too) is photographed on a desktop and a phone screen into ``test-artifacts/`` (kept
out of git) and checked by axe-core, which must find no serious or critical violation. The
browser is Debian's Chromium (``tests/services/setup.sh``): Playwright cannot download its own
here. Without it the tests are skipped with the reason, except under ``CI=true``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.harness import ROOT, STAFF_PASSWORD, Office, iso, wait_for
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pages_browser")]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = ROOT / "test-artifacts" / "pages"
SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
NOTICE = "**Ngày mai** là Ngày Môi trường thế giới — chung tay <giảm rác nhựa> & sống xanh 🌱"
PAUSED = "tam-dung"
PEOPLE = {"admin": "quan-tri", "viewer": "nhan-vien"}  # role → who signs in with it
STORM = """
id = "phong-chong-bao"
title = "Phòng chống bão"

[[trigger]]
id = "canh-bao"
event = "canh-bao-bao"
fields = ["ten_bao"]
title = "Bão {{ event.data.ten_bao }}"

[[trigger.message]]
id = "cap-nhat"
at = "event +2h"
text = "Cập nhật bão {{ event.data.ten_bao }}"
channels = ["tg:nhom"]
"""


def _june() -> int:
    """The year of the next June within loa's horizon (400 days)."""
    today = dt.date.today()
    return today.year if today.month <= 6 else today.year + 1


def environment(at: dt.datetime) -> str:
    year = _june()
    return f"""
id = "moi-truong"
title = "Hưởng ứng Ngày Môi trường thế giới {year}"

[[activity]]
id = "thang-hanh-dong"
title = "Tháng hành động vì môi trường"
start = {year}-06-01
end = {year}-06-30
lead = "Sở Nông nghiệp và Môi trường"
partners = ["Ủy ban MTTQ tỉnh", "Tỉnh đoàn"]

[[activity]]
id = "ngay-moi-truong"
title = "Ngày Môi trường thế giới"
start = {year}-06-05T07:30:00
end = {year}-06-05T09:00:00
location = "Quảng trường tỉnh"
lead = "Văn phòng UBND tỉnh"

[[message]]
id = "nhac"
at = {iso(at)}
text = "{NOTICE}"
channels = ["tg:nhom"]

[[message]]
id = "bi-chan"
at = {iso(at)}
text = "Tin gửi người đã chặn bot"
channels = ["tg:bi-chan"]
"""


def paused_campaign(at: dt.datetime) -> str:
    return f"""
id = "{PAUSED}"
title = "Chiến dịch sẽ tạm dừng"

[[message]]
id = "sau-mot-gio"
at = {iso(at)}
text = "Tin này phải được giữ lại"
channels = ["tg:nhom"]

[[message]]
id = "sau-hai-gio"
at = {iso(at + dt.timedelta(hours=1))}
text = "Tin này cũng phải được giữ lại"
channels = ["tg:nhom"]
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (pip install -e '.[dev]')"
    if not reason and not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM}: run `bash tests/services/setup.sh` as root"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: the browser tests must run)", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        # launch() starts the browser on a fresh profile in a temporary folder of its own
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@dataclass
class Running:
    office: Office
    fake: FakeTelegram
    url: str
    nhom: int


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    office = Office(tmp_path_factory.mktemp("pages") / "office")
    with pytest.MonkeyPatch.context() as env, FakeTelegram() as fake:
        env.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
        nhom, blocked = fake.add_group(), fake.add_private_chat()
        fake.block(blocked)
        office.extra_config = (
            f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\n'
            f'token_env = "LOA_TG_TOKEN"\n[channels.tg.targets]\nnhom = "{nhom}"\n'
            f'bi-chan = "{blocked}"\n'
        )
        office.write_config()
        for role, name in PEOPLE.items():
            office.add_user(name, role)
        office.campaign("phong-chong-bao", STORM)  # no dated item: it waits for an event
        process, _ = office.start_then_move({"moi-truong": environment}, 8)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        office.campaign(PAUSED, paused_campaign(later))
        waiting = "select count(*) from delivery where campaign = ? and state = 'pending'"
        wait_for(lambda: office.query(waiting, PAUSED)[0][0] == 2, 20, "the second campaign")
        try:
            yield Running(office, fake, office.http_url(), nhom)
        finally:
            office.stop(process)
            office.close()


def _sign_in(page: Any, name: str, password: str = STAFF_PASSWORD) -> None:
    """Fill in the sign-in form the gate sent the browser to, and send it."""
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


@pytest.fixture(scope="module")
def signed(browser: Any, running: Running) -> dict[str, Any]:
    """Each role's browser state (its session cookie) after signing in through the form."""
    states = {}
    for role, name in PEOPLE.items():
        context = browser.new_context(locale="vi-VN")
        page = context.new_page()
        page.goto(f"{running.url}/signin?next=/status")
        _sign_in(page, name)
        page.wait_for_url(f"{running.url}/status")
        states[role] = context.storage_state()
        context.close()
    return states


def _page(
    browser: Any, signed: dict[str, Any], screen: str = "desktop", role: str = "admin"
) -> Any:
    """A fresh browser tab of someone signed in with ``role``."""
    context = browser.new_context(
        viewport=SCREENS[screen], locale="vi-VN", storage_state=signed[role]
    )
    return context.new_page()


def _check(page: Any, name: str, screen: str) -> None:
    """A photograph of the page for people to look at, and axe-core's verdict on it."""
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{screen}.png"), full_page=True)
    found = Axe().run(page).response["violations"]
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name} on a {screen}: " + "\n".join(bad)


def _key(running: Running, item: str) -> str:
    found = running.office.query("select key from delivery where item = ?", item)
    assert found, f"no delivery of {item}"
    return str(found[0][0])


def test_a_person_signs_in_through_the_form_and_lands_on_the_page_asked(
    browser: Any, running: Running
) -> None:
    for screen in SCREENS:
        context = browser.new_context(viewport=SCREENS[screen], locale="vi-VN")
        page = context.new_page()
        page.goto(f"{running.url}/calendar")  # no session: the gate sends the browser to sign in
        page.wait_for_url(re.compile(r"/signin\?next=%2Fcalendar$"))
        _check(page, "signin", screen)
        if screen == "desktop":
            _sign_in(page, PEOPLE["viewer"], "sai-mat-khau")
            assert "Sai tên đăng nhập hoặc mật khẩu" in page.get_by_role("alert").inner_text()
            _check(page, "signin-wrong", screen)
        _sign_in(page, PEOPLE["viewer"])
        page.wait_for_url(f"{running.url}/calendar")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Lịch tháng")
        context.close()


def test_the_preview_is_the_text_the_fake_telegram_then_receives(
    browser: Any, running: Running, signed: dict[str, Any]
) -> None:
    page = _page(browser, signed)
    page.goto(f"{running.url}/campaigns/moi-truong")
    page.get_by_role("link", name="nhac").click()
    page.wait_for_url(re.compile(r"/preview/"))
    shown = page.locator("pre.sent").first.text_content()
    assert "<b>Ngày mai</b>" in shown and "&lt;giảm rác nhựa&gt; &amp; sống xanh 🌱" in shown
    for screen in SCREENS:
        page.set_viewport_size(SCREENS[screen])
        _check(page, "preview", screen)
    received = wait_for(lambda: running.fake.messages_to(running.nhom), 40, "the notice")
    assert received[0].text == shown
    page.context.close()


@pytest.mark.parametrize("screen", SCREENS)
def test_june_shows_environment_day_on_the_5th_and_the_month_of_action_as_a_period(
    browser: Any, running: Running, signed: dict[str, Any], screen: str
) -> None:
    year = _june()
    page = _page(browser, signed, screen)
    page.goto(f"{running.url}/calendar?month={year}-06")
    if screen == "desktop":
        fifth = page.locator(f'[data-date="{year}-06-05"]')
        assert "Ngày Môi trường thế giới" in fifth.inner_text()
        period = page.locator(".month .period", has_text="Tháng hành động vì môi trường")
        assert period.count() >= 4 and period.first.is_visible()  # a bar across each week
    else:  # a phone shows the days one under another
        assert not page.locator(".month").is_visible()
        assert "Ngày Môi trường thế giới" in page.locator(f"#d-{year}-06-05 + ul").inner_text()
        period = page.locator(f"#d-{year}-06-01 + ul .period")  # once, with its last day
        assert "Tháng hành động vì môi trường" in period.inner_text()
        assert "đến 30/6" in period.inner_text()
    _check(page, "calendar", screen)
    page.context.close()


def test_the_delivery_log_filtered_to_the_failures(
    browser: Any, running: Running, signed: dict[str, Any]
) -> None:
    wait_for(lambda: running.office.states().get("failed"), 40, "the blocked chat's failure")
    page = _page(browser, signed)
    page.goto(f"{running.url}/deliveries")
    page.get_by_label("Trạng thái").select_option("failed")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url(re.compile(r"state=failed"))
    rows = page.locator("table.log tbody tr")
    assert rows.count() == 1
    assert "bi-chan" in rows.first.inner_text() and "lỗi" in rows.first.inner_text()
    assert rows.first.locator(".reason").inner_text().strip()  # why it failed
    for screen in SCREENS:
        page.set_viewport_size(SCREENS[screen])
        _check(page, "deliveries", screen)
    page.context.close()


def test_pausing_a_campaign_holds_its_messages(
    browser: Any, running: Running, signed: dict[str, Any]
) -> None:
    page = _page(browser, signed)
    page.goto(f"{running.url}/campaigns/{PAUSED}")
    page.keyboard.press("Tab")  # the skip link first: the page works from the keyboard
    assert page.evaluate("document.activeElement.className") == "skip"
    button = page.get_by_role("button", name="Tạm dừng chiến dịch")
    for _ in range(40):  # Tab through the page to the button, then Enter: no mouse needed
        if button.evaluate("b => b === document.activeElement"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("the pause button cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"done="))
    assert "2 tin đang chờ được giữ lại" in page.locator(".notice").inner_text()
    plan = page.locator("section[aria-labelledby=plan] tbody")
    assert plan.locator(".badge.held").count() == 2
    held = "select count(*) from delivery where campaign = ? and state = 'held'"
    assert running.office.query(held, PAUSED)[0][0] == 2
    for screen in SCREENS:
        page.set_viewport_size(SCREENS[screen])
        _check(page, "campaign", screen)
    page.context.close()


def test_an_admin_triggers_an_event_from_the_campaign_page(
    browser: Any, running: Running, signed: dict[str, Any]
) -> None:
    page = _page(browser, signed)
    page.goto(f"{running.url}/campaigns/phong-chong-bao")
    page.get_by_label("ten_bao").fill("Yagi")
    for screen in SCREENS:
        page.set_viewport_size(SCREENS[screen])
        _check(page, "campaign-trigger", screen)
    page.get_by_role("button", name="Kích hoạt").click()
    page.wait_for_url(re.compile(r"done="))
    said = page.locator(".notice").inner_text()
    assert "1 tin đang chờ gửi" in said and "tg:nhom lúc" in said, said
    event = "select type, source, sender from event"
    assert running.office.query(event) == [("canh-bao-bao", "web", PEOPLE["admin"])]
    plan = page.locator("section[aria-labelledby=plan] tbody")
    assert plan.get_by_role("link", name="canh-bao.cap-nhat").count() == 1  # in its plan now
    page.context.close()


def test_a_viewer_is_refused_the_pause(
    browser: Any, running: Running, signed: dict[str, Any]
) -> None:
    page = _page(browser, signed, role="viewer")
    page.goto(f"{running.url}/campaigns/moi-truong")
    assert page.get_by_role("button", name="Tạm dừng chiến dịch").count() == 0  # none shown
    # the form a viewer is not shown, sent anyway from this browser with its session's token
    page.get_by_role("link", name=f"{PEOPLE['viewer']} · Đăng xuất").click()  # who is signed in
    page.wait_for_url(f"{running.url}/signout")
    token = page.locator("input[name=csrf_token]").get_attribute("value")
    answer = page.request.post(
        f"{running.url}/campaigns/moi-truong/pause", form={"csrf_token": token}
    )
    assert answer.status == 403 and "Bạn không có quyền làm việc này" in answer.text()
    held = "select count(*) from delivery where campaign = 'moi-truong' and state = 'held'"
    assert running.office.query(held)[0][0] == 0
    refusal = "select user, result from audit where command = 'pause' and arguments = ?"
    assert running.office.query(refusal, "moi-truong") == [(PEOPLE["viewer"], "refused")]
    page.context.close()


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("path", ["/", "/status", "/campaigns", "/calendar?lang=en"])
def test_every_main_page_is_accessible(
    browser: Any, running: Running, signed: dict[str, Any], screen: str, path: str
) -> None:
    page = _page(browser, signed, screen)
    answer = page.goto(running.url + path)
    assert answer is not None and answer.status == 200
    if path == "/status":  # the daemon serving the page, from the registry of daemons
        assert "dẫn đầu" in page.locator("section[aria-labelledby=daemons]").inner_text()
    name = quote(path.strip("/").split("?")[0] or "feeds", safe="") + (
        "-en" if "en" in path else ""
    )
    _check(page, name, screen)
    page.context.close()
