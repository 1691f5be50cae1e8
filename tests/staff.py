"""A signed-in browser for tests of what staff see: made straight in the store, since the
sign-in form itself is tested in tests/scheduler/test_signin.py."""

from __future__ import annotations

import datetime as dt
import html
import re

from argon2 import PasswordHasher
from sqlalchemy import Engine

from scheduler import users
from scheduler.http import sessions
from scheduler.http.auth import SESSION_COOKIE


def staff_cookies(engine: Engine, name: str = "staff", role: str = "viewer") -> dict[str, str]:
    """The cookies of a live session of a new person ``name`` with ``role``."""
    now = dt.datetime.now(dt.UTC)
    real, users.hasher = users.hasher, PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    try:
        account = users.add(engine, name, role, "mat-khau-thu-nghiem", now)
    finally:
        users.hasher = real
    cookie, _ = sessions.start(engine, account, "127.0.0.1", now)
    return {SESSION_COOKIE: cookie}


def form_fields(page: str) -> dict[str, str]:
    """A page's form fields as a browser posts them untouched: inputs (ticked boxes only) and
    text areas, whose line ends a browser sends as CRLF."""
    inputs = r'<input (?![^>]*checkbox)[^>]*?name="([^"]+)" value="([^"]*)"'
    ticked = r'<input type="checkbox"[^>]*?name="([^"]+)" value="([^"]*)"[^>]*? checked'
    fields = {
        html.unescape(n): html.unescape(v)
        for n, v in re.findall(inputs, page) + re.findall(ticked, page)
    }
    areas = re.findall(r'<textarea [^>]*?name="([^"]+)"[^>]*>\n(.*?)</textarea>', page, re.S)
    for name, value in areas:
        fields[html.unescape(name)] = html.unescape(value).replace("\n", "\r\n")
    return fields
