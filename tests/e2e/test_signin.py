"""Signing in to the real ``loa run`` over HTTP: the first admin made with ``loa user add``
from a pipe, the way back to the page asked for, the cookie, sign-out."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.e2e.harness import STAFF_PASSWORD, Office, environment_day, form_token


def test_the_first_admin_signs_in_and_out_over_http(office: Office) -> None:
    added = office.loa("user", "add", "Lan", "--role", "admin", input=STAFF_PASSWORD + "\n")
    assert added.returncode == 0 and "Đã thêm lan với vai trò quản trị." in added.stdout
    office.campaign("ngay-hoi", environment_day(dt.datetime.now(dt.UTC).date()))
    process = office.start()
    office.started(process)
    base = office.http_url()
    with httpx.Client(base_url=base, timeout=30) as browser:
        refused = browser.get("/calendar?lang=vi", headers={"Accept": "text/html"})
        assert refused.status_code == 303
        assert refused.headers["location"] == "/signin?next=%2Fcalendar%3Flang%3Dvi"
        assert httpx.get(f"{base}/calendar").status_code == 401  # a script is told, not redirected
        page = browser.get(refused.headers["location"])
        assert page.status_code == 200 and "Đăng nhập" in page.text
        data = {"csrf_token": form_token(page.text), "name": "lan", "next": "/calendar?lang=vi"}
        wrong = browser.post("/signin", data={**data, "password": "sai-mat-khau"})
        assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
        signed = browser.post("/signin", data={**data, "password": STAFF_PASSWORD})
        assert signed.status_code == 303 and signed.headers["location"] == "/calendar?lang=vi"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        assert browser.get("/calendar").status_code == 200
        # healthz and the feeds need no session
        assert httpx.get(f"{base}/healthz").status_code == 200
        assert httpx.get(f"{base}/feeds/all.ics").status_code == 200
        kept = browser.cookies["loa_session"]
        out = browser.post(
            "/signout", data={"csrf_token": form_token(browser.get("/signout").text)}
        )
        assert out.status_code == 303 and out.headers["location"] == "/signin"
    with httpx.Client(base_url=base, cookies={"loa_session": kept}) as thief:
        assert thief.get("/calendar").status_code == 401
    logged = office.loa("audit", "--format", "json")
    assert '"command": "signout"' in logged.stdout and '"channel": "web"' in logged.stdout
    office.stop(process)
