"""The campaign editor against the real ``loa run``: a saved edit is what the daemon sends
next (its reload applies the file, nothing else), and, in the system's Chromium, an editor
signed in through /signin creates a campaign whose message the fake Telegram server then
receives on time with exactly the typed text, while a viewer is refused the editor.

The form is photographed on a desktop and a phone screen into ``test-artifacts/pages/`` and
checked by axe-core (no serious or critical violation).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest

from channels.telegram import html_parts
from tests.e2e.harness import TIMED, Office, iso, wait_for
from tests.e2e.test_pages_browser import SCREENS, _check, _sign_in, browser  # noqa: F401
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram
from tests.staff import form_fields

pytestmark = pytest.mark.slow

EDITED = "sua-tin"


def edited_campaign(at: dt.datetime) -> str:
    return f"""# Tệp sửa tay: ghi chú này phải còn sau khi sửa trên trang.
id = "{EDITED}"
title = "Chiến dịch được sửa trên trang"

[[message]]
id = "thong-bao"
at = {iso(at)}
text = "Bản cũ, không được gửi"
channels = ["nhat-ky"]

[[message]]
id = "tuan-sau"
at = {iso(at + dt.timedelta(days=7))}
text = "Tin tuần sau"
channels = ["nhat-ky"]
"""


def test_a_saved_edit_is_what_the_daemon_sends_next_and_a_removal_cancels_what_waits(
    tmp_path: Any,
) -> None:
    office = Office(tmp_path / "office")
    office.add_user("soan-tin", "editor")
    parked = office.park({EDITED: edited_campaign})
    process = office.start()
    try:
        office.started(process)
        base = office.http_url()
        with office.signed_in(base, "soan-tin") as browser:
            page = browser.get(f"/campaigns/{EDITED}/edit")
            assert page.status_code == 200, page.text
            fields = form_fields(page.text)
            assert fields["message.0.at"] == iso(parked)
            at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=6)
            fields["message.0.at"], fields["message.0.text"] = iso(at), "Bản mới, gửi đúng giờ"
            saved = browser.post(f"/campaigns/{EDITED}/edit", data=fields)
            assert saved.status_code == 303, saved.text
        file = office.root / "campaigns" / f"{EDITED}.toml"
        assert file.read_text("utf-8").startswith("# Tệp sửa tay: ghi chú này")
        sent = wait_for(office.sent, 30, "the edited message")
        assert [s["text"] for s in sent] == ["Bản mới, gửi đúng giờ"]
        edits = "select user, arguments from audit where command = 'campaign_edit'"
        assert office.query(edits) == [("soan-tin", EDITED)]
        with office.signed_in(base, "soan-tin") as browser:
            asked = browser.get(f"/campaigns/{EDITED}/remove")
            removed = browser.post(f"/campaigns/{EDITED}/remove", data=form_fields(asked.text))
            assert removed.status_code == 303, removed.text
        later = "select state, cancel_reason from delivery where item = 'tuan-sau'"
        wait_for(lambda: office.query(later) == [("cancelled", "removed")], 30, "the removal")
        assert [s["text"] for s in office.sent()] == ["Bản mới, gửi đúng giờ"]
    finally:
        office.stop(process)
        office.close()


def base_campaign(at: dt.datetime) -> str:
    return f"""
id = "nen"
title = "Chiến dịch có sẵn"

[[activity]]
id = "hop"
title = "Họp giao ban"
start = {at.date().isoformat()}
"""


@pytest.fixture(scope="module")
def running(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Office, FakeTelegram, str, int]]:
    office = Office(tmp_path_factory.mktemp("editor") / "office")
    with pytest.MonkeyPatch.context() as env, FakeTelegram() as fake:
        env.setenv("LOA_TG_TOKEN", DEFAULT_TOKEN)
        nhom = fake.add_group()
        office.extra_config = (
            f'[channels.tg]\ntype = "telegram"\nbase_url = "{fake.url}"\n'
            f'token_env = "LOA_TG_TOKEN"\n[channels.tg.targets]\nnhom = "{nhom}"\n'
        )
        office.write_config()
        office.add_user("bien-tap", "editor")
        office.add_user("chi-xem", "viewer")
        office.park({"nen": base_campaign})
        process = office.start()
        try:
            office.started(process)
            yield office, fake, office.http_url(), nhom
        finally:
            office.stop(process)
            office.close()


def signed_in_editor(chromium: Any, base: str, name: str, screen: str = "desktop") -> Any:
    """A page on the new campaign's form, signed in through the sign-in form as a person
    does."""
    page = chromium.new_context(viewport=SCREENS[screen], locale="vi-VN").new_page()
    page.goto(f"{base}/campaigns/new")
    page.wait_for_url(re.compile(r"/signin"))
    _sign_in(page, name)
    page.wait_for_url(re.compile(r"/campaigns/new"))
    return page


def fill_new_campaign(page: Any, campaign: str, title: str, message: str, text: str) -> Any:
    """Type a new campaign with one message to ``tg:nhom`` into the form, as a person does;
    the message's fieldset, whose time is left to the caller."""
    head = page.locator("fieldset.head")
    head.get_by_label("Mã (chữ thường, số, dấu gạch ngang)").fill(campaign)
    head.locator("[id=f-title]").fill(title)
    item = page.locator("fieldset", has_text="Thêm một tin")
    item.get_by_label("Mã (chữ thường, số, dấu gạch ngang)").fill(message)
    item.get_by_label("Nội dung tin").fill(text)
    item.get_by_label("Kênh gửi").fill("tg:nhom")
    return item


def save_new_campaign(page: Any, campaign: str) -> None:
    page.get_by_role("button", name="Lưu chiến dịch").click()
    page.wait_for_url(re.compile(rf"/campaigns/{campaign}/edit\?done="))
    assert "Đã lưu" in page.locator(".notice").inner_text()


NOTICE = "Họp khẩn lúc 14:00 — phòng họp số 2 <tầng 3> & mang theo tài liệu 📄"


@TIMED  # asserts the message arrives on time
def test_an_editor_creates_a_campaign_that_telegram_receives_on_time(
    browser: Any,  # noqa: F811
    running: tuple[Office, FakeTelegram, str, int],
) -> None:
    _, fake, base, nhom = running
    page = signed_in_editor(browser, base, "bien-tap")
    message = fill_new_campaign(page, "hop-khan", "Họp khẩn", "bao-hop", NOTICE)
    message.get_by_label("Thời điểm gửi").fill("không phải thời gian")
    error = page.locator('[id="e-message.new.at"]')
    error.wait_for(state="visible")
    assert "không phải thời gian" in error.inner_text()  # the loader's own message, as typed
    due = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=30)
    message.get_by_label("Thời điểm gửi").fill(due.isoformat())
    upcoming = page.locator("#upcoming")
    upcoming.get_by_text("Họp khẩn lúc 14:00").wait_for()
    assert not error.is_visible()
    local = due.astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert local.strftime("%d/%m/%Y") in upcoming.inner_text()
    for screen in SCREENS:
        page.set_viewport_size(SCREENS[screen])
        _check(page, "editor", screen)
    save_new_campaign(page, "hop-khan")
    received = wait_for(lambda: fake.messages_to(nhom), 50, "the new campaign's message")
    assert [m.text for m in received] == html_parts(NOTICE)[1]  # the text, as Telegram HTML
    late = (received[0].received_at - due).total_seconds()
    assert -0.5 <= late < 5, f"sent {late:.1f}s after its time"
    page.context.close()


def test_a_viewer_is_refused_the_editor(
    browser: Any,  # noqa: F811
    running: tuple[Office, FakeTelegram, str, int],
) -> None:
    office, _, base, _ = running
    page = browser.new_context(viewport=SCREENS["desktop"], locale="vi-VN").new_page()
    page.goto(f"{base}/signin")
    _sign_in(page, "chi-xem")
    page.wait_for_url(re.compile(r"/$"))
    answer = page.goto(f"{base}/campaigns/new")
    assert answer is not None and answer.status == 403
    answer = page.goto(f"{base}/campaigns/nen/edit")
    assert answer is not None and answer.status == 403
    assert not list((office.root / "campaigns").glob("*.toml.removed-*"))
    page.context.close()
