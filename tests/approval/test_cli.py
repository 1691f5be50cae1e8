"""``loa approve`` and ``loa reject`` as an operator runs them: ``--as`` names the loa user
deciding, whose role and the two-person rule are checked like on the page."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.test_cli import loa

CONFIG = (
    'timezone = "Asia/Ho_Chi_Minh"\n[database]\nurl = "sqlite:///loa.db"\n'
    '[campaigns]\npaths = ["campaigns"]\nlibrary = false\n'
    '[channels.nhat-ky]\ntype = "file"\npath = "outbox.jsonl"\n'
)


def office(tmp_path: Path) -> tuple[Path, str]:
    """An office with a campaign whose one message, tomorrow, needs approval; its key."""
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "config.toml").write_text(CONFIG, "utf-8")
    day = dt.date.today() + dt.timedelta(days=1)
    (tmp_path / "campaigns" / "c.toml").write_text(
        f'id = "c"\ntitle = "Cần duyệt"\napproval = true\n[[message]]\nid = "tin"\n'
        f'at = "{day.isoformat()} 09:00"\ntext = "Tin cần duyệt"\nchannels = ["nhat-ky"]\n',
        "utf-8",
    )
    for name, role in (("lan", "approver"), ("an", "editor")):
        added = loa("user", "add", name, "--role", role, cwd=tmp_path, input="mat-khau-dai\n")
        assert added.returncode == 0, added.stderr
    return tmp_path, day.isoformat()


def states(where: Path) -> dict[str, str]:
    listed = loa("deliveries", "--format", "json", cwd=where)
    return {row["key"]: row["state"] for row in json.loads(listed.stdout)}


def test_approve_needs_a_loa_user_with_the_role(tmp_path: Path) -> None:
    where, day = office(tmp_path)
    nobody = loa("approve", "--campaign", "c", "--date", day, cwd=where)
    assert nobody.returncode == 1 and "phê duyệt" in nobody.stderr
    editor = loa("approve", "--campaign", "c", "--date", day, "--as", "an", cwd=where)
    assert editor.returncode == 1 and "an" in editor.stderr
    assert states(where) == {"c:tin:once@nhat-ky": "awaiting_approval"}
    done = loa("approve", "--campaign", "c", "--date", day, "--as", "lan", cwd=where)
    assert done.returncode == 0, done.stderr
    assert "Đã duyệt 1 tin" in done.stdout
    assert states(where) == {"c:tin:once@nhat-ky": "pending"}
    audited = json.loads(loa("audit", "--format", "json", cwd=where).stdout)
    assert [(a["user"], a["command"], a["result"]) for a in audited][:3] == [
        ("lan", "approve", "ok"), ("an", "approve", "refused"), ("", "approve", "refused")
    ]  # fmt: skip
    assert audited[0]["channel"] == "cli" and audited[0]["chat"].startswith("os:")


def test_reject_needs_a_reason_and_usage_is_explained(tmp_path: Path) -> None:
    where, _ = office(tmp_path)
    bare = loa("reject", "c:tin:once", "--as", "lan", cwd=where)
    assert bare.returncode == 1 and "lý do" in bare.stderr
    both = loa("approve", "c:tin:once", "--campaign", "c", "--as", "lan", cwd=where)
    assert both.returncode == 1 and "--campaign" in both.stderr
    done = loa("reject", "c:tin:once", "--reason", "sai giờ", "--as", "lan", cwd=where)
    assert done.returncode == 0, done.stderr
    status = json.loads(loa("status", "--format", "json", cwd=where).stdout)
    assert status["deliveries"]["cancelled"] == 1 and status["deliveries"]["awaiting_approval"] == 0
