"""``loa report`` and ``loa plan --unit`` as an officer runs them, and the registry's hint and
checks: an ad hoc request becomes a campaign file whose units are tracked, a submission shows
in the status table, a unit's plan holds its items, a misspelt unit names the closest one."""

from __future__ import annotations

import json
from pathlib import Path

import vobject

from tests.test_cli import loa

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
[units.so-nnmt]
name = "Sở Nông nghiệp và Môi trường"
aliases = ["Sở TN&MT"]
chats = ["console:so"]
[units.tinh-doan]
name = "Tỉnh đoàn"
chats = ["console:doan"]
[units.mttq]
name = "Ủy ban MTTQ Việt Nam tỉnh"
short = "MTTQ tỉnh"
chats = ["console:mttq"]
"""
CAMPAIGN = """id = "chi-so-xanh"
title = "Chỉ số xanh"
[[activity]]
id = "hoi-nghi"
title = "Hội nghị triển khai"
start = 2027-01-05
lead = "sở tn&mt"
"""


def office(tmp_path: Path, config: str = CONFIG) -> Path:
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "config.toml").write_text(config, "utf-8")
    (tmp_path / "campaigns" / "chi-so-xanh.toml").write_text(CAMPAIGN, "utf-8")
    return tmp_path


def test_ad_hoc_request_submit_and_status(tmp_path: Path) -> None:
    root = office(tmp_path)
    made = loa("report", "request", "Báo cáo nhanh sau bão", "--due", "15/01/2027",
               "--units", "Tỉnh Đoàn,mttq", cwd=root)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "bao-cao-dot-xuat-15012027" in made.stdout and "Tỉnh đoàn, MTTQ tỉnh" in made.stdout
    written = root / "campaigns" / "bao-cao" / "bao-cao-dot-xuat-15012027.toml"
    assert 'units = ["tinh-doan", "mttq"]' in written.read_text("utf-8")

    status = loa("report", "status", "bao-cao-dot-xuat-15012027", cwd=root)
    assert status.returncode == 0, status.stderr
    assert "⏳ Tỉnh đoàn: chưa nộp" in status.stdout and "Đã nộp: 0/2" in status.stdout

    done = loa("report", "submit", "bao-cao-dot-xuat-15012027", "--unit", "tinh doan",
               "--note", "Công văn 12/CV", cwd=root)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Đã ghi nhận: Tỉnh đoàn đã nộp “Báo cáo nhanh sau bão”")
    assert "dừng 3 tin nhắc" in done.stdout  # the 7-, 3- and 1-day reminders to its chat
    table = json.loads(
        loa("report", "status", "bao-cao-dot-xuat-15012027", "--format", "json", cwd=root).stdout
    )
    assert [(r["unit"], r["state"], r["note"]) for r in table] == [
        ("mttq", "waiting", ""),
        ("tinh-doan", "submitted", "Công văn 12/CV"),
    ]

    again = loa("report", "request", "Lặp", "--due", "15/01/2027", "--units", "mttq", cwd=root)
    assert again.returncode == 1 and "đặt --id khác" in again.stderr
    wrong = loa("report", "submit", "bao-cao-dot-xuat-15012027", "--unit", "Sở TN&MT", cwd=root)
    assert wrong.returncode == 1 and "MTTQ tỉnh, Tỉnh đoàn" in wrong.stderr


def test_plan_for_one_unit(tmp_path: Path) -> None:
    root = office(tmp_path)
    loa("report", "request", "Báo cáo nhanh", "--due", "15/01/2027", "--units", "mttq", cwd=root)
    window = ("--from", "2027-01-01", "--to", "2027-01-20", "--format", "json")
    so = json.loads(loa("plan", *window, "--unit", "Sở Tài nguyên và Môi trường".replace(
        "Tài nguyên và Môi trường", "TN&MT"), cwd=root).stdout)  # fmt: skip
    assert [(r["kind"], r["id"], r["lead"]) for r in so] == [("activity", "hoi-nghi", "so-nnmt")]
    table = loa("plan", *window[:4], "--unit", "so-nnmt", cwd=root).stdout
    assert "chủ trì: Sở Nông nghiệp và Môi trường" in table  # a person reads the unit's name
    mttq = json.loads(loa("plan", *window, "--unit", "MTTQ tỉnh", cwd=root).stdout)
    kinds = sorted({r["kind"] for r in mttq})
    assert kinds == ["deadline", "message"]  # its request and the reminders to its chat
    assert all("console:unit:mttq:mttq" in r["channels"] for r in mttq if r["kind"] == "message")
    unknown = loa("plan", "--unit", "Tinh doan tinh", cwd=root)
    assert unknown.returncode == 1 and "có phải ý bạn là 'Tỉnh đoàn'" in unknown.stderr


def test_validate_suggests_a_registry_when_units_are_free_text(tmp_path: Path) -> None:
    plain = CONFIG.split("[units.so-nnmt]")[0]
    root = office(tmp_path, plain)
    checked = loa("validate", cwd=root)
    assert checked.returncode == 0, checked.stderr
    assert "gợi ý: các đơn vị đang được viết tự do" in checked.stderr


def test_registry_mistakes_are_reported_with_their_line(tmp_path: Path) -> None:
    bad = CONFIG + '[units.trung]\nname = "Sở TN&MT"\nchats = ["zalo:abc"]\n'
    root = office(tmp_path, bad)
    checked = loa("validate", cwd=root)
    assert checked.returncode == 1
    assert "config.toml:23: units.trung.name: tên 'Sở TN&MT' đã dùng cho đơn vị 'so-nnmt'" in (
        checked.stderr
    )
    assert "config.toml:24: units.trung.chats[1]: nhóm chat 'zalo:abc' không hợp lệ" in (
        checked.stderr
    )


def test_export_ics_of_a_unit_names_it_as_the_registry_does(tmp_path: Path) -> None:
    root = office(tmp_path)
    done = loa("export-ics", "-o", "so.ics", "--unit", "so-nnmt", cwd=root)
    assert done.returncode == 0, done.stderr
    feed = vobject.readOne((root / "so.ics").read_text("utf-8"), validate=True)
    assert feed.contents["x-wr-calname"][0].value == "loa: Sở Nông nghiệp và Môi trường"
    description = feed.vevent.description.value
    assert "Đơn vị chủ trì: Sở Nông nghiệp và Môi trường" in description
    assert "so-nnmt" not in description
