"""``loa user`` as the person installing loa runs it: the first admin from a pipe or a
terminal, the list, a new password, removal, and clear refusals of a bad role, a name taken,
an empty or short password."""

from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.test_cli import LOA, loa

CONFIG = """timezone = "Asia/Ho_Chi_Minh"
[database]
url = "sqlite:///data/loa.db"
[campaigns]
paths = ["campaigns"]
library = false
[http]
enabled = false
[channels.console]
type = "console"
"""
PASSWORD = "mat-khau-dai-du"


@pytest.fixture
def office(tmp_path: Path) -> Path:
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "config.toml").write_text(CONFIG, "utf-8")
    return tmp_path


def stored(office: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(office / "data" / "loa.db") as conn:
        return list(conn.execute("select name, role, password_hash from web_user order by name"))


def test_the_first_admin_is_added_from_a_pipe(office: Path) -> None:
    added = loa("user", "add", "Lan.Nguyen", "--role", "admin", cwd=office, input=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "Đã thêm lan.nguyen với vai trò quản trị."
    ((name, role, digest),) = stored(office)
    assert (name, role) == ("lan.nguyen", "admin")
    assert digest.startswith("$argon2id$") and PASSWORD not in digest
    listed = loa("user", "list", "--format", "json", cwd=office)
    assert [(u["name"], u["role"]) for u in json.loads(listed.stdout)] == [("lan.nguyen", "admin")]
    assert "quản trị" in loa("user", "list", cwd=office).stdout
    logged = json.loads(loa("audit", "--format", "json", cwd=office).stdout)
    assert [(e["channel"], e["command"], e["arguments"], e["result"]) for e in logged] == [
        ("cli", "user add", "Lan.Nguyen --role admin", "ok")
    ]


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (
            ("an", "--role", "boss"),
            PASSWORD,
            "không có vai trò 'boss'; chọn một trong: viewer (xem)",
        ),
        (("an nguyen",), PASSWORD, "tên đăng nhập 'an nguyen' không dùng được"),
        (("an",), "", "mật khẩu trống; hãy nhập một mật khẩu"),
        (("an",), "ngan", "mật khẩu quá ngắn; cần ít nhất 8 ký tự"),
        (("LAN",), PASSWORD, "đã có người dùng 'lan' (đổi mật khẩu bằng: loa user passwd lan)"),
    ],
)
def test_user_add_refuses_clearly(
    office: Path, args: tuple[str, ...], password: str, message: str
) -> None:
    assert loa("user", "add", "lan", cwd=office, input=PASSWORD + "\n").returncode == 0
    refused = loa("user", "add", *args, cwd=office, input=password + "\n")
    assert refused.returncode == 1
    assert message in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert [row[0] for row in stored(office)] == ["lan"]


def test_english_on_request(office: Path) -> None:
    refused = loa("user", "add", "an", "--role", "boss", cwd=office, lang="en", input="x\n")
    assert "there is no role 'boss'; choose one of: viewer (viewer), editor" in refused.stderr


def test_passwd_and_remove(office: Path) -> None:
    loa("user", "add", "lan", "--role", "editor", cwd=office, input=PASSWORD + "\n")
    before = stored(office)[0][2]
    changed = loa("user", "passwd", "lan", cwd=office, input="mat-khau-moi-123\n")
    assert changed.returncode == 0 and "Đã đổi mật khẩu của lan" in changed.stdout
    assert stored(office)[0][2] != before
    unknown = loa("user", "remove", "khong-ai", cwd=office)
    assert unknown.returncode == 1 and "không có người dùng 'khong-ai'" in unknown.stderr
    assert loa("user", "remove", "lan", cwd=office).returncode == 0
    assert stored(office) == []
    assert "Chưa có người dùng nào" in loa("user", "list", cwd=office).stdout


def _read_until(fd: int, text: str, timeout: float = 30) -> str:
    seen, deadline = b"", time.monotonic() + timeout
    while text.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {text!r} in {seen.decode(errors='replace')!r}")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise AssertionError(f"ended before {text!r}: {seen.decode(errors='replace')!r}")
        seen += chunk
    return seen.decode()


@pytest.mark.parametrize(("again", "code"), [(PASSWORD, 0), ("mat-khau-khac", 1)])
def test_a_terminal_is_asked_twice_without_echo(office: Path, again: str, code: int) -> None:
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [*LOA, "user", "add", "lan"], cwd=office, stdin=terminal, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env={**os.environ, "LOA_LANG": "vi"}, start_new_session=True,
    )  # fmt: skip
    os.close(terminal)
    try:
        assert process.stderr is not None
        _read_until(process.stderr.fileno(), "Mật khẩu của lan: ")
        os.write(main, (PASSWORD + "\n").encode())
        _read_until(process.stderr.fileno(), "Nhập lại mật khẩu: ")
        os.write(main, (again + "\n").encode())
        out, err = process.communicate(timeout=60)
    finally:
        os.close(main)
    assert process.returncode == code, err
    assert PASSWORD.encode() not in out + err  # not echoed
    if code:
        assert "hai lần nhập mật khẩu không giống nhau" in err.decode()
        assert stored(office) == []
    else:
        assert [row[:2] for row in stored(office)] == [("lan", "viewer")]
