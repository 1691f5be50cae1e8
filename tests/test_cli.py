"""The loa command as a user runs it: a real process, its output and exit code."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from campaigns.i18n import t

ROOT = Path(__file__).resolve().parent.parent
LOA = [sys.executable, "-c", "from scheduler.cli.commands import main; main()"]


def loa(
    *args: str, cwd: Path = ROOT, lang: str | None = "vi", input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run loa with LOA_LANG set to ``lang`` (None: not set at all), ``input`` on its stdin."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("LOA_LANG", None)
    if lang is not None:
        env["LOA_LANG"] = lang
    return subprocess.run(
        [*LOA, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60, input=input
    )


def test_init_then_validate_and_plan(tmp_path: Path) -> None:
    office = tmp_path / "so-tnmt"
    made = loa("init", str(office))
    assert made.returncode == 0, made.stderr
    assert (office / "config.toml").is_file() and (office / "campaigns" / "vi-du.toml").is_file()
    checked = loa("validate", cwd=office)
    assert checked.returncode == 0, checked.stderr
    assert "Hợp lệ" in checked.stdout
    planned = loa(
        "plan", "--from", "2027-04-01", "--to", "2027-04-30", "--format", "json", cwd=office
    )
    assert planned.returncode == 0, planned.stderr
    rows = json.loads(planned.stdout)
    ours = [r for r in rows if r["campaign"] == "vi-du-ngay-hoi-xanh"]
    assert [(r["kind"], r["start"]) for r in ours] == [
        ("message", "2027-04-15T08:00:00+07:00"),
        ("message", "2027-04-22T07:00:00+07:00"),
        ("activity", "2027-04-22T07:30:00+07:00"),
    ]
    for row in rows:
        assert {"campaign", "kind", "id", "title", "start", "end", "channels", "key"} <= row.keys()
    again = loa("init", str(office))
    assert "không ghi đè" in again.stderr  # an existing office is never overwritten


def test_validate_reports_errors_with_exit_code_1_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "hong.toml"
    bad.write_text(
        'id = "hong"\ntitle = "Hỏng"\n[[activity]]\nid = "a"\ntitle = "A"\nstart = "hằng năm 30/02"\n',
        "utf-8",
    )
    result = loa("validate", str(bad), "--config", str(ROOT / "config.toml"))
    assert result.returncode == 1
    assert "hong.toml:6: activity[1].start: ngày 30/02 không tồn tại" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    result = loa("plan", cwd=tmp_path)
    assert result.returncode == 1
    assert "config.toml" in result.stderr and "loa init" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_is_reported_like_campaigns(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'timezone = "Asia/Ho_Chi_Minh"\n[channels.tg]\ntype = "telgram"\ntoken_env = "X"\n[http]\nprot = 80\n',
        "utf-8",
    )
    result = loa("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert (
        "config.toml:6: http.prot: khóa không được hỗ trợ (có phải ý bạn là 'port'?)"
        in result.stderr
    )


def test_a_problem_quoting_brackets_keeps_them(tmp_path: Path) -> None:
    """A hint that quotes a config table ([channels.<tên>]) is printed as written, and so is
    the [warning] mark: neither is taken for colour markup and swallowed."""
    (tmp_path / "config.toml").write_text('[campaigns]\npaths = ["c"]\nlibrary = false\n', "utf-8")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "c.toml").write_text(
        'id = "c"\ntitle = "C"\n[[message]]\nid = "m"\nat = "2027-01-01 08:00"\ntext = "x"\n',
        "utf-8",
    )
    result = loa("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    hint = t("no_channels_hint", "vi")
    assert "[channels." in hint and f"({hint})" in result.stderr
    assert result.stderr.rstrip().endswith("[warning]")


def test_plan_takes_days_as_documents_write_them() -> None:
    """--from/--to read the dates campaign files read: 05/06/2026 is 5 June (day first, the
    Vietnamese order), and so are 05-06-2026 and 'ngày 5 tháng 6 năm 2026'; ISO stays."""
    days = {}
    for written in ("05/06/2026", "05-06-2026", "ngày 5 tháng 6 năm 2026", "2026-06-05"):
        result = loa("plan", "--from", written, "--to", written, "--format", "json")
        assert result.returncode == 0, result.stderr
        days[written] = {row["start"][:10] for row in json.loads(result.stdout)}
    (starts,) = set(map(frozenset, days.values()))  # one plan, however the day is written
    assert max(starts) == "2026-06-05"  # World Environment Day, not 6 May; periods began earlier


def test_plan_bad_arguments(tmp_path: Path) -> None:
    forms = "15/12/2026, 15-12-2026, 'ngày 15 tháng 12 năm 2026' hoặc 2026-12-15"
    for written, said in [
        ("tuần sau", f"không hiểu ngày 'tuần sau' (viết ngày trước tháng, đủ năm: {forms})"),
        ("15/12", "ngày '15/12' thiếu năm (viết ngày trước tháng, đủ năm: 15/12/2026"),
        ("31/02/2026", "ngày 31/02/2026 không tồn tại (kiểm tra ngày và tháng)"),
        ("2026-02-31", "ngày 31/02/2026 không tồn tại (kiểm tra ngày và tháng)"),
        ("12/31/2026", "(ngày viết trước tháng: 31/12/2026)"),
    ]:
        result = loa("plan", "--from", written)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert said in result.stderr, result.stderr
    assert loa("plan", "--from", "2026-06-05", "--to", "2026-06-01").returncode == 1
    unknown = loa("plan", "--campaign", "khong-co")
    assert unknown.returncode == 1 and "khong-co" in unknown.stderr


def test_plan_table_is_readable() -> None:
    result = loa("plan", "--from", "2026-05-20", "--to", "2026-06-30")
    assert result.returncode == 0, result.stderr
    assert "Kế hoạch 20/05/2026 – 30/06/2026" in result.stdout


def _plan_at(columns: int, *args: str) -> str:
    env = {**os.environ, "LOA_LANG": "vi", "COLUMNS": str(columns)}
    result = subprocess.run(
        [*LOA, "plan", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_plan_shows_every_title_campaign_and_lead_whole_at_80_and_200_columns() -> None:
    """Issue 11, defect 9: at 80 columns the title column shrank to ``Nội …`` and campaign ids
    were cut even at 200. Each title, campaign and lead unit must be readable whole (a title
    may wrap onto the next line), and periods show their weekdays and years."""
    window = ("--from", "2026-05-20", "--to", "2026-06-10")
    rows = json.loads(_plan_at(200, *window, "--format", "json"))
    assert any(r["lead"] for r in rows) and any(r["kind"] == "message" for r in rows)
    for columns in (80, 200):
        shown = _plan_at(columns, *window)
        lines = shown.splitlines()
        assert "…" not in shown
        assert max(len(line) for line in lines) <= columns
        joined = " ".join(" ".join(line.split()) for line in lines)
        for row in rows:
            assert " ".join(row["title"].split()) in joined, (columns, row["title"])
            assert any(row["campaign"] in line.split() for line in lines), row["campaign"]
            if row["lead"]:
                assert row["lead"] in joined, row["lead"]
        assert "Thứ Hai, 25/05/2026 – Thứ Ba, 30/06/2026" in shown  # the Month of Action
        assert "Thứ Sáu, 05/06/2026" in shown  # World Environment Day


@pytest.mark.parametrize(
    ("env", "configured", "expected"),
    [
        ("en", None, "en"),  # nothing in the config: the environment decides
        ("en", "vi", "en"),  # the environment wins over the config
        (None, "en", "en"),  # no environment: the config decides
        (None, None, "vi"),  # neither: Vietnamese
        ("vi", "en", "vi"),
    ],
)
def test_language_order_is_environment_then_config_then_vietnamese(
    tmp_path: Path, env: str | None, configured: str | None, expected: str
) -> None:
    setting = f'language = "{configured}"\n' if configured else ""
    (tmp_path / "config.toml").write_text(setting + "[campaigns]\npaths = []\n", "utf-8")
    result = loa("plan", "--campaign", "khong-co", cwd=tmp_path, lang=env)
    assert result.returncode == 1
    said = {"vi": "không có chiến dịch 'khong-co'", "en": "there is no campaign 'khong-co'"}
    assert said[expected] in result.stderr


def test_init_says_what_next_once_and_points_to_docs_that_exist(tmp_path: Path) -> None:
    office = tmp_path / "so-tnmt"
    made = loa("init", str(office))
    assert made.returncode == 0, made.stderr
    assert made.stdout.count("Tiếp theo") == 1, made.stdout
    for written in (office / "config.toml", office / "campaigns" / "vi-du.toml"):
        pointers = re.findall(r"Tài liệu[^:]*: (docs/\S+\.md)", written.read_text("utf-8"))
        assert pointers, written
        assert all((office / p).is_file() for p in pointers), pointers
    assert (office / "docs" / "en" / "configuration.md").is_file()  # the English mirror too


def test_status_before_the_first_run_says_what_to_run(tmp_path: Path) -> None:
    office = tmp_path / "so-tnmt"
    loa("init", str(office))
    result = loa("status", cwd=office)
    assert result.returncode == 0, result.stderr
    assert "loa run" in result.stdout and "loa plan" in result.stdout
    english = loa("status", cwd=office, lang="en")
    assert "no messages" in english.stdout.lower() and "loa run" in english.stdout


def test_init_without_shipped_docs_points_to_the_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from scheduler.cli import commands as cli

    monkeypatch.setattr(cli, "DOCS", tmp_path / "not-shipped")
    office = tmp_path / "so-tnmt"
    result = CliRunner().invoke(cli.app, ["init", str(office)])
    assert result.exit_code == 0, result.output
    for written in (office / "config.toml", office / "campaigns" / "vi-du.toml"):
        text = written.read_text("utf-8")
        assert "docs/" not in text and "loa --help" in text
    assert not (office / "docs").exists()


def command_paths() -> list[list[str]]:
    """Every command and command group of loa, as typed after ``loa``."""
    from scheduler.cli.commands import app

    def name(info: Any) -> str:
        return str(info.name or info.callback.__name__.replace("_", "-"))

    paths: list[list[str]] = [[]]
    paths += [[name(c)] for c in app.registered_commands]
    for group in app.registered_groups:
        assert group.typer_instance is not None
        paths.append([str(group.name)])
        paths += [[str(group.name), name(c)] for c in group.typer_instance.registered_commands]
    return paths


# words of loa's and typer's English help, none of which a Vietnamese help may show
ENGLISH = set(
    [
        "Show",
        "this",
        "Usage",
        "Options",
        "Arguments",
        "Commands",
        "OPTIONS",
        "COMMAND",
        "ARGS",
        "default",
        "required",
        "the",
        "to",
        "or",
        "and",
        "of",
        "for",
        "with",
        "first",
        "last",
        "day",
        "only",
        "one",
        "every",
        "file",
        "files",
        "folder",
        "message",
        "messages",
        "newest",
        "entries",
        "most",
        "all",
        "write",
        "use",
        "new",
        "office",
        "partner",
        "lead",
    ]
)
VIETNAMESE_LETTER = re.compile(r"[\u1ea0-\u1ef9ăâđêôơưĂÂĐÊÔƠƯàáãèéìíòóõùúý]")
NOT_WORDS = re.compile(r"--?[\w-]+|<[^>]*>|\{[^}]*\}|config\.toml|\.ics|YYYY-MM-DD")


def test_loa_alone_shows_the_commands(tmp_path: Path) -> None:
    shown = loa(cwd=tmp_path)
    assert "Traceback" not in shown.stderr
    assert "Cách dùng: loa" in shown.stdout + shown.stderr and "validate" in shown.stdout


# Every help page from one process: loa's entry point run once per `loa PATH --help`, as the
# shell would, with its output caught. The pages are byte for byte those of 20 processes of
# their own (compared when this replaced them), for 1 s of CPU instead of 14.
HELP_PAGES = """
import contextlib, io, json, sys
from scheduler.cli.commands import main
pages = []
for path in json.loads(sys.argv[1]):
    sys.argv = ["loa", *path, "--help"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
    pages.append((path, code, out.getvalue(), err.getvalue()))
print(json.dumps(pages))
"""


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_help_speaks_the_language(tmp_path: Path, lang: str) -> None:
    paths = command_paths()
    assert len(paths) > 10
    env = {**os.environ, "LOA_LANG": lang, "COLUMNS": "200"}
    run = subprocess.run(
        [sys.executable, "-c", HELP_PAGES, json.dumps(paths)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    pages = json.loads(run.stdout)
    assert [page[0] for page in pages] == paths
    for path, code, shown, errors in pages:
        assert code == 0, (path, errors)
        assert shown.strip(), path
        if lang == "vi":
            words = set(re.findall(r"[A-Za-z]+", NOT_WORDS.sub(" ", shown)))
            assert words & ENGLISH == set(), (path, shown)
        else:
            assert VIETNAMESE_LETTER.search(shown) is None, (path, shown)
            assert "Show this message and exit." in shown


def test_tables_show_states_and_audit_results_in_vietnamese(tmp_path: Path) -> None:
    from scheduler import audit
    from scheduler.config import load_config
    from scheduler.store.db import open_engine

    office = tmp_path / "so-tnmt"
    loa("init", str(office))
    assert loa("export-ics", "-o", "lich.ics", cwd=office).returncode == 0  # fills the outbox
    assert loa("send", "console", "Thử", cwd=office).returncode == 0
    pending = json.loads(
        loa("deliveries", "--state", "pending", "--format", "json", cwd=office).stdout
    )
    assert loa("cancel", pending[0]["key"], cwd=office).returncode == 0
    assert loa("pause", "khong-co", cwd=office).returncode == 1
    assert loa("pause", "vi-du-ngay-hoi-xanh", cwd=office).returncode == 0
    db = open_engine(load_config(office / "config.toml").database_url)
    refused = (dt.datetime.now(dt.UTC), "tg", "-2001", "1001", "pause", "x", audit.REFUSED)
    audit.write(db, *refused, audit.NOT_ADMIN)
    db.dispose()

    english_states = re.compile(r"\b(pending|sending|sent|retrying|failed|missed|cancelled|held)\b")
    status = loa("status", cwd=office).stdout
    assert {"đang chờ", "đã gửi", "đã hủy", "tạm giữ"} <= set(
        re.findall(r"đang chờ|đã gửi|đã hủy|tạm giữ", status)
    )
    assert english_states.search(status) is None, status
    table = loa("deliveries", cwd=office).stdout
    assert "đang chờ" in table and "đã gửi" in table and "đã hủy" in table
    assert english_states.search(table.replace("manual:", "")) is None, table
    listed = json.loads(loa("deliveries", "--format", "json", cwd=office).stdout)
    assert {"pending", "sent", "cancelled", "held"} <= {d["state"] for d in listed}  # scripts
    assert "pending" in loa("deliveries", cwd=office, lang="en").stdout

    shown = loa("audit", cwd=office).stdout
    for said in (
        "thành công",
        "lỗi",
        "bị từ chối",
        "không phải quản trị viên",
        "không có chiến dịch",
    ):
        assert said.lower() in shown.lower(), shown
    assert re.search(r"\b(ok|refused|error|not an admin|unknown campaign)\b", shown) is None, shown
    logged = json.loads(loa("audit", "--format", "json", cwd=office).stdout)
    assert {e["result"] for e in logged} == {"ok", "refused", "error"}
    assert {"not an admin", "unknown campaign"} <= {e["detail"] for e in logged}
    assert "refused" in loa("audit", cwd=office, lang="en").stdout


def test_deliveries_of_an_empty_outbox_say_what_to_run(tmp_path: Path) -> None:
    """Before the first ``loa run`` the table was printed empty, headers only, with no word."""
    office = tmp_path / "so-tnmt"
    loa("init", str(office))
    empty = loa("deliveries", cwd=office)
    assert empty.returncode == 0 and empty.stdout.split() == t("status_empty").split()
    assert loa("send", "console", "Thử", cwd=office).returncode == 0
    none = loa("deliveries", "--state", "failed", cwd=office)
    assert none.returncode == 0 and none.stdout.strip() == t("deliveries_none")
    assert (
        json.loads(loa("deliveries", "--state", "failed", "--format", "json", cwd=office).stdout)
        == []
    )


def at_80_columns(*args: str, cwd: Path) -> str:
    env = {**os.environ, "COLUMNS": "80", "LOA_LANG": "vi"}
    run = subprocess.run(
        [*LOA, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert all(len(line) <= 80 for line in run.stdout.splitlines()), run.stdout
    return run.stdout


def test_audit_is_readable_at_80_columns(tmp_path: Path) -> None:
    """At 80 columns the audit table cut the time to ``06…``, the result to ``thành c…`` and left
    no room for the detail: each entry is then a few lines, nothing cut."""
    from scheduler import audit
    from scheduler.config import load_config
    from scheduler.store.db import open_engine

    office = tmp_path / "so-tnmt"
    loa("init", str(office))
    assert loa("export-ics", "-o", "lich.ics", cwd=office).returncode == 0  # creates the store
    db = open_engine(load_config(office / "config.toml").database_url)
    at = dt.datetime(2026, 12, 3, 8, 5, tzinfo=dt.UTC)
    audit.write(db, at, "telegram", "-1001234567890", "1001", "resume", "tuan-le-xanh-2026",
                audit.REFUSED, audit.NOT_ADMIN)  # fmt: skip
    db.dispose()
    lines = [line.strip() for line in at_80_columns("audit", cwd=office).splitlines()]
    head = "T5 03/12/2026 15:05 · bị từ chối · telegram:1001 @-1001234567890"
    assert head in lines, lines
    assert lines[lines.index(head) + 1 :][:2] == [
        "/resume tuan-le-xanh-2026",
        "không phải quản trị viên",
    ]


def test_deliveries_are_readable_at_80_columns(tmp_path: Path) -> None:
    """At 80 columns the six-column table left two or three letters to the key and the
    receipt (``Lỗ i / bi ên``, the key folded four letters a line): each delivery is then a few
    lines, its key whole on a line of its own to copy into ``loa retry``."""
    office = tmp_path / "so-tnmt"
    loa("init", str(office))
    config = office / "config.toml"
    long_name = "nhat-ky-gui-tin-cua-van-phong"  # a file channel whose path is a folder: fails
    config.write_text(
        config.read_text("utf-8") + f'\n[channels.{long_name}]\ntype = "file"\npath = "data"\n',
        "utf-8",
    )
    assert loa("send", "console", "Thử", cwd=office).returncode == 0
    assert loa("send", long_name, "Thử", cwd=office).returncode == 1
    rows = json.loads(loa("deliveries", "--format", "json", cwd=office).stdout)
    failed = next(r for r in rows if r["state"] == "failed")
    shown = at_80_columns("deliveries", cwd=office)
    lines = [line.strip() for line in shown.splitlines()]
    assert {r["key"] for r in rows} <= set(lines), shown
    said = t("deliveries_error", error="").strip()
    assert lines[lines.index(failed["key"]) + 1].startswith(said), shown
    assert "đã gửi" in shown and "lỗi" in shown
    heads = [line for line in shown.splitlines() if line and not line.startswith("    ")]
    assert heads and all(line[0] != " " for line in heads), shown  # what the details sit under
    assert all(len(line) <= 80 for line in shown.splitlines()), shown


def test_errors_of_the_command_line_are_vietnamese(tmp_path: Path) -> None:
    office = tmp_path / "so-tnmt"
    loa("init", str(office))
    unknown = loa("export-ics", "-o", "x.ics", "--campaign", "khong-co", cwd=office)
    assert "không có chiến dịch 'khong-co'" in unknown.stderr
    unknown_unit = loa("export-ics", "-o", "x.ics", "--unit", "So Khong Co", cwd=office).stderr
    assert "không có đơn vị" in unknown_unit
    assert "chọn table hoặc json" in loa("deliveries", "--format", "csv", cwd=office).stderr
    assert "chọn ok, refused hoặc error" in loa("audit", "--result", "x", cwd=office).stderr
    assert "viết loa retry KHÓA" in loa("retry", cwd=office).stderr
    paused = loa("pause", "khong-co", cwd=office).stderr
    assert "không có chiến dịch 'khong-co'" in paused and "loa plan" in paused
    assert "/campaigns" not in paused  # a chat command means nothing on the command line
    mistakes = {
        ("cancel",): "thiếu 'key'",
        ("plan", "--campain", "x"): "không có tùy chọn --campain (có phải ý bạn là '--campaign'?)",
        ("audit", "--limit", "nhieu"): "giá trị của '--limit' không hợp lệ",
        ("chay",): "không có lệnh 'chay'",
        ("status", "thua"): "thừa đối số: thua",
    }
    for args, said in mistakes.items():
        shown = loa(*args, cwd=office).stderr
        assert said.lower() in shown.lower(), shown
        assert re.search(r"Missing|No such|Invalid|unexpected|Usage", shown) is None, shown
    english = loa("export-ics", "-o", "x.ics", "--tag", "khong-co", cwd=office, lang="en").stderr
    assert "there is no tag 'khong-co'" in english


def test_status_shows_the_last_recovery_in_the_offices_time(tmp_path: Path) -> None:
    """The daemon stores its last recovery after a crash with a UTC time; ``loa status`` showed
    that text as stored (16:50+00:00 for 23:50 in Hà Nội), in English words. It is shown in
    the office's zone, in the catalogue's sentence; what an older loa stored reads the same."""
    import sqlite3

    office = tmp_path / "van-phong"
    assert loa("init", str(office)).returncode == 0
    assert loa("status", cwd=office).returncode == 0  # the store exists from here on
    stored = "2026-12-02T16:50:00.123456+00:00 in_flight=3 confirmed_sent=1 confirmed_not_sent=1 possible_duplicates=1"
    with sqlite3.connect(office / "data" / "loa.db") as conn:
        conn.execute("insert into meta (name, value) values ('last_recovery', ?)", (stored,))
    shown = loa("status", cwd=office)
    assert shown.returncode == 0, shown.stderr
    (line,) = [x for x in shown.stdout.splitlines() if x.startswith("Lần khôi phục gần nhất")]
    when = "23:50, Thứ Tư, 02/12/2026"
    assert line == t("last_recovery", when=when, in_flight=3, sent=1, not_sent=1, duplicates=1)


def test_status_shows_the_open_incidents_with_their_fix(tmp_path: Path) -> None:
    """What the admins were alerted to stays in ``loa status`` while it is open, with the
    command that fixes it; ``--format json`` gives ``incidents`` to monitors (a contract)."""
    import datetime as dt
    import json

    from scheduler import alerts
    from scheduler.store.db import open_engine

    office = tmp_path / "van-phong"
    assert loa("init", str(office)).returncode == 0
    assert loa("status", cwd=office).returncode == 0  # the store exists from here on
    db = open_engine(f"sqlite:///{office / 'data' / 'loa.db'}")
    at = dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)
    alerts.raise_incident(db, alerts.DELIVERY_FAILED, "telegram:phuong-1", "chat not found", at)
    alerts.raise_incident(db, alerts.DELIVERY_FAILED, "telegram:phuong-1", "chat not found", at)
    db.dispose()
    shown = loa("status", cwd=office)
    assert shown.returncode == 0, shown.stderr
    assert "Sự cố đang mở:" in shown.stdout
    assert "Gửi tin tới telegram:phuong-1 bị lỗi hẳn (2 tin): chat not found" in shown.stdout
    assert "loa retry --failed" in shown.stdout and "08:00, Thứ Năm, 03/12/2026" in shown.stdout
    as_json = loa("status", "--format", "json", cwd=office)
    assert as_json.returncode == 0, as_json.stderr
    body = json.loads(as_json.stdout)
    assert body["incidents"] == [
        {"kind": "delivery_failed", "subject": "telegram:phuong-1",
         "opened_at": "2026-12-03T01:00:00+00:00", "last_seen_at": "2026-12-03T01:00:00+00:00",
         "count": 2, "detail": "chat not found"}
    ]  # fmt: skip
    assert body["deliveries"]["pending"] >= 0 and body["storage"] == {"state": "ok"}


def test_a_manual_key_carries_the_offices_time(tmp_path: Path) -> None:
    """``loa send``'s key held a UTC time (manual:20261202T2238…); it holds the office's, in a
    readable form, and stays unique and in time order."""
    import datetime as dt
    import re
    from zoneinfo import ZoneInfo

    office = tmp_path / "van-phong"
    assert loa("init", str(office)).returncode == 0
    before = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)
    keys = []
    for n in range(2):
        sent = loa("send", "console", f"Thử {n}", cwd=office)
        assert sent.returncode == 0, sent.stderr
        keys += re.findall(r"manual:\S+@console", sent.stdout)
    assert len(set(keys)) == 2 and keys == sorted(keys)
    found = re.fullmatch(r"manual:(\d{4}-\d\d-\d\d)_(\d\d)h(\d\d)m(\d\d)\.(\d{6})@console", keys[0])
    assert found, keys[0]
    day, hours, minutes, seconds, micros = found.groups()
    at = dt.datetime.fromisoformat(f"{day}T{hours}:{minutes}:{seconds}.{micros}")
    assert dt.timedelta(0) <= at - before < dt.timedelta(minutes=2)


def test_plan_shows_a_message_title_without_its_markers(tmp_path: Path) -> None:
    """A message's title in ``loa plan`` is the first line of its text: it showed the markup
    as written (``**Ra quân**``); the table shows what readers see, the JSON keeps the text's
    first line as it is (a documented field)."""
    office = tmp_path / "van-phong"
    assert loa("init", str(office)).returncode == 0
    (office / "campaigns" / "dam.toml").write_text(
        'id = "dam"\ntitle = "Đậm"\n[[message]]\nid = "m"\nat = 2027-03-02T08:00:00\n'
        'text = "**Ra quân** vệ sinh _môi trường_\\nchi tiết"\n',
        "utf-8",
    )
    window = ("--from", "2027-03-01", "--to", "2027-03-03", "--campaign", "dam")
    table = loa("plan", *window, cwd=office)
    assert table.returncode == 0, table.stderr
    assert "Ra quân vệ sinh môi trường" in table.stdout and "*" not in table.stdout
    (row,) = json.loads(loa("plan", *window, "--format", "json", cwd=office).stdout)
    assert row["title"] == "**Ra quân** vệ sinh _môi trường_"


def test_a_database_written_by_a_newer_loa_is_a_clear_error(tmp_path: Path) -> None:
    """An older loa opening a database a newer loa has upgraded failed with alembic's traceback
    ("Can't locate revision"): it says what happened and what to do, with exit code 1."""
    import sqlite3

    office = tmp_path / "van-phong"
    assert loa("init", str(office)).returncode == 0
    assert loa("status", cwd=office).returncode == 0
    with sqlite3.connect(office / "data" / "loa.db") as conn:
        conn.execute("update alembic_version set version_num = 'f0f0f0f0f0f0'")
    for command in (["status"], ["run"], ["send", "console", "Thử"]):
        result = loa(*command, cwd=office)
        assert result.returncode == 1, (command, result.stdout)
        assert "Traceback" not in result.stderr and "alembic" not in result.stderr
        said = result.stderr.strip().splitlines()  # loa run logs its start first
        assert said[-1] == t("schema_too_new", revision="f0f0f0f0f0f0"), command
        assert len(said) == (2 if command == ["run"] else 1), said
